"""Find a model from what a user typed: a weights file, a model folder, an ONNX file, or
``yoloxsp`` for the default model shipped inside the package (weights and their ONNX export).

A model folder's settings, decoding included, are its ``configuration.json``'s (one source for
both backends and every caller, as for ModelScope's model:
:func:`~yoloxsp.model.config_file.model_folder_settings`). A weights or ONNX file opened alone,
or a folder without a configuration.json, decodes with the settings the file carries: the one
fallback, for files that travel without their folder (epoch checkpoints, a copied export).

The backends are imported when a model is opened, not here: the torch backend's imports cost
start-up time that a run on ONNX Runtime does not need to pay."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from ..errors import InputError

if TYPE_CHECKING:
    from .backends import OnnxBackend, TorchBackend

WEIGHTS_NAME = "pytorch_model.pt"
ONNX_NAME = "model.onnx"
# auto: ONNX Runtime when the model has an ONNX file (the bundled one does), else torch.
BACKENDS = ("auto", "onnx", "torch")
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "assets" / "default_model"


def model_path(spec: str) -> Path:
    """``yoloxsp`` -> the bundled model folder; otherwise the path itself, which must exist."""
    if spec == "yoloxsp":
        if not (DEFAULT_MODEL_DIR / WEIGHTS_NAME).is_file():
            raise InputError("the bundled default model is not installed in this copy of yoloxsp",
                             DEFAULT_MODEL_DIR / WEIGHTS_NAME)
        return DEFAULT_MODEL_DIR
    path = Path(spec)
    if not path.exists():
        raise InputError("model not found (give a weights file, a model folder, an .onnx file or 'yoloxsp')", path)
    return path


def open_backend(spec: str, backend: str = "auto", device: str = "cpu",
                 threads: Optional[int] = None) -> Union[TorchBackend, OnnxBackend]:
    """A ready backend for ``spec``; ``backend='onnx'`` needs an .onnx file or a folder holding model.onnx,
    ``'auto'`` takes that ONNX file when there is one and the torch weights otherwise. A folder's
    configuration.json gives the settings on either backend (see the module's docstring).
    ``device`` (``cpu``, ``cuda``, ``cuda:N``): where either backend runs, an :class:`InputError`
    when it cannot run there. ``threads``: ONNX Runtime threads per frame (see :class:`OnnxBackend`;
    a batch worker sharing the machine with others gives its share)."""
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r} ({', '.join(BACKENDS)})")
    path = model_path(spec)
    from .config_file import model_folder_settings

    settings = model_folder_settings(path) if path.is_dir() else None
    onnx_file = path if path.suffix == ".onnx" else path / ONNX_NAME
    if backend == "onnx" or (backend == "auto" and onnx_file.is_file()):
        from .backends import OnnxBackend

        return OnnxBackend(onnx_file, threads, device, settings)
    if path.suffix == ".onnx":
        raise InputError("an .onnx file needs the onnx backend", path)
    from .backends import TorchBackend
    from .checkpoint import load_weights

    return TorchBackend(load_weights(path / WEIGHTS_NAME if path.is_dir() else path, settings), device)
