"""How a model does per microscope look, and on looks it never saw (leave-one-look-out).

    .venv/bin/python tools/looks_report.py evaluate --model yoloxsp
    .venv/bin/python tools/looks_report.py leave-one-out --epochs 4 --frames 600 [--looks dense-lawn ...] \
        [--work-dir work_dirs/leave_one_out]

``evaluate`` scores a model on the held-out set of every look of :mod:`yoloxsp.synth.looks`
(``synthetic:look:NAME``, seeds never used for training), the looks no training draws
(``UNSEEN_LOOKS``, marked with a ``*``) included, and counts its detections on pure-noise
movies (raw 16-bit, one and two channels: the goal is none). ``leave-one-out`` trains, through
the package's trainer and ``configs/yoloxsp_nano.json``, one model per look without that look
and scores it on that look, beside a control model trained the same way on every look: the gap
estimates how the model does on a microscope it has never seen. Each run keeps its folder under
``--work-dir`` (reused when finished, resumed when interrupted) and the scores so far are kept in
its ``results.json``. Prints per look: detection F1
and recall of long spindles (>= 25 px) at IoU 0.5, median pole error (px), median relative
length error.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FRAMES_KEY = "dataset.train.synthetic.frames"
COLUMNS = {"det_F1@0.5": "F1", "det_precision@0.5": "precision", "long_recall@0.5": "long recall",
           "n_long_spindles": "n long", "pole_median_error_px": "pole err px", "length_median_rel_error": "length err"}


def score_looks(predictor, looks: Sequence[str]) -> Dict[str, Dict[str, float]]:
    from yoloxsp.metrics import evaluate_records
    from yoloxsp.metrics.sources import LOOK_PREFIX, open_eval_set

    results = {}
    for look in looks:
        with open_eval_set(LOOK_PREFIX + look) as data:
            results[look] = evaluate_records(predictor, data.records, data.pixel_sizes, progress=False)
    return results


def noise_detections(predictor, frames: int = 10, seed: int = 0) -> Dict[str, int]:
    """Detections on raw 16-bit frames of camera noise only (offset ~100 counts, sigma ~3)."""
    rng = np.random.default_rng(seed)
    counts = {}
    for channels in (1, 2):
        movie = [np.clip(rng.normal(100, 3, (256, 256, channels)), 0, 65535).astype(np.uint16) for _ in range(frames)]
        counts[f"noise {channels}ch ({frames} frames)"] = sum(len(d) for d in predictor(movie))
    return counts


def print_table(rows: Dict[str, Dict[str, float]]) -> None:
    print(f"{'look':>22} " + " ".join(f"{name:>11}" for name in COLUMNS.values()))
    for look, metrics in rows.items():
        print(f"{look:>22} " + " ".join(f"{metrics.get(key, float('nan')):>11.3f}" for key in COLUMNS))


def evaluate(args) -> None:
    from yoloxsp.model.backends import Predictor
    from yoloxsp.model.resolve import open_backend
    from yoloxsp.synth.looks import LOOKS, UNSEEN_LOOKS

    predictor = Predictor(open_backend(args.model))
    rows = score_looks(predictor, args.looks or [*LOOKS, *UNSEEN_LOOKS])
    print_table({f"{look}*" if look in UNSEEN_LOOKS else look: metrics for look, metrics in rows.items()})
    for name, n in noise_detections(predictor).items():
        print(f"{name}: {n} detections")


def trained_model(work: Path, exclude: List[str], epochs: int, frames: int, first_seed: int) -> Path:
    """The model folder of a run in ``work``: a finished run is reused, an interrupted one resumed
    from its last epoch checkpoint, so a long series of runs survives a stop."""
    import yoloxsp  # noqa: F401  (registers the trainer)
    from modelscope.trainers import build_trainer

    from yoloxsp.metainfo import Trainers

    output = work / "output"
    record_file = output / "configuration.json"
    if record_file.is_file():
        record = json.loads(record_file.read_text()).get("training_record", {})
        if record.get("epochs") == epochs and record.get("cfg_options", {}).get(FRAMES_KEY) == frames:
            return output
    checkpoints = sorted(work.glob("epoch_*.pth"), key=lambda p: int(p.stem.split("_")[1]))
    trainer = build_trainer(Trainers.easycv, dict(
        cfg_file=str(ROOT / "configs" / "yoloxsp_nano.json"), work_dir=str(work), train_dataset="synthetic:train",
        eval_dataset="synthetic:look:" + (exclude[0] if exclude else "wells-avi"),
        cfg_options={"train.max_epochs": epochs, FRAMES_KEY: frames,
                     "dataset.train.synthetic.first_seed": first_seed, "dataset.train.synthetic.exclude_looks": exclude,
                     "train.hooks": [{"type": "EvaluationHook", "interval": epochs}]}))
    trainer.train(checkpoint_path=str(checkpoints[-1]) if checkpoints else None)
    return output


def leave_one_out(args) -> None:
    from yoloxsp.io.atomic import atomic_path
    from yoloxsp.model.backends import Predictor
    from yoloxsp.model.resolve import open_backend
    from yoloxsp.synth.looks import LOOKS

    looks = args.looks or list(LOOKS)
    work = Path(args.work_dir)
    results_file = work / "results.json"
    results = json.loads(results_file.read_text()) if results_file.is_file() else {}
    runs = [("control", [], looks)] + [(look, [look], [look]) for look in looks]
    for name, exclude, scored in runs:
        model = trained_model(work / name, exclude, args.epochs, args.frames, args.seed)
        results[name] = score_looks(Predictor(open_backend(str(model))), scored)
        with atomic_path(results_file) as partial:
            partial.write_text(json.dumps(results, indent=1))
        print(f"{name}: {'trained on every look' if not exclude else 'trained without ' + exclude[0]}"
              f" ({args.epochs} epochs x {args.frames} frames)", flush=True)
        print_table(results[name])
    print("left out: each row's model was trained without that look; control: the model trained on every look")
    print_table({f"{look} (left out)": results[look][look] for look in looks})
    print_table({f"{look} (control)": results["control"][look] for look in looks})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("evaluate")
    p.add_argument("--model", default="yoloxsp")
    p.add_argument("--looks", nargs="*")
    p.set_defaults(run=evaluate)
    p = sub.add_parser("leave-one-out")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--frames", type=int, default=600, help="synthetic training frames per epoch")
    p.add_argument("--seed", type=int, default=0, help="first training seed")
    p.add_argument("--looks", nargs="*")
    p.add_argument("--work-dir", default=str(ROOT / "work_dirs" / "leave_one_out"),
                   help="one run per folder; finished runs are reused and interrupted ones resumed")
    p.set_defaults(run=leave_one_out)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
