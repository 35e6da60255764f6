"""Train the bundled default model on synthetic data only (the recipe behind yoloxsp/assets/default_model).

    .venv/bin/python tools/train_default.py --out work_dirs/default --steps 4500

Writes ``data/train`` and ``data/val`` (the sets of :mod:`yoloxsp.synth.sets`; validation seeds
are never used for training) and ``weights.pt`` (rewritten every 250 steps, so a stopped run
keeps its latest state).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from compare_designs import train
from yoloxsp.data import read_cvat
from yoloxsp.synth.sets import TRAIN_SEEDS, write_set, write_validation_set


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
    write_validation_set(args.out / "data" / "val")
    records = [r for movie in train_movies for r in read_cvat(movie).records]
    print(f"training frames: {len(records)} (data written in {time.perf_counter() - start:.0f} s)", flush=True)
    start = time.perf_counter()
    train({"size": args.size}, records, args.steps, checkpoint=args.out / "weights.pt")
    seconds = time.perf_counter() - start
    print(f"trained {args.steps} steps x 8 images in {seconds / 60:.1f} min: {args.steps * 8 / seconds:.1f} images/s")


if __name__ == "__main__":
    main()
