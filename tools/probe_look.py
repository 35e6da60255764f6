"""What sets a look apart for a model: its held-out movies re-rendered with one knob changed at a time.

    .venv/bin/python tools/probe_look.py MODEL [MODEL ...] [--look tubulin-only-raw] [--movies 8]

A model that misses a look (a leave-one-look-out model, say) may miss it for its geometry, its
pixel size, its signal, its clutter, its crowding or its export; and a raw look's contrast may be
taken by bright dead cells (three per field, drawn 5 or 20 times as bright as usual, i.e. 4-12 or
16-50 times a spindle's peak, and 1-2 or 2-4 um across). Each variant below changes one of
these in every held-out movie of ``--look`` (seeds of the per-look sets, 8 frames each) and every
model is scored on each variant: precision, recall and long-spindle recall at IoU 0.5, and the number of
detections. Frames reach the models as the generator exports them, which for a raw look is what
``yoloxsp predict`` makes of the raw frame (contrast-stretched per channel).
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

from yoloxsp.metrics import evaluate_records
from yoloxsp.metrics.sources import read_eval_set
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend
from yoloxsp.synth import SynthConfig, write_movie
from yoloxsp.synth.looks import look_config
from yoloxsp.synth.sets import LOOK_SET_SEED

Variant = Callable[[SynthConfig], SynthConfig]


def full_field(config: SynthConfig) -> SynthConfig:
    side = max(int(math.ceil(16.0 / config.pixel_size)), 256)
    return dataclasses.replace(config, width=side, height=side)


def coarser_pixels(config: SynthConfig) -> SynthConfig:
    return dataclasses.replace(config, pixel_size=config.pixel_size * 2,
                               width=max(config.width // 2, 40), height=max(config.height // 2, 40))


def brighter(config: SynthConfig) -> SynthConfig:
    return dataclasses.replace(config, spindle_peak=(config.spindle_peak or 80.0) * 3, noise=config.noise * 0.4)


def no_clutter(config: SynthConfig) -> SynthConfig:
    return dataclasses.replace(config, bright_bundles=0.0, hooks=0.0, debris=0)


def side_by_side(config: SynthConfig) -> SynthConfig:
    return dataclasses.replace(config, overlap=False)


def undimmed(config: SynthConfig) -> SynthConfig:
    return dataclasses.replace(config, length_dimming=0.0)


def eight_bit(config: SynthConfig) -> SynthConfig:
    return dataclasses.replace(config, export="avi8", jpeg_quality=None, background=100.0, spb_background=100.0,
                               display_background=(18.0, 0.0 if len(config.channels) == 1 else 5.0),
                               noise=config.noise * 0.4)


def with_dead_cells(brightness: float, size: float = 1.0) -> Variant:
    def change(config: SynthConfig) -> SynthConfig:
        return dataclasses.replace(config, dead_cells=3, dead_cell_brightness=brightness, dead_cell_size=size)
    return change


VARIANTS: Dict[str, Variant] = {
    "as is": lambda config: config,
    "full field (not a crop)": full_field,
    "2x coarser pixels": coarser_pixels,
    "bright (peak x3, noise x0.4)": brighter,
    "no bright bundles, hooks, debris": no_clutter,
    "cells side by side (no overlap)": side_by_side,
    "long spindles as bright as short": undimmed,
    "8-bit export, noise x0.4": eight_bit,
    "3 dead cells, 5x as bright": with_dead_cells(5.0),
    "3 dead cells, 20x as bright": with_dead_cells(20.0),
    "3 dead cells 2-4 um, 5x as bright": with_dead_cells(5.0, 2.0),
    "3 dead cells 2-4 um, 20x as bright": with_dead_cells(20.0, 2.0),
}


def score(configs: List[SynthConfig], predictor: Predictor, root: Path) -> Dict[str, float]:
    records, pixel_sizes = [], []
    for config in configs:
        data = read_eval_set(write_movie(root / str(config.seed), config))
        records += data.records
        pixel_sizes += data.pixel_sizes
    metrics = evaluate_records(predictor, records, pixel_sizes, progress=False)
    return {"precision": metrics["det_precision@0.5"], "recall": metrics["det_recall@0.5"],
            "long recall": metrics["long_recall@0.5"], "detections": metrics["n_detections"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="weights files, model folders or 'yoloxsp'")
    parser.add_argument("--look", default="tubulin-only-raw")
    parser.add_argument("--movies", type=int, default=8)
    args = parser.parse_args()
    predictors = {name: Predictor(open_backend(name)) for name in args.models}
    configs = [look_config(args.look, LOOK_SET_SEED + i, 8) for i in range(args.movies)]
    with tempfile.TemporaryDirectory(prefix="yoloxsp-probe-") as folder:
        for index, (variant, change) in enumerate(VARIANTS.items()):
            changed = [change(config) for config in configs]
            for name, predictor in predictors.items():
                row = score(changed, predictor, Path(folder) / f"{index}-{len(name)}-{abs(hash(name))}")
                print(f"{variant:>32} | {name}: " + ", ".join(
                    f"{key} {value:.3f}" if isinstance(value, float) else f"{key} {value}"
                    for key, value in row.items()), flush=True)


if __name__ == "__main__":
    main()
