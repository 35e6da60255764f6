"""Per-frame against movie-wide contrast for raw 16-bit movies: does either change what the model finds?

    .venv/bin/python tools/compare_contrast.py [--movies 4] [--frames 40] [--model yoloxsp]

``yoloxsp predict`` stretches every raw frame with its own percentile limits (``yoloxsp.io.to_rgb8``),
as training does. In a one-channel movie a cell's interphase array before mitosis is then as bright
as a spindle, which might be why the model reports it. Held-out raw movies (the six single-cell
crop movies, ``--movies`` movies of each raw look) are run with three contrast rules: per frame;
limits of the whole movie; per frame but with the upper limit at least the movie's median upper
limit (dim frames are not stretched more than a typical one). Printed per set and rule: precision,
recall, long-spindle recall at IoU 0.5 and the detections that match no spindle.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np

from yoloxsp.io import open_movie, to_rgb8
from yoloxsp.io.contrast import apply_contrast, contrast_limits
from yoloxsp.metrics.boxes import detection_metrics
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend
from yoloxsp.synth import SynthConfig, read_truth, write_movie
from yoloxsp.synth.looks import look_config, raw_looks
from yoloxsp.synth.sets import LOOK_SET_SEED, crop_movie_configs

Rule = Callable[[List[np.ndarray]], List[np.ndarray]]  # frames -> per-frame limits


def per_frame(frames: List[np.ndarray]) -> List[np.ndarray]:
    return [contrast_limits(frame) for frame in frames]


def whole_movie(frames: List[np.ndarray]) -> List[np.ndarray]:
    return [contrast_limits(np.concatenate(frames, axis=0))] * len(frames)


def median_floor(frames: List[np.ndarray]) -> List[np.ndarray]:
    limits = per_frame(frames)
    floor = np.median([lim[:, 1] for lim in limits], axis=0)
    return [np.column_stack([lim[:, 0], np.maximum(lim[:, 1], floor)]) for lim in limits]


RULES: Dict[str, Rule] = {"per frame": per_frame, "whole movie": whole_movie, "median floor": median_floor}


def score(configs: List[SynthConfig], predictor: Predictor, root: Path) -> Dict[str, Dict[str, float]]:
    found: Dict[str, Dict[str, list]] = {name: {"pred": [], "truth": [], "lengths": []} for name in RULES}
    for config in configs:
        movie = write_movie(root / str(config.seed), config)
        frames = list(open_movie(movie / "stack.tif").frames(config.tubulin_first))
        truth = read_truth(movie / "ground_truth.csv")
        boxes = [np.array([r.spindle.box for r in truth if r.frame == t], float).reshape(-1, 4)
                 for t in range(len(frames))]
        lengths = [np.array([r.length_um / config.pixel_size for r in truth if r.frame == t])
                   for t in range(len(frames))]
        for name, rule in RULES.items():
            detections = [predictor([to_rgb8(apply_contrast(frame, limits))])[0]
                          for frame, limits in zip(frames, rule(frames))]
            found[name]["pred"] += [d.boxes for d in detections]
            found[name]["truth"] += boxes
            found[name]["lengths"] += lengths
    rows = {}
    for name, lists in found.items():
        metrics = detection_metrics(lists["pred"], lists["truth"], lists["lengths"])
        n_pred = sum(len(p) for p in lists["pred"])
        matched = round(metrics["det_precision@0.5"] * n_pred) if n_pred else 0
        rows[name] = {"precision": metrics["det_precision@0.5"], "recall": metrics["det_recall@0.5"],
                      "long recall": metrics["long_recall@0.5"], "other detections": n_pred - matched}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--movies", type=int, default=4, help="movies per raw look")
    parser.add_argument("--frames", type=int, default=40, help="frames per look movie")
    parser.add_argument("--model", default="yoloxsp")
    args = parser.parse_args()
    predictor = Predictor(open_backend(args.model))
    sets = {"tubulin-only crop movies": crop_movie_configs(6)}
    for look in raw_looks():
        sets[look] = [look_config(look, LOOK_SET_SEED + i, args.frames) for i in range(args.movies)]
    with tempfile.TemporaryDirectory(prefix="yoloxsp-contrast-") as folder:
        for name, configs in sets.items():
            for rule, row in score(configs, predictor, Path(folder) / name).items():
                print(f"{name:>26} {rule:>12}: " + ", ".join(f"{key} {value:.3f}" if isinstance(value, float)
                                                            else f"{key} {value}" for key, value in row.items()))


if __name__ == "__main__":
    main()
