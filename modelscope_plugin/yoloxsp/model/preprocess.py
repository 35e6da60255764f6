"""Frames -> model input batch, and back.

The model takes raw 0-255 RGB (as upstream: no mean/std). By default a frame keeps its native
resolution and is padded (bottom/right, black) to a multiple of 32: microscopy fields are
256-512 px and upscaling costs FLOPs without adding information. With ``input_size`` a frame is
letterboxed (scaled so its longer side fits) as in training.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..io.images import to_rgb8


@dataclass
class Batch:
    images: np.ndarray                   # (B, 3, H, W) float32 0-255
    scales: List[float]                  # input px per original px
    sizes: List[Tuple[int, int]]         # original (h, w)


def prepare_batch(frames: Sequence[np.ndarray], input_size: Optional[int] = None,
                  pixel_size: Optional[float] = None) -> Batch:
    """Any supported frames (8/16-bit, 1-3 channels) -> one padded batch. ``pixel_size`` (um per
    pixel, of every frame) lets the contrast of 16-bit frames tell bright blobs from spindles."""
    prepared, scales, sizes = [], [], []
    for frame in frames:
        rgb = to_rgb8(frame, pixel_size)
        h, w = rgb.shape[:2]
        scale = 1.0 if input_size is None else input_size / max(h, w)
        if scale != 1.0:
            rgb = cv2.resize(rgb, (max(round(w * scale), 1), max(round(h * scale), 1)), interpolation=cv2.INTER_LINEAR)
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
        batch[i, :, :rgb.shape[0], :rgb.shape[1]] = rgb.transpose(2, 0, 1)
    return Batch(batch, scales, sizes)


def _ceil32(n: int) -> int:
    return max(32, -(-n // 32) * 32)
