"""The Python API: :func:`load` a model, call it on images, get one :class:`FrameResult` per frame.

    >>> detector = yoloxsp.load()                          # doctest: +SKIP
    >>> results = detector("movie.tif")                     # doctest: +SKIP
    >>> results[0].to_dataframe(); results[0].plot(); results[0].save("frame_0.png")  # doctest: +SKIP

A thin layer over what ``yoloxsp predict`` runs (the backend from :func:`~yoloxsp.model.resolve.
open_backend`, :class:`~yoloxsp.model.backends.Predictor`, the length measurement and the overlay
drawing of :mod:`yoloxsp.analysis` and :mod:`yoloxsp.export`), so both give the same numbers. Frames are independent here: linking
spindles into tracks over a movie is the job of ``yoloxsp predict`` (:func:`yoloxsp.movie.analyse_movie`).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import InputError, PathLike

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from .model.backends import Predictor
    from .model.decode import Detections
    from .movie import Analysis
    from .analysis.measure import Measured

Image = np.ndarray  # H x W (one channel) or H x W x C (C = 1-4; red/first = tubulin, green/second = poles)
Source = Union[Image, PathLike, Sequence[Union[Image, PathLike]]]


@dataclass(repr=False)
class FrameResult:
    """The spindles found in one frame.

    ``image``: the frame as the model saw it (8-bit RGB); ``measured``: the spindles with their
    measured ends and lengths (:class:`~yoloxsp.analysis.measure.Measured`); ``pixel_size``: um per
    pixel, None when unknown; ``source``: the file it came from (None for an array); ``frame``: its
    index in that file, or an array's position in the list called with."""

    image: np.ndarray
    measured: Measured
    pixel_size: Optional[float]
    frame: int = 0
    source: Optional[Path] = None

    @property
    def detections(self) -> Detections:
        """Boxes, scores and poles (at the measured ends) in the frame's pixel coordinates."""
        return self.measured.detections

    @property
    def lengths_px(self) -> np.ndarray:
        """One length per spindle (NaN when a pole is missing)."""
        return self.measured.lengths

    def __len__(self) -> int:
        return len(self.detections)

    def __repr__(self) -> str:
        scale = f"{self.pixel_size:.4g} um/px" if self.pixel_size else "pixel size unknown"
        where = f"{self.source}, " if self.source else ""
        return f"<FrameResult {where}frame {self.frame}: {len(self)} spindle(s), {scale}>"

    def to_dataframe(self) -> pd.DataFrame:
        """One row per spindle: frame, score, box (x1 y1 x2 y2), the two poles (the spindle's ends),
        each end's standard error and where the ends came from, ``length_px`` and ``length_um``
        (NaN when the pixel size is unknown): the columns of ``detections.csv`` without the track id."""
        from .analysis.measure import detection_rows
        from .export.tables import detections_table

        rows = detection_rows(self.frame, self.measured, [-1] * len(self), self.pixel_size)
        table = detections_table(rows).drop(columns="track_id")
        return table.astype({c: float for c in table.columns if c not in ("frame", "poles_from")})

    def overlay(self) -> np.ndarray:
        """The frame with boxes, poles and scores drawn (RGB uint8; small frames enlarged twice,
        as in ``yoloxsp predict``'s overlays)."""
        from .export.overlay import draw_detections, overlay_scale

        labels = [f"{score:.2f}" for score in self.detections.scores]
        return draw_detections(self.image, self.detections, labels, scale=overlay_scale(self.image.shape))

    def plot(self, width: float = 6.0) -> Figure:
        """The overlay as a matplotlib ``Figure`` ``width`` inches wide. It is not registered with
        pyplot: a notebook shows it as a cell's value, ``figure.savefig`` writes it."""
        from .export.plots import new_figure

        image = self.overlay()
        figure = new_figure(figsize=(width, width * image.shape[0] / image.shape[1]), dpi=100)
        axes = figure.add_axes((0, 0, 1, 1))
        axes.imshow(image, interpolation="nearest")
        axes.set_axis_off()
        return figure

    def save(self, path: PathLike) -> Path:
        """Write the overlay to ``path`` (format from the suffix: .png, .jpg, .tif...), replacing
        the file only once the new one is complete; returns the path."""
        import cv2

        from .io.atomic import atomic_path

        path = Path(path)
        if not cv2.haveImageWriter(str(path)):
            raise InputError("cannot write an image there: the suffix is no image format OpenCV writes", path)
        with atomic_path(path) as partial:
            if not cv2.imwrite(str(partial), cv2.cvtColor(self.overlay(), cv2.COLOR_RGB2BGR)):
                raise InputError("the overlay could not be written", path)
        return path


class SpindleDetector:
    """Call with an image (H x W or H x W x C array), a file (image, TIFF stack, microscope file,
    video, or a folder of images) or a list of those; returns one :class:`FrameResult` per frame,
    in order. A movie is read whole: for long movies use ``yoloxsp predict``, which streams.

    ``pixel_size`` (um per pixel) overrides what the files record; arrays have none otherwise.
    ``length`` and ``ends`` say how spindles are measured (:func:`yoloxsp.analysis.measure.measure_spindles`).
    """

    def __init__(self, predictor: Predictor, length: str = "ridge", ends: str = "fit"):
        from .analysis.measure import END_METHODS, LENGTH_METHODS

        if length not in LENGTH_METHODS:
            raise InputError(f"unknown length method {length!r}; choose one of {LENGTH_METHODS}")
        if ends not in END_METHODS:
            raise InputError(f"unknown end method {ends!r}; choose one of {END_METHODS}")
        self.predictor, self.length, self.ends = predictor, length, ends

    def __repr__(self) -> str:
        return f"<SpindleDetector {self.predictor.config.size} on {type(self.predictor.backend).__name__}>"

    def __call__(self, source: Source, pixel_size: Optional[float] = None) -> List[FrameResult]:
        from .analysis.measure import measure_spindles

        if pixel_size is not None and pixel_size <= 0:
            raise InputError(f"pixel size must be positive (got {pixel_size})")
        frames, results = _frames(source), []
        # as many frames at a time as the backend runs side by side; the stored frames are not kept
        while chunk := list(islice(frames, max(1, self.predictor.parallel_frames))):
            sizes = [pixel_size or recorded for _, _, _, recorded in chunk]
            images = [_rgb8(frame, index, path, size) for (frame, index, path, _), size in zip(chunk, sizes)]
            found = self.predictor(images, sizes[0]) if len(set(sizes)) == 1 else \
                [self.predictor([image], size)[0] for image, size in zip(images, sizes)]
            for image, detections, (_, index, path, recorded) in zip(images, found, chunk):
                results.append(FrameResult(image, measure_spindles(image, detections, self.length, self.ends),
                                           pixel_size or recorded, index, path))
        return results


def load(model: str = "yoloxsp", backend: str = "auto", device: str = "cpu", length: str = "ridge",
         ends: str = "fit") -> SpindleDetector:
    """A ready :class:`SpindleDetector` for ``model``: ``yoloxsp`` (the bundled model), a model
    folder, a weights file or an ``.onnx`` file. ``backend``: ``auto`` (ONNX Runtime when the model
    has an ONNX file, as the bundled one does; else torch), ``onnx`` or ``torch``; ``device``:
    ``cpu``, ``cuda`` or ``cuda:N``, for either backend (an :class:`~yoloxsp.errors.InputError`
    where the model cannot run there, never the CPU instead). ``length``: ``ridge`` (along the
    tubulin ridge, the default) or ``straight`` (pole to pole).
    ``ends``: ``fit`` (the default: each end placed on the pixels, see :mod:`yoloxsp.analysis.ends`) or
    ``model`` (the network's poles).

        >>> detector = yoloxsp.load()                                # doctest: +SKIP
        >>> [result] = detector("frame.png", pixel_size=0.13)        # doctest: +SKIP
        >>> result.to_dataframe()[["score", "length_um"]]            # doctest: +SKIP
    """
    from .model.backends import Predictor
    from .model.resolve import open_backend

    return SpindleDetector(Predictor(open_backend(model, backend, device)), length, ends)


def analyse(source: PathLike, out: Optional[PathLike] = None, *, model: str = "yoloxsp", backend: str = "auto",
            device: str = "cpu", **options) -> Analysis:
    """A movie from start to end, as ``yoloxsp predict`` runs it: spindles detected, linked into
    tracks, measured, their phases fitted and checked. Returns an
    :class:`~yoloxsp.movie.Analysis`: ``.detections`` and ``.tracks`` (pandas DataFrames with
    the columns of ``detections.csv`` and ``tracks.csv``), ``.plot()`` (length over time) and
    ``.save(folder)``. Nothing is written unless ``out`` names a folder, which then receives what
    ``predict`` writes. ``options`` are those of :func:`yoloxsp.movie.analyse_movie`
    (``pixel_size``, ``frame_interval``, ``channels``, ``length``, ``ends``, ``axes``, ``scene``,
    ``track_score_threshold``, ``overlay``, ``overwrite``, ``progress``).

        >>> result = yoloxsp.analyse("movie.tif", pixel_size=0.107)      # doctest: +SKIP
        >>> result.tracks[["track_id", "anaphase_b_rate_um_per_min"]]     # doctest: +SKIP
    """
    from .model.backends import Predictor
    from .model.resolve import open_backend
    from .movie import analyse_movie

    options.setdefault("progress", False)
    return analyse_movie(source, out, Predictor(open_backend(model, backend, device)), **options)


def _rgb8(frame: np.ndarray, index: int, path: Optional[Path], pixel_size: Optional[float]) -> np.ndarray:
    """The frame as the model takes it; an unusable one named by its file and index."""
    from .io import to_rgb8

    try:
        return to_rgb8(frame, pixel_size)
    except InputError as exc:
        raise InputError(f"frame {index}: {exc}", path) from None


def _frames(source: Source, position: int = 0
            ) -> Iterator[Tuple[np.ndarray, int, Optional[Path], Optional[float]]]:
    """(frame, index, source path, recorded pixel size) for every frame of ``source``; the index
    of a file's frame counts within the file, that of an array is its ``position`` in the list."""
    if isinstance(source, np.ndarray):
        yield source, position, None, None
    elif isinstance(source, (str, Path)):
        from .io import open_movie

        movie = open_movie(source)
        for index, frame in enumerate(movie.frames()):
            yield frame, index, movie.path, movie.pixel_size
    elif isinstance(source, (list, tuple)):
        for position, item in enumerate(source):
            yield from _frames(item, position)
    else:
        raise InputError(f"expected an image array, a path or a list of them, got {type(source).__name__}")
