"""``yoloxsp predict``: detect, track and measure spindles in an image, image folder, TIFF stack or video.

Writes into OUT: ``detections.csv`` (one row per spindle per frame), ``tracks.csv`` (one row
per track), ``overlay/frame_NNNNNN.png`` (boxes, poles, spindle line, track ids) and
``lengths.png`` (length over time per track). Frames are streamed twice (detect, then draw), so
memory stays flat over long movies. Existing outputs are kept unless ``--overwrite``; every file
is written under a temporary name and renamed when complete.
"""
from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

import cv2
import numpy as np
from tqdm import tqdm

from ..errors import InputError
from ..io import open_movie, to_rgb8
from ..model.backends import Predictor
from ..model.resolve import open_backend
from ..post import (DETECTION_COLUMNS, LENGTH_METHODS, TRACK_COLUMNS, detection_rows, draw_detections,
                    link_tracks, search_range_for, spindle_lengths, track_rows)
from ..post.plots import plot_lengths

OUTPUTS = ("detections.csv", "tracks.csv", "overlay", "lengths.png")


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="detect, track and measure spindles in images, TIFF stacks or videos",
                       description=__doc__.split(":", 1)[1].strip())
    p.add_argument("input", help="image, folder of images, (ImageJ/OME) TIFF stack, or video (AVI, MP4)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--model", default="yoloxsp", help="model folder, weights, .onnx, or 'yoloxsp' (bundled)")
    p.add_argument("--pixel-size", type=float, help="um per pixel (default: from the TIFF metadata)")
    p.add_argument("--frame-interval", type=float, help="seconds between frames (default: from the TIFF metadata)")
    p.add_argument("--backend", choices=("torch", "onnx"), default="torch")
    p.add_argument("--channels", type=int, nargs="+", metavar="I",
                   help="input channels to use, tubulin first then SPB (0-based), e.g. --channels 1 0")
    p.add_argument("--length", choices=LENGTH_METHODS, default="ridge",
                   help="ridge: along the tubulin ridge between the poles (default, more accurate); straight")
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(run=run)


def _select(frames: Iterator[np.ndarray], channels: Optional[Sequence[int]], source: Path) -> Iterator[np.ndarray]:
    """The chosen channels of each frame as the 8-bit RGB the model sees (16-bit data auto-contrasted)."""
    for t, frame in enumerate(frames):
        if channels:
            if max(channels) >= frame.shape[2]:
                raise InputError(f"frame {t}: --channels {channels} but the frame has {frame.shape[2]} channel(s)",
                                 source)
            frame = frame[..., list(channels)]
        try:
            yield to_rgb8(frame)
        except InputError as exc:
            raise InputError(f"frame {t}: {exc}", source) from None


def _write_csv(path: Path, columns: List[str], rows: List[dict]) -> None:
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.3f}" if isinstance(v, (float, np.floating)) else v) for k, v in row.items()})
    os.replace(partial, path)


def run(args) -> int:
    for value, flag in ((args.pixel_size, "--pixel-size"), (args.frame_interval, "--frame-interval")):
        if value is not None and value <= 0:
            raise ValueError(f"{flag} must be positive (got {value})")
    movie = open_movie(args.input)
    out = Path(args.out)
    existing = [name for name in OUTPUTS if (out / name).exists()]
    if existing and not args.overwrite:
        raise FileExistsError(f"{out} already holds {', '.join(existing)}; use --overwrite to replace them")
    pixel_size = args.pixel_size or movie.pixel_size
    interval = args.frame_interval or movie.frame_interval
    predictor = Predictor(open_backend(args.model, args.backend))

    detections, lengths = [], []
    for frame in tqdm(_select(movie.frames(), args.channels, movie.path), total=movie.n_frames,
                      desc="detecting", unit="frame"):
        detections.append(predictor([frame])[0])
        lengths.append(spindle_lengths(frame, detections[-1], args.length))
    track_ids = link_tracks(detections, search_range_px=search_range_for(pixel_size))
    rows = [row for t, (dets, ids, lens) in enumerate(zip(detections, track_ids, lengths))
            for row in detection_rows(t, dets, ids, pixel_size, lens)]

    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "detections.csv", DETECTION_COLUMNS, rows)
    _write_csv(out / "tracks.csv", TRACK_COLUMNS, track_rows(rows, interval))
    staging = out / "overlay.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    frames = _select(movie.frames(), args.channels, movie.path)
    for t, frame in enumerate(tqdm(frames, total=movie.n_frames, desc="drawing", unit="frame")):
        scale = 2 if min(frame.shape[:2]) < 400 else 1  # small fields are enlarged so labels stay legible
        overlay = draw_detections(frame, detections[t], [str(i) for i in track_ids[t]], scale=scale)
        cv2.imwrite(str(staging / f"frame_{t:06d}.png"), cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_PNG_COMPRESSION, 1])
    shutil.rmtree(out / "overlay", ignore_errors=True)
    os.replace(staging, out / "overlay")
    partial_plot = out / "lengths.partial.png"
    plot_lengths(rows, partial_plot, interval)
    os.replace(partial_plot, out / "lengths.png")
    n_tracks = len({r["track_id"] for r in rows})
    print(f"{movie.n_frames} frame(s), {len(rows)} spindle detections in {n_tracks} track(s); "
          f"pixel size {pixel_size or 'unknown'} um, frame interval {interval or 'unknown'} s -> {out}")
    return 0
