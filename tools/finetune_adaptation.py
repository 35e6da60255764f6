"""Does fine-tuning on a handful of frames of a new microscope look help? Before/after figures.

    .venv/bin/python tools/finetune_adaptation.py [--model yoloxsp] [--look widefield-haze] [--frames 5] [--epochs 30] \
        [--set KEY=VALUE ...]

A look no training draws (one of ``yoloxsp.synth.looks.UNSEEN_LOOKS``: ``widefield-haze``, a
widefield set-up with strong out-of-focus haze, a wide PSF and channel bleed-through, or
``tubulin-only-8bit``, an 8-bit JPEG export of tubulin alone) is generated from disjoint seeds:
``--frames`` annotated fields to fine-tune on (the package's trainer with the model's fine-tuning
recipe, changed by ``--set`` overrides as ``yoloxsp train`` takes them) and held-out movies to
score on (``synthetic:look:LOOK``).
Prints detection F1 and long-spindle recall at IoU 0.5, the median pole error and the median
relative length error of the model before and after, and the fine-tune's CPU time.
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Dict

from yoloxsp.cli.train import parse_set_options
from yoloxsp.metrics import evaluate_records
from yoloxsp.metrics.sources import LOOK_PREFIX, open_eval_set
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend
from yoloxsp.synth.looks import UNSEEN_LOOKS
from yoloxsp.synth.sets import write_fields_task

KEYS = {"det_F1@0.5": "F1", "long_recall@0.5": "long recall", "pole_median_error_px": "pole err px",
        "length_median_rel_error": "length err"}


def score(model: str, look: str) -> Dict[str, float]:
    with open_eval_set(LOOK_PREFIX + look) as data:
        return evaluate_records(Predictor(open_backend(model)), data.records, data.pixel_sizes, progress=False)


def finetune(model: str, train: Path, work: Path, options: Dict[str, object]) -> Path:
    import yoloxsp  # noqa: F401  (registers the trainer)
    from modelscope.trainers import build_trainer

    from yoloxsp.metainfo import Trainers
    from yoloxsp.model.resolve import model_path

    trainer = build_trainer(Trainers.easycv, dict(
        model=str(model_path(model)), train_dataset=str(train), eval_dataset=str(train), work_dir=str(work),
        cfg_options=options))
    trainer.train()
    return work / "output"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="yoloxsp")
    parser.add_argument("--look", default="widefield-haze", choices=sorted(UNSEEN_LOOKS))
    parser.add_argument("--frames", type=int, default=5, help="annotated frames to fine-tune on")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="fine-tuning config override, e.g. train.optimizer.lr=0.001")
    args = parser.parse_args()
    before = score(args.model, args.look)
    with tempfile.TemporaryDirectory() as tmp:
        train = write_fields_task(Path(tmp) / "train", args.look, args.frames)
        cpu, wall = _cpu_seconds(), time.perf_counter()
        options = {"train.max_epochs": args.epochs, **parse_set_options(args.set)}
        tuned = finetune(args.model, train, Path(tmp) / "work", options)
        cpu, wall = _cpu_seconds() - cpu, time.perf_counter() - wall
        after = score(str(tuned), args.look)
    print(f"look {args.look}: {before['n_images']} held-out frames, {before['n_spindles']} spindles")
    print(f"{'':>8} " + " ".join(f"{name:>12}" for name in KEYS.values()))
    for name, metrics in (("before", before), ("after", after)):
        print(f"{name:>8} " + " ".join(f"{metrics[key]:>12.3f}" for key in KEYS))
    print(f"fine-tune on {args.frames} frames, {' '.join([f'{args.epochs} epochs', *args.set])}: {wall / 60:.1f} min wall, "
          f"{cpu / 60:.1f} CPU min (with data-loader workers)")


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
