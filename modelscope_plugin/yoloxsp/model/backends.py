"""Inference backends: PyTorch or ONNX Runtime produce the same raw outputs, then share one
preprocessing and one decoding (:class:`Predictor`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ..errors import InputError, PathLike
from .decode import Detections, decode
from .onnx_export import METADATA_KEY
from .preprocess import prepare_batch
from .yoloxsp import YoloxSp, YoloxSpConfig


class TorchBackend:
    def __init__(self, model: YoloxSp, device: str = "cpu"):
        self.model = model.to(device).eval()
        self.config = model.config
        self.device = device

    @torch.no_grad()
    def raw(self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.model.forward_raw(images.to(self.device))


class OnnxBackend:
    def __init__(self, path: PathLike, threads: Optional[int] = None):
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise InputError("ONNX file not found", path)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise InputError(f"cannot load ONNX model: {exc}", path) from None
        meta = self.session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in meta:
            raise InputError(f"ONNX file lacks the {METADATA_KEY!r} metadata (export it with yoloxsp export)", path)
        self.config = YoloxSpConfig(**json.loads(meta[METADATA_KEY]))

    def raw(self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        boxes, poles = self.session.run(["boxes", "poles"], {"images": images.cpu().numpy()})
        return torch.from_numpy(boxes), torch.from_numpy(poles)


Backend = Union[TorchBackend, OnnxBackend]


class Predictor:
    """Frames in, :class:`Detections` out, whatever the backend."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.config = backend.config

    def __call__(self, frames: Union[np.ndarray, Sequence[np.ndarray]]) -> List[Detections]:
        if isinstance(frames, np.ndarray) and frames.ndim in (2, 3):
            frames = [frames]
        batch = prepare_batch(frames, self.config.input_size)
        box_raw, pole_raw = self.backend.raw(batch.images)
        return decode(box_raw, pole_raw, tuple(batch.images.shape[-2:]), self.config.pole_stride,
                      batch.scales, batch.sizes, self.config.decode)
