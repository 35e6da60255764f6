"""Frames in, :class:`~yoloxsp.model.decode.Detections` out, for any function that computes the
raw outputs: one preprocessing and one decoding for the network's own ``predict`` and for every
backend. It sits below both, so neither the network nor the backends import each other, and it
needs no torch (the ONNX Runtime backend uses it too).
"""
from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .config import YoloxSpConfig
from .decode import Detections, decode
from .preprocess import prepare_batch

# (B, 3, H, W) float32 images -> (box_raw, pole_raw) as numpy arrays (see onnx_export for their layout).
RawOutputs = Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray]]
Frames = Union[np.ndarray, Sequence[np.ndarray]]


def detect_frames(raw: RawOutputs, config: YoloxSpConfig, frames: Frames,
                  pixel_size: Optional[float] = None, rgb8: bool = False) -> List[Detections]:
    """Detections per frame (H x W [x C], 8/16-bit, 1-3 channels; one frame or a list of them;
    ``pixel_size`` in um, of every frame, when known; ``rgb8``: frames already prepared, see
    :func:`~yoloxsp.model.preprocess.prepare_batch`)."""
    if isinstance(frames, np.ndarray) and frames.ndim in (2, 3):
        frames = [frames]
    batch = prepare_batch(frames, config.input_size, pixel_size, rgb8)
    box_raw, pole_raw = raw(batch.images)
    return decode(box_raw, pole_raw, tuple(batch.images.shape[-2:]), config.pole_stride,
                  batch.scales, batch.sizes, config.decode)
