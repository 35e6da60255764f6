"""Save and load YOLOX-SP weights safely.

A weights file is ``{"format": "yoloxsp", "config": {...}, "state_dict": {...}}`` written with
``torch.save`` to a temporary name and renamed (a crash never leaves half a file), and read with
``torch.load(weights_only=True)`` (no pickled code runs). A wrong, truncated or mismatched file
raises :class:`~yoloxsp.errors.InputError` naming it.

The stored config builds the network when the file is read alone (an epoch checkpoint, a weights
file given by path) and decodes it then; in a model folder, the folder's configuration.json is
passed as ``config`` and the stored copy is not read (:mod:`yoloxsp.model.resolve`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch

from ..errors import InputError, PathLike
from ..io.atomic import atomic_path
from .yoloxsp import YoloxSp, YoloxSpConfig

FORMAT = "yoloxsp"


def save_weights(model: YoloxSp, path: PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial:
        torch.save({"format": FORMAT, "config": model.config.to_dict(), "state_dict": model.state_dict()}, partial)
    return path


def load_weights(path: PathLike, config: Optional[YoloxSpConfig] = None, map_location: str = "cpu") -> YoloxSp:
    """Build the model stored in ``path``; ``config`` (a model folder's settings) replaces the stored
    one, decoding included, and must describe the same network or the weights do not load."""
    path = Path(path)
    if not path.is_file():
        raise InputError("weights file not found", path)
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # truncated zip, not a torch file, unsafe pickle...
        raise InputError(f"cannot read weights (truncated or not a yoloxsp weights file): {exc}", path) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "state_dict" not in payload:
        raise InputError("not a yoloxsp weights file (expected a dict with format='yoloxsp')", path)
    model = YoloxSp(config or YoloxSpConfig.from_dict(payload["config"], path))
    try:
        missing, unexpected = model.load_state_dict(payload["state_dict"], strict=False)
    except RuntimeError as exc:  # tensor shapes differ: weights of another size
        raise InputError(f"weights do not fit a {model.config.size} model: {str(exc).splitlines()[1].strip()}",
                         path) from None
    if missing or unexpected:
        raise InputError(f"weights do not fit a {model.config.size} model: {len(missing)} missing "
                         f"(e.g. {missing[:2]}), {len(unexpected)} unexpected (e.g. {unexpected[:2]})", path)
    return model.eval()
