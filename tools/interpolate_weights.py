"""Weights part way between two models of one architecture: ``(1 - alpha) * START + alpha * END``.

    .venv/bin/python tools/interpolate_weights.py START END --alpha 0.5 --out DIR

Fine-tuning from the bundled weights has, every time so far, gained on the looks it trained on
and lost precision on a look no training draws. Interpolating the weights of a model and of its
own fine-tune (END trained from START's weights, so both lie in one basin of the loss) often
keeps most of the fine-tune's gains while keeping the start's robustness on data neither saw
("WiSE-FT", Wortsman et al. 2022). The result is an ordinary model folder (``pytorch_model.pt``
and the END folder's ``configuration.json``), scored like any candidate with
``tools/looks_report.py``. It is written as a whole or not at all, and only into a new or empty
folder, so a model already there (START's or END's own folder among them) is never overwritten.

Floating-point tensors (weights and the batch-norm running statistics) are interpolated; integer
buffers (batch-norm batch counters) are taken from END. START and END must hold the same
architecture; decoding settings come from END's configuration.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Dict

import torch

from yoloxsp.io.atomic import atomic_path
from yoloxsp.model.checkpoint import load_weights, save_weights
from yoloxsp.model.resolve import WEIGHTS_NAME, model_path

CONFIGURATION_NAME = "configuration.json"


def interpolate_state(start: Dict[str, torch.Tensor], end: Dict[str, torch.Tensor],
                      alpha: float) -> Dict[str, torch.Tensor]:
    """``(1 - alpha) * start + alpha * end`` per floating-point tensor; other tensors from ``end``."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], not {alpha}")
    if start.keys() != end.keys():
        raise ValueError(f"the two state dicts differ in their keys: {sorted(start.keys() ^ end.keys())[:4]}")
    mixed = {}
    for name, end_tensor in end.items():
        start_tensor = start[name]
        if start_tensor.shape != end_tensor.shape:
            raise ValueError(f"{name}: shapes differ ({tuple(start_tensor.shape)} vs {tuple(end_tensor.shape)})")
        mixed[name] = (torch.lerp(start_tensor, end_tensor, alpha) if end_tensor.is_floating_point()
                       else end_tensor.clone())
    return mixed


def weights_file(spec: str) -> Path:
    """The weights file a model folder, a weights file or a hub name stands for."""
    path = model_path(spec)
    return path / WEIGHTS_NAME if path.is_dir() else path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("start", help="model folder, weights file or 'yoloxsp' (alpha 0)")
    parser.add_argument("end", help="model folder whose configuration.json the result keeps (alpha 1)")
    parser.add_argument("--alpha", type=float, required=True, help="share of END, 0-1")
    parser.add_argument("--out", type=Path, required=True, help="model folder to write")
    args = parser.parse_args()
    if not 0.0 <= args.alpha <= 1.0:
        parser.error(f"--alpha must lie in [0, 1], not {args.alpha}")
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out}: not empty; give a new folder (what is there is kept as it is)")
    end_configuration = model_path(args.end) / CONFIGURATION_NAME
    if not end_configuration.is_file():
        parser.error(f"{args.end}: not a model folder with a {CONFIGURATION_NAME} (its decoding settings "
                     "are what the result is scored with)")
    start, end = load_weights(weights_file(args.start)), load_weights(weights_file(args.end))
    end.load_state_dict(interpolate_state(start.state_dict(), end.state_dict(), args.alpha))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out) as staging:
        staging.mkdir()
        save_weights(end, staging / WEIGHTS_NAME)
        shutil.copyfile(end_configuration, staging / CONFIGURATION_NAME)
    print(f"{args.out}: {1 - args.alpha:g} x {args.start} + {args.alpha:g} x {args.end}")


if __name__ == "__main__":
    main()
