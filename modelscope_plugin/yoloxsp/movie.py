"""The analysis core: frames -> per-frame results -> tracks, lengths, phases and flags, held in
memory as an :class:`Analysis` (pandas DataFrames ``detections`` and ``tracks``, ``plot()``,
``save(folder)``). Every entry point runs it: ``yoloxsp.analyse``, ``yoloxsp predict``, ``yoloxsp
batch`` (in this process, a process pool or on Dask), the ModelScope pipeline (one image is a movie
of one frame) and the demo app; so all of them give the same numbers.

What a movie's numbers come from (pixel size, frame interval, channels, contrast) is decided once,
by :func:`yoloxsp.analysis.inputs.open_input`; how it is measured and drawn is a :class:`Settings`.

One streaming pass (:func:`frame_results`): frames are read in order and prepared and detected by
``predictor.parallel_frames`` worker threads (a few frames in flight, so memory does not grow with
the movie), then linked into tracks online; the spindles reported are measured in order.

Written out (:func:`analyse_movie` with a folder), a long movie must not lose its finished frames to
a late crash, a bad frame or Ctrl-C: each frame's rows go into ``detections.csv`` as soon as it is
linked (unbuffered, so even a killed process leaves them), and on any exception the table is cut
back to the frames it counted and the track table, overlay and plot are finished from those frames
before the exception is re-raised (Ctrl-C while the last summaries are written too). Every output
is written under a temporary name and renamed when finished (``detections.csv`` once it holds its
first frame), so a run that fails early leaves earlier outputs as they were; they are replaced only
with ``overwrite``, and an earlier track table and plot are removed once the new table holds a
frame, so that outputs of two runs never stand side by side.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List, Optional, Tuple, Union

import numpy as np
import pandas as pd

from .analysis.checks import flagged, with_flags
from .analysis.inputs import MovieInput, Source, open_input
from .analysis.evidence import spindles_with_ends
from .analysis.measure import END_METHODS, LENGTH_METHODS, Measured, detection_rows, measure_spindles, track_rows
from .analysis.phases import with_phases
from .analysis.tracks import TRACK_SCORE_THRESHOLD, ConfirmingLinker, check_track_score_threshold, search_range_for
from .errors import InputError, OutputExistsError, PathLike, note_kept
from .export.overlay import OVERLAY_NAMES, OVERLAYS, OverlayWriter, draw_detections, overlay_scale
from .export.plots import lengths_figure, new_figure, plot_lengths
from .export.tables import DetectionsWriter, detections_table, tracks_table, write_table
from .io.atomic import atomic_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .model.backends import Predictor
    from .model.decode import Detections

SUMMARIES = ("tracks.csv", "lengths.png")
OUTPUTS = ("detections.csv", *OVERLAY_NAMES.values(), *SUMMARIES)


@dataclass(frozen=True)
class Settings:
    """How a movie is read, measured and drawn: everything besides the model and the calibration
    that changes its results. One object for ``predict``, ``batch`` (it is part of what a finished
    movie's ``done.json`` records), ``yoloxsp.analyse``, the pipeline and the demo.

    ``pole_check``: a detection is reported only where it shows a spindle's two ends (both in the
    field and, with an SPB channel showing dots, a pole body at each; :mod:`yoloxsp.analysis.evidence`).
    ``length``: ``ridge`` (along the tubulin ridge between the ends) or ``straight`` (end to end).
    ``ends``: ``fit`` (each end placed on the pixels, see :mod:`yoloxsp.analysis.ends`) or ``model``
    (the network's poles). ``channels``: input channels to use, tubulin first then SPB (None: the
    file's). ``track_threshold``: detections down to this score are candidates, and one under the
    model's own threshold is reported where it continues a confirmed track
    (:class:`~yoloxsp.analysis.tracks.ConfirmingLinker`); None, or the model's threshold or more,
    reports the model's detections only. ``axes``, ``scene``: how a file is read
    (:func:`yoloxsp.io.open_movie`). ``overlay``: ``video``, ``frames``, ``none`` or ``auto`` (a
    video for movies, a PNG for a single image)."""

    length: str = "ridge"
    ends: str = "fit"
    channels: Optional[Tuple[int, ...]] = None
    track_threshold: Optional[float] = TRACK_SCORE_THRESHOLD
    axes: Optional[str] = None
    scene: Optional[Union[str, int]] = None
    overlay: str = "auto"
    pole_check: bool = True

    def __post_init__(self) -> None:
        """Refused here, before any file is opened or written."""
        for value, allowed, what in ((self.length, LENGTH_METHODS, "length method"),
                                     (self.ends, END_METHODS, "end method"), (self.overlay, OVERLAYS, "overlay")):
            if value not in allowed:
                raise InputError(f"unknown {what} {value!r}; choose one of {allowed}")
        check_track_score_threshold(self.track_threshold)
        if self.channels is not None:  # a list from a command line or JSON; a tuple keeps the object hashable
            object.__setattr__(self, "channels", tuple(int(c) for c in self.channels) or None)


@dataclass(repr=False)
class FrameResult:
    """The spindles of one frame.

    ``image``: the frame as the model saw it (8-bit RGB); ``measured``: the spindles with their
    measured ends and lengths (:class:`~yoloxsp.analysis.measure.Measured`); ``pixel_size``: um per
    pixel, None when unknown; ``frame``: its index in the movie (or an array's position in the
    list called with); ``source``: the file it came from (None for an array); ``track_ids``: each
    spindle's track (None where frames were not linked)."""

    image: np.ndarray
    measured: Measured
    pixel_size: Optional[float]
    frame: int = 0
    source: Optional[Path] = None
    track_ids: Optional[np.ndarray] = None

    @property
    def detections(self) -> Detections:
        """Boxes, scores and poles (at the measured ends) in the frame's pixel coordinates."""
        return self.measured.detections

    @property
    def lengths_px(self) -> np.ndarray:
        """One length per spindle (NaN when a pole is missing)."""
        return self.measured.lengths

    @property
    def lengths_um(self) -> np.ndarray:
        """One length per spindle in um (NaN when a pole or the pixel size is missing)."""
        return self.measured.lengths * (self.pixel_size or np.nan)

    def __len__(self) -> int:
        return len(self.detections)

    def __repr__(self) -> str:
        scale = f"{self.pixel_size:.4g} um/px" if self.pixel_size else "pixel size unknown"
        where = f"{self.source}, " if self.source else ""
        return f"<FrameResult {where}frame {self.frame}: {len(self)} spindle(s), {scale}>"

    def rows(self) -> List[dict]:
        """The frame's rows of ``detections.csv`` (track id -1 where frames were not linked)."""
        ids = self.track_ids if self.track_ids is not None else [-1] * len(self)
        return detection_rows(self.frame, self.measured, ids, self.pixel_size)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per spindle: frame, score, box (x1 y1 x2 y2), the two poles (the spindle's ends),
        each end's standard error and where the ends came from, ``length_px`` and ``length_um``
        (NaN when the pixel size is unknown): the columns of ``detections.csv`` without the track id."""
        table = detections_table(self.rows()).drop(columns="track_id")
        return table.astype({c: float for c in table.columns if c not in ("frame", "poles_from")})

    def overlay(self) -> np.ndarray:
        """The frame with boxes, poles and scores drawn (RGB uint8; small frames enlarged twice,
        as in ``yoloxsp predict``'s overlays)."""
        labels = [f"{score:.2f}" for score in self.detections.scores]
        return draw_detections(self.image, self.detections, labels, scale=overlay_scale(self.image.shape))

    def plot(self, width: float = 6.0) -> Figure:
        """The overlay as a matplotlib ``Figure`` ``width`` inches wide. It is not registered with
        pyplot: a notebook shows it as a cell's value, ``figure.savefig`` writes it."""
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

        path = Path(path)
        if not cv2.haveImageWriter(str(path)):
            raise InputError("cannot write an image there: the suffix is no image format OpenCV writes", path)
        with atomic_path(path) as partial:
            if not cv2.imwrite(str(partial), cv2.cvtColor(self.overlay(), cv2.COLOR_RGB2BGR)):
                raise InputError("the overlay could not be written", path)
        return path


@dataclass
class Analysis:
    """One movie analysed: ``detections`` and ``tracks`` hold the rows of ``detections.csv`` and
    ``tracks.csv``; ``out`` is the folder they were written to (None when kept in memory);
    ``frame_size`` is (width, height) of its first frame."""

    out: Optional[Path]
    n_frames: int
    detections: pd.DataFrame  # the rows of detections.csv
    tracks: pd.DataFrame      # the rows of tracks.csv
    pixel_size: Optional[float]
    frame_interval: Optional[float]
    frame_size: Optional[Tuple[int, int]] = None

    def summary(self) -> str:
        pixel_size = f"{self.pixel_size:.4g}" if self.pixel_size else "unknown"
        return (f"{self.n_frames} frame(s), {len(self.detections)} spindle detections in {len(self.tracks)} "
                f"track(s), {int(flagged(self.tracks).sum())} flagged for a look (tracks.csv: flags); "
                f"pixel size {pixel_size} um, frame interval {self.frame_interval or 'unknown'} s -> "
                f"{self.out or 'in memory'}")

    def plot(self) -> Figure:
        """Spindle length over time, one line per track (what ``lengths.png`` shows), as a matplotlib
        ``Figure`` not registered with pyplot."""
        return lengths_figure(self.detections.to_dict("records"), self.frame_interval)

    def save(self, folder: PathLike, overwrite: bool = False) -> Path:
        """Write ``detections.csv``, ``tracks.csv`` and ``lengths.png`` into ``folder`` (each complete or
        not at all); existing ones are kept unless ``overwrite``. Returns the folder."""
        folder = Path(folder)
        existing = [name for name in ("detections.csv", *SUMMARIES) if (folder / name).exists()]
        if existing and not overwrite:
            raise OutputExistsError(f"{folder} already holds {', '.join(existing)}; pass overwrite=True to replace them")
        folder.mkdir(parents=True, exist_ok=True)
        write_table(self.detections, folder / "detections.csv")
        _write_summaries(folder, self.tracks, self.detections.to_dict("records"), self.frame_interval)
        return folder


def frame_results(movie: MovieInput, predictor: Predictor, settings: Settings = Settings(), *, linked: bool = True,
                  first: int = 0) -> Iterator[FrameResult]:
    """One :class:`FrameResult` per frame of ``movie``, in order, as the frames are read.
    ``linked``: spindles are linked into tracks (``track_ids``) and, with ``settings.track_threshold``,
    a dimmer detection continuing a confirmed track is reported too; otherwise every frame stands
    alone (the model's detections). ``first``: the number of the first frame (an array's position
    in a list of images). Closing the iterator stops the worker threads."""
    linker = None
    if linked:
        linker = ConfirmingLinker(predictor.config.decode.score_threshold, search_range_for(movie.pixel_size))
        if settings.track_threshold is not None and settings.track_threshold < linker.score_threshold:
            predictor = predictor.at_score_threshold(settings.track_threshold)  # the candidates
    detected = _detect(movie, predictor, first, settings.pole_check)
    try:
        for t, (image, candidates) in enumerate(detected, first):
            track_ids = None
            if linker is not None:
                keep, track_ids = linker.update(candidates)
                candidates = candidates.select(keep)
            measured = measure_spindles(image, candidates, settings.length, settings.ends)  # only what is reported
            yield FrameResult(image, measured, movie.pixel_size, t, movie.path, track_ids)
    finally:
        detected.close()  # stops the worker threads before anything else


class _Unwritten:
    """Stands in for the table and overlay writers of an analysis kept in memory: counts frames."""

    frames = 0

    def __enter__(self) -> "_Unwritten":
        return self

    def write(self, *_) -> None:
        self.frames += 1

    def __exit__(self, *_) -> None:
        pass


def analyse_movie(source: Source, out: Optional[PathLike], predictor: Predictor, settings: Optional[Settings] = None,
                  *, pixel_size: Optional[float] = None, frame_interval: Optional[float] = None,
                  overwrite: bool = False, progress: bool = True, **changes) -> Analysis:
    """Detect, track and measure every frame of ``source`` (a path, an image array, or a
    :class:`~yoloxsp.analysis.inputs.MovieInput` already opened with its calibration decided) and
    write the outputs into ``out`` (``None``: nothing is written, the tables come back in the
    :class:`Analysis` alone).

    ``settings`` (default :class:`Settings`), with any of its fields changed by keyword
    (``changes``, e.g. ``ends="model"``); ``pixel_size`` (um) and ``frame_interval`` (s) beat the
    file's metadata (:func:`~yoloxsp.analysis.inputs.open_input`).
    """
    settings = replace(settings or Settings(), **changes)
    movie = open_input(source, pixel_size=pixel_size, frame_interval=frame_interval, channels=settings.channels,
                       axes=settings.axes, scene=settings.scene)
    out = None if out is None else Path(out)
    existing = [name for name in OUTPUTS if out is not None and (out / name).exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{out} already holds {', '.join(existing)}; use --overwrite to replace them")
    overlay = settings.overlay
    if overlay == "auto":
        overlay = "video" if movie.n_frames > 1 else "frames"
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    rows, summarising, frame_size = [], False, None
    table = DetectionsWriter(out / "detections.csv") if out is not None else _Unwritten()
    drawn = OverlayWriter(overlay, out) if out is not None else _Unwritten()
    results = frame_results(movie, predictor, settings)
    try:
        with table, drawn:
            for result in _progress(results, movie.n_frames, progress):
                frame_rows = result.rows()
                rows += frame_rows
                table.write(frame_rows)
                if result.frame == 0:
                    frame_size = (result.image.shape[1], result.image.shape[0])
                    if out is not None:
                        _remove_summaries(out)  # an earlier run's, which no longer match the table
                drawn.write(result.image, result.detections, result.track_ids)  # stopped here: the overlay lacks it
        summarising = True
        tracks = _track_table(rows, movie.n_frames, movie.pixel_size, movie.frame_interval)
        if out is not None:
            _write_summaries(out, tracks, rows, movie.frame_interval)
    except BaseException as error:
        results.close()  # stops the worker threads before anything else
        done = table.frames  # the frames detections.csv holds, whenever the stop came
        if not done or out is None or (summarising and not isinstance(error, KeyboardInterrupt)):
            raise  # nothing to finish, or summaries that failed once would fail again
        kept = [row for row in rows if row["frame"] < done]
        _write_summaries(out, _track_table(kept, done, movie.pixel_size, movie.frame_interval), kept,
                         movie.frame_interval)
        note_kept(error, f"stopped after {done} of {movie.n_frames} frame(s); the outputs in {out} hold frames "
                         f"0-{done - 1}")
        raise
    return Analysis(out, movie.n_frames, detections_table(rows), tracks, movie.pixel_size, movie.frame_interval,
                    frame_size)


def _progress(results: Iterator[FrameResult], total: int, shown: bool) -> Iterator[FrameResult]:
    """``results`` with a progress bar when ``shown`` (tqdm is imported only then)."""
    if not shown:
        return results
    from tqdm import tqdm

    return tqdm(results, total=total, desc="analysing", unit="frame")


def _remove_summaries(out: Path) -> None:
    for name in SUMMARIES:
        (out / name).unlink(missing_ok=True)


def _track_table(rows: List[dict], n_frames: int, pixel_size: Optional[float], frame_interval: Optional[float]
                 ) -> pd.DataFrame:
    """The rows of ``tracks.csv`` from the detection rows of ``n_frames`` frames."""
    phased = with_phases(track_rows(rows, frame_interval), rows, n_frames, pixel_size, frame_interval)
    return tracks_table(with_flags(phased, n_frames))


def _write_summaries(out: Path, tracks: pd.DataFrame, rows: List[dict], frame_interval: Optional[float]) -> None:
    """``tracks.csv`` and ``lengths.png`` (each complete or not at all)."""
    write_table(tracks, out / "tracks.csv")
    with atomic_path(out / "lengths.png") as partial:
        plot_lengths(rows, partial, frame_interval)


def _detect(movie: MovieInput, predictor: Predictor, first: int, pole_check: bool = True
            ) -> Iterator[Tuple[np.ndarray, Detections]]:
    """``(8-bit RGB frame, candidate detections)`` in frame order, with ``pole_check`` only those
    showing a spindle's two ends. Frames are read in order here; preparing and detecting run in
    ``predictor.parallel_frames`` threads with at most twice that many frames in flight."""
    def work(t: int, frame: np.ndarray):
        rgb = movie.prepare(t, frame)
        found = predictor([rgb], movie.pixel_size, rgb8=True)[0]  # the pixel size sets the scale the model sees
        return rgb, spindles_with_ends(rgb, found) if pole_check else found

    workers = predictor.parallel_frames
    pool, pending = ThreadPoolExecutor(workers), deque()
    try:
        for t, frame in enumerate(movie.raw_frames(), first):
            pending.append(pool.submit(work, t, frame))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # on an early stop, frames not yet started are not worked on in vain
        pool.shutdown(wait=True, cancel_futures=True)
