"""The biologist's job on one movie: detect, track, measure, and write tables, overlays and a plot.

Shared by ``yoloxsp predict`` and the demo app. Frames are streamed twice (detect, then draw),
so memory does not grow with the movie; every output is written under a temporary name and
renamed when complete; existing outputs are kept unless ``overwrite``.
"""
from __future__ import annotations

import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

import cv2
import numpy as np
from tqdm import tqdm

from ..errors import InputError, PathLike
from ..io import open_movie, to_rgb8
from ..model.backends import Predictor
from .measure import DETECTION_COLUMNS, TRACK_COLUMNS, detection_rows, spindle_lengths, track_rows
from .overlay import draw_detections
from .plots import plot_lengths
from .tracks import link_tracks, search_range_for

OUTPUTS = ("detections.csv", "tracks.csv", "overlay", "lengths.png")


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
                f"track(s); pixel size {self.pixel_size or 'unknown'} um, frame interval "
                f"{self.frame_interval or 'unknown'} s -> {self.out}")


def analyse_movie(source: PathLike, out: PathLike, predictor: Predictor, pixel_size: Optional[float] = None,
                  frame_interval: Optional[float] = None, channels: Optional[Sequence[int]] = None,
                  length: str = "ridge", overwrite: bool = False, progress: bool = True) -> Analysis:
    for value, name in ((pixel_size, "pixel size"), (frame_interval, "frame interval")):
        if value is not None and value <= 0:
            raise ValueError(f"{name} must be positive (got {value})")
    movie = open_movie(source)
    out = Path(out)
    existing = [name for name in OUTPUTS if (out / name).exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{out} already holds {', '.join(existing)}; use --overwrite to replace them")
    pixel_size = pixel_size or movie.pixel_size
    frame_interval = frame_interval or movie.frame_interval

    detections, lengths = [], []
    for frame in tqdm(_frames(movie, channels), total=movie.n_frames, desc="detecting", unit="frame",
                      disable=not progress):
        detections.append(predictor([frame])[0])
        lengths.append(spindle_lengths(frame, detections[-1], length))
    track_ids = link_tracks(detections, search_range_px=search_range_for(pixel_size))
    rows = [row for t, (dets, ids, lens) in enumerate(zip(detections, track_ids, lengths))
            for row in detection_rows(t, dets, ids, pixel_size, lens)]
    tracks = track_rows(rows, frame_interval)

    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "detections.csv", DETECTION_COLUMNS, rows)
    _write_csv(out / "tracks.csv", TRACK_COLUMNS, tracks)
    staging = out / "overlay.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for t, frame in enumerate(tqdm(_frames(movie, channels), total=movie.n_frames, desc="drawing", unit="frame",
                                   disable=not progress)):
        scale = 2 if min(frame.shape[:2]) < 400 else 1  # small fields are enlarged so labels stay legible
        overlay = draw_detections(frame, detections[t], [str(i) for i in track_ids[t]], scale=scale)
        cv2.imwrite(str(staging / f"frame_{t:06d}.png"), cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_PNG_COMPRESSION, 1])
    shutil.rmtree(out / "overlay", ignore_errors=True)
    os.replace(staging, out / "overlay")
    partial_plot = out / "lengths.partial.png"
    plot_lengths(rows, partial_plot, frame_interval)
    os.replace(partial_plot, out / "lengths.png")
    return Analysis(out, movie.n_frames, rows, tracks, pixel_size, frame_interval)


def _frames(movie, channels: Optional[Sequence[int]]) -> Iterator[np.ndarray]:
    """The chosen channels of each frame as the 8-bit RGB the model sees (16-bit data auto-contrasted)."""
    for t, frame in enumerate(movie.frames()):
        if channels:
            if max(channels) >= frame.shape[2]:
                raise InputError(f"frame {t}: --channels {list(channels)} but the frame has {frame.shape[2]} "
                                 "channel(s)", movie.path)
            frame = frame[..., list(channels)]
        try:
            yield to_rgb8(frame)
        except InputError as exc:
            raise InputError(f"frame {t}: {exc}", movie.path) from None


def _write_csv(path: Path, columns: List[str], rows: List[dict]) -> None:
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.3f}" if isinstance(v, (float, np.floating)) else v) for k, v in row.items()})
    os.replace(partial, path)
