"""Score a trained model's pole decoding over a grid of thresholds on synthetic validation movies.

    .venv/bin/python tools/sweep_decoding.py MODEL.pt --pole-threshold 0.1 0.3 --pole-reach 6 10 --reach-fraction 0 0.3

Scored on ``synthetic:validation`` (regenerated from seeds never used for training). Prints pole precision/recall/F1 at 2 px, the median pole error and the share of
spindles with both poles found, per setting.
"""
from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

from yoloxsp.io import read_image
from yoloxsp.metrics import pole_metrics, spindle_metrics
from yoloxsp.metrics.report import truth_poles
from yoloxsp.metrics.sources import SYNTHETIC_VALIDATION, open_eval_set
from yoloxsp.model import load_weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--pole-threshold", type=float, nargs="+", default=[0.1, 0.2, 0.3])
    parser.add_argument("--pole-reach", type=float, nargs="+", default=[4.0, 6.0, 10.0])
    parser.add_argument("--reach-fraction", type=float, nargs="+", default=[0.0, 0.3])
    args = parser.parse_args()
    model = load_weights(args.model)
    with open_eval_set(SYNTHETIC_VALIDATION) as data:
        frames = [read_image(r.image_path) for r in data.records]
        truths = [truth_poles(r) for r in data.records]
    print(f"{'threshold':>9} {'reach':>5} {'frac':>4} {'P@2px':>6} {'R@2px':>6} {'F1@2px':>6} {'median px':>9} {'both poles':>10}")
    for threshold, reach, fraction in itertools.product(args.pole_threshold, args.pole_reach, args.reach_fraction):
        model.config.decode = replace(model.config.decode, pole_threshold=threshold, pole_reach=reach,
                                      pole_reach_fraction=fraction)
        preds = [d.poles for d in model.predict(frames)]
        m = pole_metrics([p.reshape(-1, 2) for p in preds], [t.reshape(-1, 2) for t in truths])
        both = spindle_metrics(preds, truths)["both_poles_rate"]
        print(f"{threshold:>9.2f} {reach:>5.1f} {fraction:>4.2f} {m['pole_precision@2px']:>6.3f} {m['pole_recall@2px']:>6.3f} "
              f"{m['pole_F1@2px']:>6.3f} {m['pole_median_error_px']:>9.3f} {both:>10.3f}")


if __name__ == "__main__":
    main()
