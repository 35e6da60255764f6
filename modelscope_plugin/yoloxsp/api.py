"""The Python API: :func:`analyse` a movie, or :func:`load` a model and call it on images.

    >>> result = yoloxsp.analyse("movie.tif")                # doctest: +SKIP
    >>> result.tracks; result.detections; result.plot(); result.save("out")  # doctest: +SKIP
    >>> detector = yoloxsp.load()                             # doctest: +SKIP
    >>> frames = detector("movie.tif")                        # one FrameResult per frame, not linked
    >>> frames[0].to_dataframe(); frames[0].plot(); frames[0].save("frame_0.png")  # doctest: +SKIP

Both run the analysis core (:mod:`yoloxsp.movie`) that ``yoloxsp predict``, ``yoloxsp batch``, the
ModelScope pipeline and the demo run, so all give the same numbers.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import InputError, PathLike

if TYPE_CHECKING:
    from .model.backends import Predictor
    from .movie import Analysis, FrameResult

Image = np.ndarray  # H x W (one channel) or H x W x C (C = 1-4; red/first = tubulin, green/second = poles)
Source = Union[Image, PathLike, Sequence[Union[Image, PathLike]]]


class SpindleDetector:
    """Call with an image (H x W or H x W x C array), a file (image, TIFF stack, microscope file,
    video, or a folder of images) or a list of those; returns one
    :class:`~yoloxsp.movie.FrameResult` per frame, in order, each frame on its own (no tracks: for
    those, :func:`analyse`). A movie is held whole: for long movies use :func:`analyse` or
    ``yoloxsp predict``, which stream.

    ``pixel_size`` (um per pixel) overrides what the files record; arrays have none otherwise.
    ``length`` and ``ends`` say how spindles are measured, ``pole_check`` whether a detection must
    show a spindle's two ends (:class:`~yoloxsp.movie.Settings`).
    """

    def __init__(self, predictor: Predictor, length: str = "ridge", ends: str = "fit", pole_check: bool = True):
        from .movie import Settings

        self.predictor, self.settings = predictor, Settings(length=length, ends=ends, pole_check=pole_check)

    def __repr__(self) -> str:
        return f"<SpindleDetector {self.predictor.config.size} on {type(self.predictor.backend).__name__}>"

    def __call__(self, source: Source, pixel_size: Optional[float] = None) -> List[FrameResult]:
        from .analysis.inputs import open_input
        from .movie import frame_results

        results = []
        for item, position in _items(source):
            movie = open_input(item, pixel_size=pixel_size)
            first = position if movie.path is None else 0  # an array is numbered by its place in the list
            results += frame_results(movie, self.predictor, self.settings, linked=False, first=first)
        return results


def load(model: str = "yoloxsp", backend: str = "auto", device: str = "cpu", length: str = "ridge",
         ends: str = "fit", pole_check: bool = True) -> SpindleDetector:
    """A ready :class:`SpindleDetector` for ``model``: ``yoloxsp`` (the bundled model), a model
    folder, a weights file or an ``.onnx`` file. ``backend``: ``auto`` (ONNX Runtime when the model
    has an ONNX file, as the bundled one does; else torch), ``onnx`` or ``torch``; ``device``:
    ``cpu``, ``cuda`` or ``cuda:N``, for either backend (an :class:`~yoloxsp.errors.InputError`
    where the model cannot run there, never the CPU instead). ``length``: ``ridge`` (along the
    tubulin ridge, the default) or ``straight`` (pole to pole).
    ``ends``: ``fit`` (the default: each end placed on the pixels, see :mod:`yoloxsp.analysis.ends`) or
    ``model`` (the network's poles). ``pole_check`` (default True): a detection is kept only where
    it shows a spindle's two ends (:mod:`yoloxsp.analysis.evidence`).

        >>> detector = yoloxsp.load()                                # doctest: +SKIP
        >>> [result] = detector("frame.png", pixel_size=0.13)        # doctest: +SKIP
        >>> result.to_dataframe()[["score", "length_um"]]            # doctest: +SKIP
    """
    return SpindleDetector(_predictor(model, backend, device), length, ends, pole_check)


def analyse(source: Union[PathLike, Image], out: Optional[PathLike] = None, *, model: str = "yoloxsp",
            backend: str = "auto", device: str = "cpu", pixel_size: Optional[float] = None,
            frame_interval: Optional[float] = None, overwrite: bool = False, progress: bool = False,
            **settings) -> Analysis:
    """A movie from start to end, as ``yoloxsp predict`` runs it: spindles detected, linked into
    tracks, measured, their phases fitted and checked. ``source``: a file or folder (anything
    ``predict`` reads) or an image array (``H x W [x C]``: one frame; ``T x H x W x C``: a movie).

    Returns an :class:`~yoloxsp.movie.Analysis`: ``.detections`` and ``.tracks`` (pandas
    DataFrames with the columns of ``detections.csv`` and ``tracks.csv``), ``.plot()`` (length
    over time) and ``.save(folder)``. Nothing is written unless ``out`` names a folder, which then
    receives what ``predict`` writes. ``pixel_size`` (um) and ``frame_interval`` (s) beat the
    file's metadata; ``settings`` are the fields of :class:`~yoloxsp.movie.Settings` (``length``,
    ``ends``, ``channels``, ``track_threshold``, ``axes``, ``scene``, ``overlay``, ``pole_check``), the options
    of ``predict`` of the same names.

        >>> result = yoloxsp.analyse("movie.tif", pixel_size=0.107)      # doctest: +SKIP
        >>> result.tracks[["track_id", "anaphase_b_rate_um_per_min"]]     # doctest: +SKIP
    """
    from .movie import Settings, analyse_movie

    chosen = Settings(**settings)  # refused before the model loads
    return analyse_movie(source, out, _predictor(model, backend, device), chosen, pixel_size=pixel_size,
                         frame_interval=frame_interval, overwrite=overwrite, progress=progress)


def _predictor(model: str, backend: str, device: str) -> Predictor:
    from .model.backends import Predictor
    from .model.resolve import open_backend

    return Predictor(open_backend(model, backend, device))


def _items(source: Source) -> Iterator[Tuple[Union[Image, PathLike], int]]:
    """(array or path, its position in the list called with) for every item of ``source``."""
    if isinstance(source, (np.ndarray, str, Path)):
        yield source, 0
    elif isinstance(source, (list, tuple)):
        for position, item in enumerate(source):
            if not isinstance(item, (np.ndarray, str, Path)):
                raise InputError(f"expected an image array or a path in the list, got {type(item).__name__}")
            yield item, position
    else:
        raise InputError(f"expected an image array, a path or a list of them, got {type(source).__name__}")
