"""How many whole spindles of each length a training item shows under a given augmentation.

    .venv/bin/python tools/training_exposure.py [--fields 300] [--items 600] \
        [--set mosaic_prob=0.5] [--set input_size=320]

Mosaic and the crop to the input size cut long spindles far more often than short ones: a spindle
longer than a mosaic quadrant rarely lies whole inside the item, and a cut spindle loses a pole, so
it teaches neither a whole long spindle's box nor its poles. This renders ``--fields`` synthetic
training fields (``synthetic:train`` from seed 0, every look), draws ``--items`` augmented items
from them through the training dataset with ``configs/base.json``'s augmentation (``--set`` changes
one setting, ``input_size`` or any key of ``augment``), and prints, per item, the whole spindles
(both poles inside) and those >= 50, 70 and 100 px long, the cut ones, and the same counts per
untransformed field for comparison.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict

import numpy as np

from yoloxsp.cli.train import parse_set_options
from yoloxsp.data.dataset import AugmentConfig, SpindleDataset
from yoloxsp.data.records import spindle_arrays
from yoloxsp.errors import InputError
from yoloxsp.post.lengths import straight_length
from yoloxsp.synth.frames import SyntheticFrames

BASE = Path(__file__).resolve().parents[1] / "configs" / "base.json"
LENGTHS_PX = (50, 70, 100)


def pole_lengths(poles: np.ndarray) -> np.ndarray:
    """The package's straight pole-to-pole length of each (2, 2) pair; NaN where a pole is missing
    (cut off or unannotated)."""
    return np.array([straight_length(pair) for pair in np.asarray(poles, float).reshape(-1, 2, 2)])


def exposure(lengths: np.ndarray, n: int) -> Dict[str, float]:
    """Per item (of ``n``): whole spindles (both poles inside), whole ones at least each of
    :data:`LENGTHS_PX` long, and cut ones (a pole outside, so no length)."""
    whole = lengths[np.isfinite(lengths)]
    return {"whole": len(whole) / n, **{f">= {t} px": float(np.sum(whole >= t)) / n for t in LENGTHS_PX},
            "cut": float(np.sum(~np.isfinite(lengths))) / n}


def describe(per_item: Dict[str, float]) -> str:
    long = ", ".join(f"{key} {value:.3f}" for key, value in per_item.items() if key.startswith(">="))
    return f"whole {per_item['whole']:.2f} ({long}), cut {per_item['cut']:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fields", type=int, default=300)
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="input_size=N or an augment setting, e.g. mosaic_prob=0.5 (value parsed as JSON)")
    args = parser.parse_args()
    train = json.loads(BASE.read_text())["dataset"]["train"]
    augment, input_size = dict(train["augment"]), train["input_size"]
    try:
        overrides = parse_set_options(args.set)
    except InputError as error:
        parser.error(str(error))
    for key, value in overrides.items():
        if key == "input_size":
            input_size = int(value)
        elif key in augment:
            augment[key] = value
        else:
            parser.error(f"unknown setting {key!r}: input_size or one of {', '.join(augment)}")
    fields = SyntheticFrames(args.fields)
    raw = np.concatenate([pole_lengths(spindle_arrays(fields.load(i)[1])[1]) for i in range(args.fields)])
    dataset = SpindleDataset(fields, input_size, train=True, augment=AugmentConfig(**augment), seed=0)
    items = np.concatenate([pole_lengths(dataset[i % args.fields]["gt_poles"].numpy()) for i in range(args.items)])
    print(f"per field as rendered ({args.fields} fields): {describe(exposure(raw, args.fields))}")
    print(f"per training item ({args.items} items, input {input_size} px, mosaic_prob {augment['mosaic_prob']}): "
          f"{describe(exposure(items, args.items))}")


if __name__ == "__main__":
    main()
