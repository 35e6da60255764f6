"""Generate a synthetic time-lapse frame by frame, with exact ground truth, and write it to disk.

Outputs of :func:`write_movie` (all written atomically: a crash leaves no half file):

- ``stack.tif``: uint16 ImageJ hyperstack T x C x Y x X (C = the config's channels in its order:
  tubulin and SPB, or tubulin alone) with the pixel size (um) and frame interval (s) in its metadata;
- ``images/frame_%06d.png``: the 8-bit RGB frame the model sees (:attr:`SynthFrame.image`);
- ``annotations.xml``: CVAT for video 1.1 (box tracks ``microtubule``, point tracks ``poles``);
- ``ground_truth.csv``: one row per visible spindle per frame, sub-pixel pole coordinates.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import cv2
import numpy as np
import tifffile

from ..data.cvat_writer import write_cvat_video
from ..data.records import FrameRecord, Spindle, canonical_poles
from ..errors import OutputExistsError, PathLike
from ..io.atomic import atomic_path
from ..io.images import to_rgb8
from .config import SynthConfig
from .render import SPINDLE_WIDTH_UM, Camera, display_frame, display_limits, render_signal
from .scene import SpindleView, advance, build_field

GROUND_TRUTH_COLUMNS = ["frame", "track_id", "x1", "y1", "x2", "y2", "pole1_x", "pole1_y",
                        "pole2_x", "pole2_y", "length_um", "phase"]
OUTPUT_NAMES = ("stack.tif", "images", "annotations.xml", "ground_truth.csv")
CHANNEL_LABELS = {"tubulin": "tubulin", "spb": "SPB"}


@dataclass
class TruthRow:
    """Ground truth of one spindle in one frame (pixel coordinates, CVAT convention)."""

    frame: int
    spindle: Spindle
    length_um: float
    phase: int


@dataclass
class SynthFrame:
    index: int
    counts: np.ndarray      # (C, H, W) uint16, the stack's channels in the config's order
    image: np.ndarray       # (H, W, 3) uint8 RGB, what the model sees (see :func:`generate`)
    truth: List[TruthRow]


def generate(config: SynthConfig) -> Iterator[SynthFrame]:
    """Yield the movie's frames in order. Geometry, dynamics, camera and noise use separate
    random streams of the seed, so changing the noise level does not move a single cell.

    ``image`` is what reaches the model: for ``export="avi8"`` the 8-bit frame an AVI export
    gives (red tubulin, green SPB, fixed display contrast for the whole movie, optional JPEG);
    for ``export="raw16"`` what ``yoloxsp predict`` makes of the 16-bit stack's frame with the
    tubulin channel picked first (:func:`yoloxsp.io.images.to_rgb8`): the model always sees tubulin
    in red and the SPB marker, if any, in green."""
    geometry_seed, dynamics_seed, noise_seed, camera_seed = np.random.SeedSequence(config.seed).spawn(4)
    field = build_field(config, np.random.default_rng(geometry_seed))
    camera_rng = np.random.default_rng(camera_seed)
    camera = Camera(field, camera_rng)
    # The white point of an AVI export (matched to the real upstream frames): short spindles saturate,
    # SPB dots mostly do not (the real frame's green p99.9 is ~64 of 255).
    high = (camera_rng.uniform(99.85, 99.97), camera_rng.uniform(99.99, 99.999))
    dynamics_rng, noise_rng = np.random.default_rng(dynamics_seed), np.random.default_rng(noise_seed)
    minutes_per_frame = config.frame_interval / 60
    spindle_sigma_px = math.hypot(field.psf_sigma, SPINDLE_WIDTH_UM) / config.pixel_size
    limits = None
    for index in range(config.frames):
        if index:
            advance(field, dynamics_rng)
        red, green, views = render_signal(field, index * minutes_per_frame)
        counts = camera.expose({"tubulin": red, "spb": green}, index, noise_rng)
        if config.export == "raw16":  # as the user loads it, channels picked tubulin first (--channels)
            image = to_rgb8(np.moveaxis(counts[list(config.tubulin_first)], 0, -1), config.pixel_size)
        else:
            by_name = dict(zip(config.channels, counts))
            tubulin, spb = by_name["tubulin"], by_name.get("spb")
            if limits is None:  # fixed display contrast for the whole movie, as in an exported AVI
                limits = display_limits(tubulin, spb, config.display_background, high)
            image = display_frame(tubulin, spb, limits, config.jpeg_quality)
        truth = [_truth_row(index, v, config, spindle_sigma_px) for v in views]
        yield SynthFrame(index, counts, image, sorted(truth, key=lambda r: r.spindle.track_id))


def _truth_row(frame: int, view: SpindleView, config: SynthConfig, sigma_px: float) -> TruthRow:
    curve = view.curve / config.pixel_size
    pad = 2.5 * sigma_px + 1.0
    x1, y1 = np.maximum(curve.min(axis=0) - pad, 0.0)
    x2, y2 = np.minimum(curve.max(axis=0) + pad, [config.width, config.height])
    poles = canonical_poles(tuple(map(float, curve[0])), tuple(map(float, curve[-1])))
    box = (float(x1), float(y1), float(x2), float(y2))
    return TruthRow(frame, Spindle(box, poles, view.track_id), view.length, view.phase)


def write_movie(out_dir: PathLike, config: SynthConfig, overwrite: bool = False,
                progress: bool = False) -> Path:
    """Generate ``config`` into ``out_dir`` (see module docstring); returns ``out_dir``."""
    out = Path(out_dir)
    existing = [n for n in OUTPUT_NAMES if (out / n).exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{out} already holds {', '.join(existing)}; use --overwrite to replace them")
    out.mkdir(parents=True, exist_ok=True)
    # the images are written while tifffile consumes the pages: both appear, complete, at the end
    with atomic_path(out / "images") as staging_images, atomic_path(out / "stack.tif") as stack_tmp:
        staging_images.mkdir()
        records: List[FrameRecord] = []
        truth: List[TruthRow] = []

        def pages() -> Iterator[np.ndarray]:
            frames = generate(config)
            if progress:
                from tqdm import tqdm
                frames = tqdm(frames, total=config.frames, desc="synth", unit="frame")
            for frame in frames:
                name = f"frame_{frame.index:06d}.png"
                if not cv2.imwrite(str(staging_images / name), frame.image[..., ::-1]):
                    raise OSError(f"cannot write {staging_images / name}")
                records.append(FrameRecord(out / "images" / name, config.width, config.height, frame.index,
                                           [row.spindle for row in frame.truth]))
                truth.extend(frame.truth)
                yield from frame.counts

        n_channels = len(config.channels)
        tifffile.imwrite(stack_tmp, data=pages(), shape=(config.frames, n_channels, config.height, config.width),
                         dtype=np.uint16, imagej=True,
                         resolution=(1 / config.pixel_size, 1 / config.pixel_size),
                         metadata={"axes": "TCYX", "unit": "um", "finterval": config.frame_interval,
                                   "Labels": [CHANNEL_LABELS[c] for c in config.channels] * config.frames})
    write_cvat_video(out / "annotations.xml", records, task_name=out.name or "synthetic")
    _write_truth(out / "ground_truth.csv", truth)
    return out


def _write_truth(path: Path, rows: List[TruthRow]) -> None:
    with atomic_path(path) as partial, open(partial, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(GROUND_TRUTH_COLUMNS)
        for row in rows:
            s = row.spindle
            (p1x, p1y), (p2x, p2y) = s.poles
            writer.writerow([row.frame, s.track_id, *(f"{v:.4f}" for v in (*s.box, p1x, p1y, p2x, p2y)),
                             f"{row.length_um:.4f}", row.phase])


def read_truth(path: PathLike) -> List[TruthRow]:
    """Read a ``ground_truth.csv`` written by :func:`write_movie`."""
    rows = []
    with open(path, newline="") as fh:
        for item in csv.DictReader(fh):
            f = {k: float(v) for k, v in item.items() if k not in ("frame", "track_id", "phase")}
            spindle = Spindle((f["x1"], f["y1"], f["x2"], f["y2"]),
                              ((f["pole1_x"], f["pole1_y"]), (f["pole2_x"], f["pole2_y"])), int(item["track_id"]))
            rows.append(TruthRow(int(item["frame"]), spindle, f["length_um"], int(item["phase"])))
    return rows
