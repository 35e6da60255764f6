"""Find a model from what a user typed: a weights file, a model folder, an ONNX file, or
``yoloxsp`` for the default model shipped inside the package."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from ..errors import InputError
from .backends import OnnxBackend, TorchBackend
from .checkpoint import load_weights

WEIGHTS_NAME = "pytorch_model.pt"
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


def open_backend(spec: str, backend: str = "torch", device: str = "cpu",
                 threads: Optional[int] = None) -> Union[TorchBackend, OnnxBackend]:
    """A ready backend for ``spec``; ``backend='onnx'`` needs an .onnx file or a folder holding model.onnx.
    ``threads``: ONNX Runtime threads per frame (see :class:`OnnxBackend`; a batch worker sharing
    the machine with others gives its share)."""
    path = model_path(spec)
    if backend == "onnx":
        onnx_file = path if path.suffix == ".onnx" else path / "model.onnx"
        return OnnxBackend(onnx_file, threads)
    if backend != "torch":
        raise InputError(f"unknown backend {backend!r} (torch or onnx)")
    if path.suffix == ".onnx":
        raise InputError("an .onnx file needs --backend onnx", path)
    return TorchBackend(load_weights(path / WEIGHTS_NAME if path.is_dir() else path), device)
