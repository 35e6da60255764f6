"""The reproducible synthetic data sets behind the bundled default model.

``movie_config(seed)`` draws a microscope and a field per movie so the sets cover what users
have: pixel size 0.07-0.18 um (the real frame in ../shared/real is ~0.16), 1-6 spindles, sparse
to crowded fields, low to high noise, with and without micro-wells, lossless or JPEG frames.
Training and validation seeds never overlap. The model card's synthetic evaluation regenerates
the validation set from these seeds, so anyone can re-measure its numbers.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, List

import numpy as np

from ..errors import PathLike
from .config import SynthConfig
from .movie import write_movie

TRAIN_SEEDS = range(1000, 1048)
VALIDATION_SEEDS = range(9000, 9012)
VALIDATION_FRAMES = 8


def movie_config(seed: int, frames: int) -> SynthConfig:
    """A random but reproducible microscope and field for one movie."""
    rng = np.random.default_rng(seed)
    pixel_size = round(float(rng.uniform(0.07, 0.18)), 3)
    side = 256 if pixel_size >= 0.12 else 384  # a field of at least ~27 um holds a few cells
    room = int((side * pixel_size) ** 2 / 150)  # mitotic cells that fit between the others
    return SynthConfig(width=side, height=side, frames=frames, seed=seed, frame_interval=30.0,
                       pixel_size=pixel_size, spindles=int(rng.integers(1, max(2, min(room, 6) + 1))),
                       cell_coverage=round(float(rng.uniform(0.25, 0.6)), 2),
                       wells=bool(rng.random() < 0.5),
                       noise=round(float(rng.uniform(0.2, 1.5)), 2),
                       jpeg_quality=None if rng.random() < 0.3 else int(rng.integers(60, 96)),
                       debris=int(rng.integers(0, 4)))


def write_set(root: PathLike, seeds: Iterable[int], frames: int) -> List[Path]:
    """One ``yoloxsp synth`` movie folder (CVAT task + stack.tif + ground truth) per seed."""
    return [write_movie(Path(root) / f"m{seed}", movie_config(seed, frames), overwrite=True) for seed in seeds]


def write_validation_set(root: PathLike) -> List[Path]:
    """The validation set: 12 movies x 8 frames, 383 spindles."""
    return write_set(root, VALIDATION_SEEDS, VALIDATION_FRAMES)
