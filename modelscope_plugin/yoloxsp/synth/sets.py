"""The reproducible synthetic data sets behind the bundled default model.

Seed ranges (a seed decides a movie's look and everything in it; ranges never overlap):

- training: 0 .. 999_999, drawn by the trainer (``synthetic:train``, :func:`.looks.training_config`);
- validation: ``VALIDATION_SEEDS`` = 10_000_000 .., the looks taking turns (12 movies x 8 frames);
- held-out sets per look: 20_000_000 .. (:func:`write_look_set`), for leave-one-look-out tests;
- held-out single-cell tubulin-only movies: ``CROP_MOVIE_SEED`` = 20_100_000 .. (:func:`crop_movie_configs`);
- annotated fields to fine-tune on (:func:`write_fields_task`): ``FIELD_SEED`` = 30_000_000 ..

The model card's synthetic evaluation regenerates the validation set from these seeds, so anyone
can re-measure its numbers.
"""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import List

from ..data import read_cvat, write_cvat_images
from ..errors import PathLike
from .config import SynthConfig
from .looks import LOOKS, look_config
from .movie import write_movie

VALIDATION_SEEDS = range(10_000_000, 10_000_012)
VALIDATION_FRAMES = 8
LOOK_SET_SEED = 20_000_000
CROP_MOVIE_SEED = 20_100_000
CROP_MOVIE_FRAMES = 42  # as many as the one measured tubulin-only movie, short spindle to breakdown
FIELD_SEED = 30_000_000


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


def crop_movie_configs(n_movies: int, frames: int = CROP_MOVIE_FRAMES) -> List[SynthConfig]:
    """The first ``n_movies`` single-cell crops (the look's fields with a side of at most 160 px;
    its full fields are wider) among the ``tubulin-only-raw`` movies from ``CROP_MOVIE_SEED``: one
    raw 16-bit channel and one spindle, like the tubulin-only movie a lab records of one cell."""
    configs, seed = [], CROP_MOVIE_SEED
    while len(configs) < n_movies:
        config = look_config("tubulin-only-raw", seed, frames)
        if min(config.width, config.height) <= 160:
            configs.append(config)
        seed += 1
    return configs


def write_fields_task(root: PathLike, look: str, n_fields: int) -> Path:
    """``n_fields`` annotated single-frame fields of ``look`` as one CVAT-for-images task (the
    handful of frames a user annotates to fine-tune on), in ``root``."""
    root = Path(root)
    (root / "images").mkdir(parents=True)
    records = []
    for index in range(n_fields):
        movie = write_movie(root / "fields" / str(index), look_config(look, FIELD_SEED + index, frames=1))
        record = read_cvat(movie).records[0]
        image = root / "images" / f"field_{index:03d}.png"
        shutil.copyfile(record.image_path, image)
        records.append(dataclasses.replace(record, image_path=image, frame=index))
    write_cvat_images(root / "annotations.xml", records)
    return root
