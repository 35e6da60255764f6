"""Score a trained model's decoding settings over a grid on the synthetic validation set.

    .venv/bin/python tools/sweep_decoding.py MODEL --score-threshold 0.3 0.5 --min-poles 0 2 \
        [--pole-threshold 0.3] [--pole-reach 6] [--reach-fraction 0.5]

A setting not given stays at the model's own value.

Scored on ``synthetic:validation`` (regenerated from seeds never used for training; every look),
never on real frames. Also counts detections on pure-noise movies (goal: none). Prints, per
setting, detection precision/recall/F1 and long-spindle recall at IoU 0.5, pole F1 at 2 px, the
median pole error and the share of spindles with both poles found.
"""
from __future__ import annotations

import argparse
import itertools
from dataclasses import replace

from yoloxsp.io import read_image
from yoloxsp.metrics import score_detections
from yoloxsp.metrics.sources import SYNTHETIC_VALIDATION, open_eval_set
from yoloxsp.model import load_weights
from yoloxsp.model.resolve import model_path, WEIGHTS_NAME
from yoloxsp.synth.render import camera_noise

COLUMNS = ["det_precision@0.5", "det_recall@0.5", "det_F1@0.5", "long_recall@0.5", "pole_F1@2px",
           "pole_median_error_px", "both_poles_rate"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="weights file, model folder or 'yoloxsp'")
    parser.add_argument("--score-threshold", type=float, nargs="+")
    parser.add_argument("--min-poles", type=int, nargs="+")
    parser.add_argument("--pole-threshold", type=float, nargs="+")
    parser.add_argument("--pole-reach", type=float, nargs="+")
    parser.add_argument("--reach-fraction", type=float, nargs="+")
    args = parser.parse_args()
    path = model_path(args.model)
    model = load_weights(path / WEIGHTS_NAME if path.is_dir() else path)
    noise = camera_noise(1) + camera_noise(2)
    with open_eval_set(SYNTHETIC_VALIDATION) as data:
        frames = [read_image(r.image_path) for r in data.records]
        records, sizes = data.records, data.pixel_sizes
    own = model.config.decode  # a setting not given is swept at the model's own value
    grid = itertools.product(args.score_threshold or [own.score_threshold], args.min_poles or [own.min_poles],
                             args.pole_threshold or [own.pole_threshold], args.pole_reach or [own.pole_reach],
                             args.reach_fraction or [own.pole_reach_fraction])
    print(f"{'score':>5} {'poles':>5} {'pole thr':>8} {'reach':>5} {'frac':>4} "
          + " ".join(f"{c:>20}" for c in COLUMNS) + f" {'noise dets':>10}")
    for score, min_poles, threshold, reach, fraction in grid:
        model.config.decode = replace(model.config.decode, score_threshold=score, min_poles=min_poles,
                                      pole_threshold=threshold, pole_reach=reach, pole_reach_fraction=fraction)
        found = model.predict(frames)
        m = score_detections([d.boxes for d in found], [d.scores for d in found], [d.poles for d in found],
                             records, sizes)
        on_noise = sum(len(d) for d in model.predict(noise))
        print(f"{score:>5.2f} {min_poles:>5d} {threshold:>8.2f} {reach:>5.1f} {fraction:>4.2f} "
              + " ".join(f"{m[c]:>20.3f}" for c in COLUMNS) + f" {on_noise:>10d}")


if __name__ == "__main__":
    main()
