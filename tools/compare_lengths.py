"""Straight vs ridge spindle length against the synthetic ground truth (arc length of the rendered spindle).

    .venv/bin/python tools/compare_lengths.py work_dirs/default/data/val

For every true spindle longer than 2 um, measures both lengths from the true poles (the
method's own error) and from the bundled model's matched poles (what users get), on the
16-bit tubulin channel of each movie's stack.tif. Prints median relative errors overall and
for spindles longer than 6 um (where bending matters).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from yoloxsp.io import open_movie, read_image
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend
from yoloxsp.post.lengths import ridge_length, straight_length
from yoloxsp.synth import read_truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("movies", type=Path)
    parser.add_argument("--model", default="yoloxsp")
    args = parser.parse_args()
    predictor = Predictor(open_backend(args.model))
    rows = []  # (true um, straight/true-poles, ridge/true-poles, straight/model, ridge/model) in um
    for folder in sorted(p for p in args.movies.iterdir() if (p / "stack.tif").is_file()):
        movie = open_movie(folder / "stack.tif")
        truth = read_truth(folder / "ground_truth.csv")
        rgb_frames = sorted((folder / "images").iterdir())
        for t, frame in enumerate(movie.frames()):
            tubulin = frame[..., 0]
            detections = predictor([read_image(rgb_frames[t])])[0]
            for row in (r for r in truth if r.frame == t and r.length_um > 2.0):
                true_poles = np.array(row.spindle.poles, float)
                found = [p for p in detections.poles if np.isfinite(p).all()]
                model_poles = min(found, default=None, key=lambda p: min(np.abs(p - true_poles).sum(),
                                                                         np.abs(p[::-1] - true_poles).sum()))
                s = movie.pixel_size
                rows.append((row.length_um, straight_length(true_poles) * s, ridge_length(tubulin, true_poles) * s,
                             straight_length(model_poles) * s if model_poles is not None else np.nan,
                             ridge_length(tubulin, model_poles) * s if model_poles is not None else np.nan))
    table = np.array(rows)
    for label, mask in (("all > 2 um", table[:, 0] > 2), ("> 6 um", table[:, 0] > 6)):
        errors = np.abs(table[mask, 1:] - table[mask, :1]) / table[mask, :1]
        med = np.nanmedian(errors, axis=0)
        print(f"{label:>10} (n={mask.sum():3d}): median relative error  true poles: straight {med[0]:.4f}  "
              f"ridge {med[1]:.4f} | model poles: straight {med[2]:.4f}  ridge {med[3]:.4f}")


if __name__ == "__main__":
    main()
