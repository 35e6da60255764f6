"""The reproducible synthetic data sets behind the bundled default model.

Seed ranges (a seed decides a movie's look and everything in it; ranges never overlap):

- training: 0 .. 999_999, drawn by the trainer (``synthetic:train``, :func:`.looks.training_config`);
- validation: ``VALIDATION_SEEDS`` = 10_000_000 .., the looks taking turns (12 movies x 8 frames);
- held-out sets per look: 20_000_000 .. (:func:`write_look_set`), for leave-one-look-out tests.

The model card's synthetic evaluation regenerates the validation set from these seeds, so anyone
can re-measure its numbers.
"""
from __future__ import annotations

from pathlib import Path
from typing import List

from ..errors import PathLike
from .looks import LOOKS, look_config
from .movie import write_movie

VALIDATION_SEEDS = range(10_000_000, 10_000_012)
VALIDATION_FRAMES = 8
LOOK_SET_SEED = 20_000_000


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
