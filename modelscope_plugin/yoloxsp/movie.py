"""The biologist's job on one movie: detect, track, measure, and write tables, overlays and a plot.

Shared by ``yoloxsp predict`` and the demo app. One streaming pass: frames are read in order and
detected by ``predictor.parallel_frames`` worker threads (a few frames in flight, so memory does not
grow with the movie), then linked into tracks online; the spindles reported are measured and drawn
in order.

A long movie must not lose its finished frames to a late crash, a bad frame or Ctrl-C: each
frame's rows go into ``detections.csv`` as soon as it is linked (unbuffered, so even a killed
process leaves them), and on any exception the table is cut back to the frames it counted and the
track table, overlay and plot are finished from those frames before the exception is re-raised
(Ctrl-C while the last summaries are written too). Every output is written under a temporary name
and renamed when finished (``detections.csv`` once it holds its first frame), so a run that fails
early leaves earlier outputs as they were; they are replaced only with ``overwrite``, and an earlier
track table and plot are removed once the new table holds a frame, so that outputs of two runs
never stand side by side.

The pieces live with their kind: reading and channel selection in :mod:`yoloxsp.io`, the tables
in :mod:`.export.tables`, the overlay writer with the drawing in :mod:`.export.overlay`.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd
from tqdm import tqdm

from .analysis.checks import flagged, with_flags
from .analysis.measure import END_METHODS, detection_rows, measure_spindles, track_rows
from .analysis.phases import with_phases
from .analysis.tracks import TRACK_SCORE_THRESHOLD, ConfirmingLinker, check_track_score_threshold, search_range_for
from .errors import InputError, OutputExistsError, PathLike, note_kept
from .export.overlay import OVERLAY_NAMES, OVERLAYS, OverlayWriter
from .export.plots import lengths_figure, plot_lengths
from .export.tables import DetectionsWriter, detections_table, tracks_table, write_table
from .io import Movie, open_movie, to_rgb8
from .io.atomic import atomic_path
from .model.backends import Predictor
from .model.decode import Detections

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SUMMARIES = ("tracks.csv", "lengths.png")
OUTPUTS = ("detections.csv", *OVERLAY_NAMES.values(), *SUMMARIES)


@dataclass
class Analysis:
    """One movie analysed: ``detections`` and ``tracks`` hold the rows of ``detections.csv`` and
    ``tracks.csv``; ``out`` is the folder they were written to (None when kept in memory)."""

    out: Optional[Path]
    n_frames: int
    detections: pd.DataFrame  # the rows of detections.csv
    tracks: pd.DataFrame      # the rows of tracks.csv
    pixel_size: Optional[float]
    frame_interval: Optional[float]

    def summary(self) -> str:
        pixel_size = f"{self.pixel_size:.4g}" if self.pixel_size else "unknown"
        return (f"{self.n_frames} frame(s), {len(self.detections)} spindle detections in {len(self.tracks)} "
                f"track(s), {int(flagged(self.tracks).sum())} flagged for a look (tracks.csv: flags); "
                f"pixel size {pixel_size} um, frame interval {self.frame_interval or 'unknown'} s -> "
                f"{self.out or 'in memory'}")

    def plot(self) -> "Figure":
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


class _Unwritten:
    """Stands in for the table and overlay writers of an analysis kept in memory: counts frames."""

    frames = 0

    def __enter__(self) -> "_Unwritten":
        return self

    def write(self, *_) -> None:
        self.frames += 1

    def __exit__(self, *_) -> None:
        pass


def analyse_movie(source: PathLike, out: Optional[PathLike], predictor: Predictor, pixel_size: Optional[float] = None,
                  frame_interval: Optional[float] = None, channels: Optional[Sequence[int]] = None,
                  length: str = "ridge", overlay: str = "auto", overwrite: bool = False,
                  progress: bool = True, *, ends: str = "fit", axes: Optional[str] = None,
                  scene: Optional[Union[str, int]] = None,
                  track_score_threshold: Optional[float] = TRACK_SCORE_THRESHOLD) -> Analysis:
    """Detect, track and measure every frame of ``source`` and write the outputs into ``out``
    (``None``: nothing is written, the tables come back in the :class:`Analysis` alone).

    ``ends``: ``fit`` (default) places each spindle's ends on the pixels, ``model`` keeps the
    network's poles (see :func:`~yoloxsp.analysis.measure.measure_spindles`).

    ``axes`` and ``scene`` say how to read the input (see :func:`yoloxsp.io.open_movie`).

    ``track_score_threshold``: detections down to this score are candidates, and one under the
    model's own threshold is reported (and linked) where it continues a confirmed track (see
    :class:`~yoloxsp.analysis.tracks.ConfirmingLinker`); ``None``, or the model's threshold or more,
    reports the model's detections only.

    ``overlay``: ``video``, ``frames`` or ``none`` (see :class:`~yoloxsp.export.overlay.OverlayWriter`),
    or ``auto``: a video for movies, a PNG for a single image.
    """
    if overlay not in OVERLAYS:
        raise InputError(f"unknown overlay {overlay!r}; choose one of {OVERLAYS}")
    if ends not in END_METHODS:
        raise InputError(f"unknown end method {ends!r}; choose one of {END_METHODS}")
    for value, name in ((pixel_size, "pixel size"), (frame_interval, "frame interval")):
        if value is not None and value <= 0:
            raise InputError(f"{name} must be positive (got {value})")
    check_track_score_threshold(track_score_threshold)
    movie = open_movie(source, axes=axes, scene=scene)
    out = None if out is None else Path(out)
    existing = [name for name in OUTPUTS if out is not None and (out / name).exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{out} already holds {', '.join(existing)}; use --overwrite to replace them")
    pixel_size = pixel_size or movie.pixel_size
    frame_interval = frame_interval or movie.frame_interval

    if overlay == "auto":
        overlay = "video" if movie.n_frames > 1 else "frames"
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    linker = ConfirmingLinker(predictor.config.decode.score_threshold, search_range_for(pixel_size))
    rows, summarising = [], False
    if track_score_threshold is not None and track_score_threshold < linker.score_threshold:
        predictor = predictor.at_score_threshold(track_score_threshold)  # the candidates
    table = DetectionsWriter(out / "detections.csv") if out is not None else _Unwritten()
    drawn = OverlayWriter(overlay, out) if out is not None else _Unwritten()
    detected = _detect(movie, channels, predictor, pixel_size)
    try:
        with table, drawn:
            for t, (frame, candidates) in enumerate(
                    tqdm(detected, total=movie.n_frames, desc="analysing", unit="frame", disable=not progress)):
                keep, track_ids = linker.update(candidates)
                reported = measure_spindles(frame, candidates.select(keep), length, ends)  # only what is reported
                detections = reported.detections
                frame_rows = detection_rows(t, reported, track_ids, pixel_size)
                rows += frame_rows
                table.write(frame_rows)
                if t == 0 and out is not None:
                    _remove_summaries(out)  # an earlier run's, which no longer match the table
                drawn.write(frame, detections, track_ids)  # stopped while drawing: the overlay lacks this frame
        summarising = True
        tracks = _track_table(rows, movie.n_frames, pixel_size, frame_interval)
        if out is not None:
            _write_summaries(out, tracks, rows, frame_interval)
    except BaseException as error:
        detected.close()  # stops the worker threads before anything else
        done = table.frames  # the frames detections.csv holds, whenever the stop came
        if not done or out is None or (summarising and not isinstance(error, KeyboardInterrupt)):
            raise  # nothing to finish, or summaries that failed once would fail again
        kept = [row for row in rows if row["frame"] < done]
        _write_summaries(out, _track_table(kept, done, pixel_size, frame_interval), kept, frame_interval)
        note_kept(error, f"stopped after {done} of {movie.n_frames} frame(s); the outputs in {out} hold frames "
                         f"0-{done - 1}")
        raise
    return Analysis(out, movie.n_frames, detections_table(rows), tracks, pixel_size, frame_interval)


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


def _detect(movie: Movie, channels: Optional[Sequence[int]], predictor: Predictor, pixel_size: Optional[float]
            ) -> Iterator[Tuple[np.ndarray, Detections]]:
    """``(8-bit RGB frame, candidate detections)`` in frame order. Frames are read in order here;
    contrast and detection run in ``predictor.parallel_frames`` threads with at most twice that
    many frames in flight."""
    def work(t: int, frame: np.ndarray):
        try:
            rgb = to_rgb8(frame, pixel_size)
        except InputError as exc:
            raise InputError(f"frame {t}: {exc}", movie.path) from None
        return rgb, predictor([rgb], pixel_size)[0]  # the pixel size sets the scale the model sees

    workers = predictor.parallel_frames
    pool, pending = ThreadPoolExecutor(workers), deque()
    try:
        for t, frame in enumerate(movie.frames(channels)):
            pending.append(pool.submit(work, t, frame))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # on an early stop, frames not yet started are not worked on in vain
        pool.shutdown(wait=True, cancel_futures=True)
