"""Train the bundled default model on synthetic data only (the recipe behind yoloxsp/assets/default_model).

    .venv/bin/python tools/train_default.py --out work_dirs/default --steps 4500

Writes ``data/train`` and ``data/val`` (CVAT tasks from ``yoloxsp synth``; validation seeds are
never used for training) and ``weights.pt`` (rewritten every 250 steps, so a stopped run keeps
its latest state). The settings are drawn per movie to cover the microscopes users have: pixel
size 0.07-0.18 um (the real frame in ../shared/real is ~0.16), 1-6 spindles, sparse to crowded
fields, low to high noise, with and without micro-wells, lossless or JPEG-compressed frames.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import List

import numpy as np
import torch

from compare_designs import train
from yoloxsp.data import read_cvat
from yoloxsp.synth import SynthConfig, write_movie

TRAIN_SEEDS = range(1000, 1048)
VALIDATION_SEEDS = range(9000, 9012)


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


def write_set(root: Path, seeds, frames: int) -> List[Path]:
    return [write_movie(root / f"m{seed}", movie_config(seed, frames), overwrite=True) for seed in seeds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--size", default="nano")
    parser.add_argument("--steps", type=int, default=4500)
    parser.add_argument("--frames", type=int, default=10, help="frames per training movie")
    args = parser.parse_args()
    torch.set_num_threads(2)
    start = time.perf_counter()
    train_movies = write_set(args.out / "data" / "train", TRAIN_SEEDS, args.frames)
    write_set(args.out / "data" / "val", VALIDATION_SEEDS, 8)
    records = [r for movie in train_movies for r in read_cvat(movie).records]
    print(f"training frames: {len(records)} (data written in {time.perf_counter() - start:.0f} s)", flush=True)
    start = time.perf_counter()
    train({"size": args.size}, records, args.steps, checkpoint=args.out / "weights.pt")
    seconds = time.perf_counter() - start
    print(f"trained {args.steps} steps x 8 images in {seconds / 60:.1f} min: {args.steps * 8 / seconds:.1f} images/s")


if __name__ == "__main__":
    main()
