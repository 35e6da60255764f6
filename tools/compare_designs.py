"""Train YOLOX-SP variants identically with the package's trainer and compare them on unseen seeds.

    .venv/bin/python tools/compare_designs.py --epochs 4 --frames 400 \
        --variant s4:pole_stride=4 --variant s8:pole_stride=8 --variant s8-fixed:pole_stride=8,loss_balance=fixed

Used to choose the pole branch (stride 4 vs 8) and the loss balancing (learned uncertainty vs
fixed). Every variant is trained from scratch by ``build_trainer('easycv', ...)`` with
``configs/yoloxsp_<size>.json`` on ``synthetic:train`` and scored by the trainer's evaluation on
``synthetic:validation``; prints box AP, pole F1 at 1/2 px, the median pole error and GFLOPs at 512.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmark import gflops

import yoloxsp  # noqa: F401  (registers the trainer)
from modelscope.trainers import build_trainer
from yoloxsp.metainfo import Trainers

ROOT = Path(__file__).resolve().parents[1]
KEYS = ["bbox_AP50", "bbox_AP", "pole_F1@1px", "pole_F1@2px", "pole_median_error_px"]


def parse_variant(spec: str):
    name, _, params = spec.partition(":")
    values = dict(kv.split("=", 1) for kv in params.split(",") if kv)
    return name, {f"model.{k}": (int(v) if v.isdigit() else v) for k, v in values.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", action="append", required=True, help="name:key=value,key=value")
    parser.add_argument("--size", default="tiny")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--frames", type=int, default=400, help="synthetic training frames per epoch")
    args = parser.parse_args()
    rows = []
    for spec in args.variant:
        name, options = parse_variant(spec)
        print(f"== {name} {options}", flush=True)
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as work:
            trainer = build_trainer(Trainers.easycv, dict(
                cfg_file=str(ROOT / "configs" / f"yoloxsp_{args.size}.json"), work_dir=work,
                train_dataset="synthetic:train", eval_dataset="synthetic:validation",
                cfg_options={**options, "train.max_epochs": args.epochs, "dataset.train.synthetic.frames": args.frames}))
            trainer.train()
            metrics = trainer.evaluate()
            flops = gflops(trainer.unwrap_module(trainer.model).model, 512)
        rows.append((name, metrics, flops, (time.perf_counter() - start) / 60))
    print(f"{'variant':>10} {'GFLOPs@512':>10} {'train min':>9} " + " ".join(f"{k:>20}" for k in KEYS))
    for name, metrics, flops, minutes in rows:
        print(f"{name:>10} {flops:>10.2f} {minutes:>9.1f} " + " ".join(f"{metrics[k]:>20.3f}" for k in KEYS))


if __name__ == "__main__":
    main()
