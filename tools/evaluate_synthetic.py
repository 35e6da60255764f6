"""Evaluate a model on synthetic movies (``yoloxsp synth`` folders), each at its own pixel size.

    .venv/bin/python tools/evaluate_synthetic.py --model yoloxsp work_dirs/default/data/val

``yoloxsp eval`` takes one pixel size for a whole CVAT export; synthetic validation sets mix
microscopes, so this reads each movie's pixel size from its ``stack.tif`` metadata and scores
all frames together. Prints one JSON object (the same keys as ``yoloxsp eval``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from yoloxsp.data import read_cvat
from yoloxsp.io import open_movie
from yoloxsp.metrics import evaluate_records, metrics_json
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("movies", type=Path, help="folder of synthetic movie folders")
    parser.add_argument("--model", default="yoloxsp")
    parser.add_argument("--backend", choices=("torch", "onnx"), default="torch")
    parser.add_argument("--tracking", action="store_true")
    args = parser.parse_args()
    records, sizes = [], []
    for movie in sorted(p for p in args.movies.iterdir() if (p / "stack.tif").is_file()):
        frames = read_cvat(movie).records
        records += frames
        sizes += [open_movie(movie / "stack.tif").pixel_size] * len(frames)
    print(f"{len(records)} frames from {args.movies}", file=sys.stderr)
    metrics = evaluate_records(Predictor(open_backend(args.model, args.backend)), records, sizes,
                               tracking=args.tracking)
    print(metrics_json(metrics))


if __name__ == "__main__":
    main()
