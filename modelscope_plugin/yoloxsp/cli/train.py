"""``yoloxsp train``: train or fine-tune through ModelScope's ``build_trainer('easycv', ...)``.

``--config`` is a training config (``configs/yoloxsp_<size>.json``), a model folder, or ``yoloxsp`` (the
bundled model's configuration.json). Training starts from the weights of ``--model`` (default:
the config's folder when it holds weights, else from scratch); starting from weights, the
config's fine-tuning recipe applies (``--recipe config``: its own training recipe), the same
recipe ``build_trainer`` uses. ``--train`` is a CVAT export or ``synthetic:train`` (frames
generated on the fly); ``--val`` a CVAT export, ``synthetic:validation`` or
``synthetic:look:NAME``; without ``--val`` the last frames with a spindle of a CVAT ``--train`` (one
in five, at least one) are held out as validation data (the log says which). The weights that score
best on the validation data (a fine-tune's starting weights among them) and the last ones land in
``WORK_DIR/output_best`` and ``WORK_DIR/output`` as model folders
that ``yoloxsp eval`` and ``predict`` take. Under
``torchrun`` the processes train together (gloo without CUDA).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ..errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train or fine-tune on CVAT exports (EasyCV trainer)",
                       description=__doc__.split(":", 1)[1].strip())
    p.add_argument("--config", required=True, help="config .json/.py, model folder, or 'yoloxsp'")
    p.add_argument("--train", required=True,
                   help="training CVAT export (folder, zip, or folder of tasks), or synthetic:train")
    p.add_argument("--val",
                   help="validation CVAT export, synthetic:validation or synthetic:look:NAME (evaluated every epoch; "
                        "default: one in five frames with a spindle of a CVAT --train, the last ones, held out of training)")
    p.add_argument("--work-dir", required=True)
    p.add_argument("--model", help="initial weights: model folder or 'yoloxsp' (default: see above)")
    p.add_argument("--recipe", choices=("auto", "config"), default="auto",
                   help="auto: the config's fine-tuning recipe when starting from weights; config: the config's "
                        "own recipe even then (to continue a training run whose checkpoints are gone)")
    p.add_argument("--resume", help="checkpoint to continue from (e.g. WORK_DIR/epoch_3.pth)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int, help="images per process")
    p.add_argument("--lr", type=float)
    p.add_argument("--pixel-size", type=float, help="um per pixel of the validation data (um metrics)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any config override, e.g. train.dataloader.workers_per_gpu=0 (value parsed as JSON)")
    p.set_defaults(run=run)


def config_overrides(args) -> Dict[str, object]:
    options: Dict[str, object] = {}
    for flag, key in (("epochs", "train.max_epochs"), ("batch_size", "train.dataloader.batch_size_per_gpu"),
                      ("lr", "train.optimizer.lr"), ("pixel_size", "dataset.val.pixel_size")):
        if getattr(args, flag) is not None:
            options[key] = getattr(args, flag)
    options.update(parse_set_options(args.set))
    return options


def parse_set_options(items: Sequence[str]) -> Dict[str, object]:
    """``--set KEY=VALUE`` items as config overrides, each value parsed as JSON when it is JSON."""
    options: Dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def resolve_config(spec: str, weights: Optional[str]) -> tuple:
    """``(cfg_file, model)`` for build_trainer: ``model`` is a folder with weights or None."""
    from ..model.resolve import WEIGHTS_NAME, model_path  # imported here: other commands skip torch

    path = model_path(spec) if spec == "yoloxsp" or Path(spec).is_dir() else Path(spec)
    if path.is_dir():
        cfg_file = path / "configuration.json"
        if not cfg_file.is_file():
            raise InputError("model folder has no configuration.json", path)
        start = weights or (str(path) if (path / WEIGHTS_NAME).is_file() else None)
    elif path.is_file():
        cfg_file, start = path, weights
    else:
        raise InputError("config not found (give a config file, a model folder or 'yoloxsp')", path)
    return cfg_file, (str(model_path(start)) if start else None)


def run(args) -> int:
    import torch

    from ..metainfo import Trainers
    from ..model.resolve import WEIGHTS_NAME
    from modelscope.trainers import build_trainer

    cfg_file, model = resolve_config(args.config, args.model)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda was asked for but CUDA is not available")
    kwargs = dict(cfg_file=str(cfg_file), model=model, train_dataset=args.train, eval_dataset=args.val,
                  work_dir=args.work_dir, cfg_options=config_overrides(args), recipe=args.recipe)
    if args.device:
        kwargs["device"] = "gpu" if args.device == "cuda" else "cpu"
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        kwargs["launcher"] = "pytorch"
    trainer = build_trainer(Trainers.easycv, kwargs)
    trainer.train(checkpoint_path=args.resume)
    outputs: List[str] = [str(Path(args.work_dir) / d) for d in ("output", "output_best")
                          if (Path(args.work_dir) / d / WEIGHTS_NAME).is_file()]
    if int(os.environ.get("RANK", "0")) == 0:
        print("trained; model folders: " + ", ".join(outputs))
    return 0
