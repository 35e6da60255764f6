"""The biologist's job on one movie: detect, track, measure, and write tables, overlays and a plot.

Shared by ``yoloxsp predict`` and the demo app. One streaming pass: frames are read in order,
detected and measured by ``predictor.parallel_frames`` worker threads (a few frames in flight, so
memory does not grow with the movie), then linked into tracks online and drawn in order.

A long movie must not lose its finished frames to a late crash, a bad frame or Ctrl-C: each
frame's rows go into ``detections.csv`` as soon as it is linked (flushed, so even a killed
process leaves them on disk), and on any exception the track table, overlay and plot are
finished from the frames done before the exception is re-raised. The other outputs are written
under a temporary name and renamed when finished; existing outputs are kept unless ``overwrite``.
"""
from __future__ import annotations

import csv
import os
import shutil
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from tqdm import tqdm

from ..errors import InputError, OutputExistsError, PathLike
from ..io import Movie, open_movie, to_rgb8
from ..model.backends import Predictor
from ..model.decode import Detections
from .measure import DETECTION_COLUMNS, TRACK_COLUMNS, detection_rows, spindle_lengths, track_rows
from .overlay import OVERLAYS, draw_detections
from .phases import PHASE_COLUMNS, with_phases
from .plots import plot_lengths
from .tracks import TrackLinker, search_range_for

OUTPUTS = ("detections.csv", "tracks.csv", "overlay", "overlay.avi", "lengths.png")
VIDEO_FPS = 10


@dataclass
class Analysis:
    out: Path
    n_frames: int
    detections: List[dict]
    tracks: List[dict]
    pixel_size: Optional[float]
    frame_interval: Optional[float]

    def summary(self) -> str:
        return (f"{self.n_frames} frame(s), {len(self.detections)} spindle detections in {len(self.tracks)} "
                f"track(s); pixel size {f'{self.pixel_size:.4g}' if self.pixel_size else 'unknown'} um, frame interval "
                f"{self.frame_interval or 'unknown'} s -> {self.out}")


def analyse_movie(source: PathLike, out: PathLike, predictor: Predictor, pixel_size: Optional[float] = None,
                  frame_interval: Optional[float] = None, channels: Optional[Sequence[int]] = None,
                  length: str = "ridge", overlay: str = "auto", overwrite: bool = False,
                  progress: bool = True, *, axes: Optional[str] = None,
                  scene: Optional[Union[str, int]] = None) -> Analysis:
    """Detect, track and measure every frame of ``source`` and write the outputs into ``out``.

    ``axes`` and ``scene`` say how to read the input (see :func:`yoloxsp.io.open_movie`).

    ``overlay``: ``video`` (``overlay.avi``, Motion-JPEG, which Fiji opens natively and any player
    plays), ``frames`` (``overlay/frame_NNNNNN.png``), ``none``, or ``auto``: a video for movies,
    a PNG for a single image.
    """
    if overlay not in OVERLAYS:
        raise InputError(f"unknown overlay {overlay!r}; choose one of {OVERLAYS}")
    for value, name in ((pixel_size, "pixel size"), (frame_interval, "frame interval")):
        if value is not None and value <= 0:
            raise InputError(f"{name} must be positive (got {value})")
    movie = open_movie(source, axes=axes, scene=scene)
    out = Path(out)
    existing = [name for name in OUTPUTS if (out / name).exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{out} already holds {', '.join(existing)}; use --overwrite to replace them")
    pixel_size = pixel_size or movie.pixel_size
    frame_interval = frame_interval or movie.frame_interval

    if overlay == "auto":
        overlay = "video" if movie.n_frames > 1 else "frames"
    out.mkdir(parents=True, exist_ok=True)
    linker, rows, done = TrackLinker(search_range_for(pixel_size)), [], 0
    measured = _detect_and_measure(movie, channels, predictor, length)
    try:
        with _FrameTable(out / "detections.csv") as table, _OverlayWriter(overlay, out) as write_overlay:
            for t, (frame, detections, lengths) in enumerate(
                    tqdm(measured, total=movie.n_frames, desc="analysing", unit="frame", disable=not progress)):
                track_ids = linker.update(detections)
                frame_rows = detection_rows(t, detections, track_ids, pixel_size, lengths)
                table.write(frame_rows)
                rows += frame_rows
                done = t + 1
                write_overlay(frame, detections, track_ids)  # stopped while drawing: the overlay lacks this frame
    except BaseException as error:
        measured.close()  # stops the worker threads before anything else
        if not done:
            (out / "detections.csv").unlink(missing_ok=True)
            raise
        _write_summaries(out, rows, done, pixel_size, frame_interval)
        print(f"yoloxsp: stopped by {type(error).__name__} after {done} of {movie.n_frames} frame(s); the outputs "
              f"in {out} hold frames 0-{done - 1}", file=sys.stderr)
        raise
    tracks = _write_summaries(out, rows, movie.n_frames, pixel_size, frame_interval)
    return Analysis(out, movie.n_frames, rows, tracks, pixel_size, frame_interval)


def _write_summaries(out: Path, rows: List[dict], n_frames: int, pixel_size: Optional[float],
                     frame_interval: Optional[float]) -> List[dict]:
    """``tracks.csv`` and ``lengths.png`` from the detection rows of ``n_frames`` frames; returns the track rows."""
    tracks = with_phases(track_rows(rows, frame_interval), rows, n_frames, pixel_size, frame_interval)
    _write_csv(out / "tracks.csv", TRACK_COLUMNS + PHASE_COLUMNS, tracks)
    partial_plot = out / "lengths.partial.png"
    plot_lengths(rows, partial_plot, frame_interval)
    os.replace(partial_plot, out / "lengths.png")
    return tracks


def _detect_and_measure(movie: Movie, channels: Optional[Sequence[int]], predictor: Predictor, length: str
                        ) -> Iterator[Tuple[np.ndarray, Detections, np.ndarray]]:
    """``(8-bit RGB frame, detections, lengths)`` in frame order. Frames are read in order here;
    contrast, detection and measurement run in ``predictor.parallel_frames`` threads with at most
    twice that many frames in flight."""
    def work(t: int, frame: np.ndarray):
        try:
            rgb = to_rgb8(frame)
        except InputError as exc:
            raise InputError(f"frame {t}: {exc}", movie.path) from None
        detections = predictor([rgb])[0]
        return rgb, detections, spindle_lengths(rgb, detections, length)

    workers = predictor.parallel_frames
    pool, pending = ThreadPoolExecutor(workers), deque()
    try:
        for t, frame in enumerate(_frames(movie, channels)):
            pending.append(pool.submit(work, t, frame))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # on an early stop, frames not yet started are not worked on in vain
        pool.shutdown(wait=True, cancel_futures=True)


class _FrameTable:
    """``detections.csv`` written as frames finish, flushed after each, so a crash or kill keeps them."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> "_FrameTable":
        self.handle = open(self.path, "w", newline="")
        self.writer = csv.DictWriter(self.handle, fieldnames=DETECTION_COLUMNS)
        self.writer.writeheader()
        return self

    def write(self, rows: List[dict]) -> None:
        self.writer.writerows(_formatted(row) for row in rows)
        self.handle.flush()

    def __exit__(self, error_type, error, traceback) -> None:
        self.handle.close()


class _OverlayWriter:
    """Context giving ``write(frame, detections, track_ids)`` for the chosen overlay kind; the
    overlay appears under its final name when the movie is done -- or stopped after drawing some
    frames, which it then holds -- and replaces any earlier overlay of either kind (an overwritten
    run must not leave an old one beside the new tables)."""

    def __init__(self, kind: str, out: Path):
        self.kind, self.out, self.count, self.video, self.size = kind, out, 0, None, None
        self.staging = out / ("overlay.partial.avi" if kind == "video" else "overlay.partial")

    def __enter__(self) -> Callable[[np.ndarray, Detections, np.ndarray], None]:
        if self.kind == "frames":
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging.mkdir()
        return self.write

    def write(self, frame: np.ndarray, detections, track_ids: np.ndarray) -> None:
        if self.kind == "none":
            return
        scale = 2 if min(frame.shape[:2]) < 400 else 1  # small fields enlarged so labels stay legible
        image = cv2.cvtColor(draw_detections(frame, detections, [str(i) for i in track_ids], scale=scale),
                             cv2.COLOR_RGB2BGR)
        if self.kind == "frames":
            cv2.imwrite(str(self.staging / f"frame_{self.count:06d}.png"), image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        else:
            if self.video is None:
                self.size = (image.shape[1], image.shape[0])
                self.video = cv2.VideoWriter(str(self.staging), cv2.VideoWriter_fourcc(*"MJPG"), VIDEO_FPS, self.size)
                if not self.video.isOpened():
                    raise RuntimeError(f"OpenCV cannot write a Motion-JPEG AVI to {self.staging}")
            if (image.shape[1], image.shape[0]) != self.size:  # a video has one frame size; OpenCV would drop it
                image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
            self.video.write(image)
        self.count += 1

    def __exit__(self, error_type, error, traceback) -> None:
        if self.video is not None:
            self.video.release()
        if error_type is not None and not self.count:
            _remove(self.staging)
            return
        for name in ("overlay.avi", "overlay"):
            _remove(self.out / name)
        if self.staging.exists():
            os.replace(self.staging, self.out / ("overlay.avi" if self.kind == "video" else "overlay"))


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _frames(movie: Movie, channels: Optional[Sequence[int]]) -> Iterator[np.ndarray]:
    """The chosen channels of each frame, as stored (any bit depth)."""
    for t, frame in enumerate(movie.frames()):
        if channels:
            if max(channels) >= frame.shape[2]:
                raise InputError(f"frame {t}: --channels {list(channels)} but the frame has {frame.shape[2]} "
                                 "channel(s)", movie.path)
            frame = frame[..., list(channels)]
        yield frame


def _write_csv(path: Path, columns: List[str], rows: List[dict]) -> None:
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(_formatted(row) for row in rows)
    os.replace(partial, path)


def _formatted(row: dict) -> dict:
    return {k: (f"{v:.3f}" if isinstance(v, (float, np.floating)) else v) for k, v in row.items()}
