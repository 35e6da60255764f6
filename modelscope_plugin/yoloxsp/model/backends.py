"""Inference backends: PyTorch or ONNX Runtime produce the same raw outputs (numpy arrays), then
share one preprocessing and one decoding (:class:`Predictor`). Only the torch backend touches
torch: a run on ONNX Runtime never pays for torch's import.

Both run where ``device`` says (``cpu``, ``cuda``, ``cuda:N``; torch also takes its other
devices) or raise an :class:`InputError`: a model asked onto the GPU never runs on the CPU
without a word (ONNX Runtime falls back to the CPU when its CUDA provider fails to start)."""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Tuple, Union

import numpy as np

from ..errors import InputError, PathLike, first_line
from .config import METADATA_KEY, YoloxSpConfig
from .decode import Detections
from .inference import Frames, detect_frames

if TYPE_CHECKING:
    from .yoloxsp import YoloxSp


ONNX_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}
NETWORK_KEYS = ("size", "pole_stride")  # the settings an ONNX file's graph is fixed by


def torch_device(device: str):
    """torch's device named ``device``, checked by allocating on it: ``model.to('cuda')`` on a
    machine without CUDA fails deep inside torch, with a message that does not name the option."""
    import torch

    try:
        chosen = torch.device(device)
        torch.empty(0, device=chosen)
    except Exception as exc:  # torch raises RuntimeError, AssertionError or ValueError, by build and cause
        raise InputError(f"device {device!r} is not available to torch here: {first_line(exc)}") from None
    return chosen


def onnx_provider(device: str) -> Tuple[str, dict]:
    """ONNX Runtime's execution provider and its options for ``device`` (``cpu``, ``cuda``, ``cuda:N``)."""
    kind, _, index = device.partition(":")
    if kind not in ONNX_PROVIDERS or (index and (kind == "cpu" or not index.isdigit())):
        raise InputError(f"device {device!r}: the onnx backend runs on cpu, cuda or cuda:N")
    return ONNX_PROVIDERS[kind], {"device_id": int(index)} if index else {}


def _check_same_network(config: YoloxSpConfig, carried: YoloxSpConfig, path: Path) -> None:
    """Raise when an ONNX file was exported from another network than ``config`` describes: the
    decoding reads its outputs at ``config``'s pole stride, and a stale export after a change of
    size would run other weights than the folder's torch backend (the torch backend needs no such
    check: its weights refuse to load into another network)."""
    differing = [f"{key} {getattr(carried, key)!r} (the file) vs {getattr(config, key)!r} (configuration.json)"
                 for key in NETWORK_KEYS if getattr(carried, key) != getattr(config, key)]
    if differing:
        raise InputError(f"exported from another network than the model folder's configuration.json describes: "
                         f"{'; '.join(differing)}; export it again with yoloxsp export", path)


class TorchBackend:
    parallel_frames = 1  # concurrent forwards from several Python threads contend (slower per frame)

    def __init__(self, model: YoloxSp, device: str = "cpu"):
        self.model = model.to(torch_device(device)).eval()
        self.config = model.config
        self.device = device

    def raw(self, images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        return self.model.raw_outputs(images)


class OnnxBackend:
    """ONNX Runtime, on the CPU unless ``device`` says otherwise. By default each frame runs on one
    thread and the frames of a batch (or concurrent calls) run side by side, one per core, which
    gives more frames per second than one frame on every core (``tools/benchmark.py model``
    measures both). ``threads`` gives every run that many threads instead. ``device`` ``cuda``
    (or ``cuda:N``) runs on the GPU through the CUDA provider (``onnxruntime-gpu``), or raises."""

    def __init__(self, path: PathLike, threads: Optional[int] = None, device: str = "cpu",
                 config: Optional[YoloxSpConfig] = None):
        """``config``: the model's settings when they come from elsewhere (a model folder's
        configuration.json, :func:`~yoloxsp.model.resolve.open_backend`); None takes the ones the
        file carries in its metadata."""
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise InputError("ONNX file not found", path)
        provider, provider_options = onnx_provider(device)
        if provider not in ort.get_available_providers():
            raise InputError(f"device {device!r}: this ONNX Runtime has no {provider} (it has "
                             f"{', '.join(ort.get_available_providers())}); install onnxruntime-gpu for cuda, "
                             "or ask for device 'cpu'")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 1
        self.parallel_frames = 1 if threads else (os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(self.parallel_frames) if self.parallel_frames > 1 else None
        try:
            self.session = ort.InferenceSession(str(path), options, providers=[(provider, provider_options)])
        except Exception as exc:
            raise InputError(f"cannot load ONNX model: {exc}", path) from None
        if provider not in self.session.get_providers():  # ONNX Runtime fell back to the CPU
            raise InputError(f"device {device!r}: ONNX Runtime could not start its {provider} (its log above "
                             "says why); ask for device 'cpu'", path)
        meta = self.session.get_modelmeta().custom_metadata_map
        if METADATA_KEY in meta:
            carried = YoloxSpConfig.from_dict(json.loads(meta[METADATA_KEY]), path)
            if config is not None:
                _check_same_network(config, carried, path)
            config = config or carried
        elif config is None:
            raise InputError(f"ONNX file lacks the {METADATA_KEY!r} metadata (export it with yoloxsp export)", path)
        self.config = config

    def raw(self, images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        if self._pool is None or len(images) == 1:
            boxes, poles = self._run(images)
        else:
            outputs = list(self._pool.map(self._run, (images[i:i + 1] for i in range(len(images)))))
            boxes, poles = (np.concatenate(parts) for parts in zip(*outputs))
        return boxes, poles

    def _run(self, batch: np.ndarray) -> List[np.ndarray]:
        return self.session.run(["boxes", "poles"], {"images": batch})


Backend = Union[TorchBackend, OnnxBackend]


class Predictor:
    """Frames in, :class:`Detections` out, whatever the backend."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.config = backend.config
        self.parallel_frames = backend.parallel_frames  # frames worth running at once (calls are thread-safe)

    def __call__(self, frames: Frames, pixel_size: Optional[float] = None, rgb8: bool = False) -> List[Detections]:
        """Detections of ``frames``; ``pixel_size`` (um per pixel of every frame), when known,
        sets the contrast of 16-bit frames (:func:`yoloxsp.io.contrast.contrast_limits`) and the
        scale the model sees; ``rgb8``: the frames are 8-bit RGB as :func:`yoloxsp.io.to_rgb8`
        made them, not to be converted again."""
        return detect_frames(self.backend.raw, self.config, frames, pixel_size, rgb8)

    def at_score_threshold(self, score_threshold: float) -> "Predictor":
        """The same weights and backend, decoded at another score threshold (this one is left as it is)."""
        other = Predictor(self.backend)
        other.config = replace(self.config, decode=replace(self.config.decode, score_threshold=score_threshold))
        return other
