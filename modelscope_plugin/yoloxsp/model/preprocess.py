"""Frames -> model input batch, and back.

The model takes raw 0-255 RGB (as upstream: no mean/std). By default a frame keeps its native
resolution and is padded (bottom/right, black) to a multiple of 32: microscopy fields are
256-512 px and upscaling costs FLOPs without adding information. With ``input_size`` a frame is
letterboxed (scaled so its longer side fits) as in training.

A frame whose pixels are finer than the model knows well is shrunk to the model's scale first
(:mod:`yoloxsp.data.scale`, the rule training follows too). Detections are reported in the
frame's own pixels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from ..data.scale import FINEST_PIXEL_SIZE, shrink_factor, to_model_scale
from ..io.images import to_rgb8
from ..io.planes import split_channels

__all__ = ["Batch", "FINEST_PIXEL_SIZE", "model_scale", "prepare_batch"]


@dataclass
class Batch:
    images: np.ndarray                   # (B, 3, H, W) float32 0-255
    scales: List[Union[float, Tuple[float, float]]]  # input px per original px (one, or x and y)
    sizes: List[Tuple[int, int]]         # original (h, w)


def prepare_batch(frames: Sequence[np.ndarray], input_size: Optional[int] = None,
                  pixel_size: Optional[float] = None, rgb8: bool = False) -> Batch:
    """Any supported frames (8/16-bit, 1-3 channels) -> one padded batch. ``pixel_size`` (um per
    pixel, of every frame) lets the contrast of 16-bit frames tell bright blobs from spindles, and
    frames finer than the model knows reach it at its scale (:func:`model_scale`). ``rgb8``: the
    frames are already what :func:`~yoloxsp.io.images.to_rgb8` makes of them (the analysis core
    prepares each frame once, for the model and the measurement alike)."""
    prepared, scales, sizes = [], [], []
    for frame in frames:
        if rgb8 and (frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3):
            raise ValueError(f"a prepared frame is H x W x 3 uint8, got {frame.shape} {frame.dtype}")
        rgb = frame if rgb8 else to_rgb8(frame, pixel_size)
        h, w = rgb.shape[:2]
        scale = model_scale((h, w), input_size, pixel_size)
        if input_size is None:
            rgb, axes = to_model_scale(rgb, pixel_size)
            if axes != (1.0, 1.0):  # the sizes were rounded: map back by what each axis became
                scale = axes
        elif scale != 1.0:  # the letterbox resizes as training does
            size = (max(round(w * scale), 1), max(round(h * scale), 1))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
        prepared.append(rgb)
        scales.append(scale)
        sizes.append((h, w))
    if input_size is None:
        height = max(_ceil32(p.shape[0]) for p in prepared)
        width = max(_ceil32(p.shape[1]) for p in prepared)
    else:
        height = width = _ceil32(input_size)
    batch = np.zeros((len(prepared), 3, height, width), np.float32)
    for i, rgb in enumerate(prepared):
        for c, plane in enumerate(split_channels(rgb)):
            batch[i, c, :plane.shape[0], :plane.shape[1]] = plane
    return Batch(batch, scales, sizes)


def model_scale(size: Tuple[int, int], input_size: Optional[int] = None, pixel_size: Optional[float] = None
                ) -> float:
    """Input pixels per frame pixel for a frame of ``size`` (h, w): the letterbox's with an
    ``input_size``, else 1, or less for pixels finer than :data:`FINEST_PIXEL_SIZE`."""
    if input_size is not None:
        return input_size / max(size)
    return shrink_factor(pixel_size)


def _ceil32(n: int) -> int:
    return max(32, -(-n // 32) * 32)
