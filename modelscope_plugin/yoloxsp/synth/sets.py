"""The reproducible synthetic data sets behind the bundled default model.

Seed ranges (a seed decides a movie's look and everything in it; ranges never overlap):

- training: 0 .. 999_999, drawn by the trainer (``synthetic:train``, :func:`.looks.training_config`);
  ``TRAIN_SEEDS`` is the fixed share that :mod:`tools.train_default` writes to disk;
- validation: ``VALIDATION_SEEDS`` = 10_000_000 .., the looks taking turns (12 movies x 8 frames);
- held-out sets per look: 20_000_000 .. (:func:`write_look_set`), for leave-one-look-out tests.

The model card's synthetic evaluation regenerates the validation set from these seeds, so anyone
can re-measure its numbers.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, List

from ..errors import PathLike
from .looks import LOOKS, look_config, training_config
from .movie import write_movie

TRAIN_SEEDS = range(1000, 1048)
VALIDATION_SEEDS = range(10_000_000, 10_000_012)
VALIDATION_FRAMES = 8
LOOK_SET_SEED = 20_000_000


def write_set(root: PathLike, seeds: Iterable[int], frames: int) -> List[Path]:
    """One ``yoloxsp synth`` movie folder (CVAT task + stack.tif + ground truth) per training seed,
    each in the look :func:`.looks.training_config` draws for it."""
    return [write_movie(Path(root) / f"m{seed}", training_config(seed, frames), overwrite=True) for seed in seeds]


def write_validation_set(root: PathLike) -> List[Path]:
    """The validation set: 12 movies x 8 frames, the looks taking turns in the order of LOOKS."""
    names = list(LOOKS)
    return [write_movie(Path(root) / f"m{seed}", look_config(names[i % len(names)], seed, VALIDATION_FRAMES),
                        overwrite=True) for i, seed in enumerate(VALIDATION_SEEDS)]


def write_look_set(root: PathLike, look: str, n_movies: int = 6, frames: int = 8) -> List[Path]:
    """A held-out set of one look (seeds from 20_000_000, never used by training or validation)."""
    seeds = range(LOOK_SET_SEED, LOOK_SET_SEED + n_movies)
    return [write_movie(Path(root) / f"{look}-{seed}", look_config(look, seed, frames), overwrite=True)
            for seed in seeds]
