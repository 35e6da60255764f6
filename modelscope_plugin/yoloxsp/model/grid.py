"""The layout of the YOLOX head's raw outputs, its anchor points (one per cell of the stride-8,
-16 and -32 maps) and the conversions between raw outputs, which are relative to their anchor,
and pixels.

One implementation serves both sides: inference decodes numpy arrays (so ONNX Runtime inference
never imports torch), training computes its losses on torch tensors with the same formulas; each
formula takes its array functions from the namespace of the array it is given.
"""
from __future__ import annotations

from types import ModuleType
from typing import Sequence, Tuple

import numpy as np

# Layout of the box head's raw output channels: box (dx, dy, log w, log h), objectness, the two
# poles relative to the anchor (dx1, dy1, dx2, dy2 in strides), then class logits.
BOX, OBJ, POLES, CLS = slice(0, 4), 4, slice(5, 9), 9
# Pole offsets are predicted for the 3x3 cells around a pole, so they span +-1.5 cells.
OFFSET_RANGE = 1.5
BOX_STRIDES = (8, 16, 32)


def _namespace(array) -> ModuleType:
    """numpy for numpy arrays; torch for tensors (torch is then imported already: no cost)."""
    if isinstance(array, np.ndarray):
        return np
    import torch

    return torch


def anchor_grid(input_hw: Tuple[int, int], strides: Sequence[int] = BOX_STRIDES, device=None):
    """``(grids (N, 2) cell x/y, strides (N,))`` in the order the head's outputs are flattened, as
    float32 numpy arrays, or as torch tensors on ``device`` when one is given (training)."""
    grids, all_strides = [], []
    for s in strides:
        h, w = int(input_hw[0]) // s, int(input_hw[1]) // s
        ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        grids.append(np.stack([xs, ys], axis=-1).reshape(-1, 2))
        all_strides.append(np.full(h * w, s))
    grid, stride = np.concatenate(grids).astype(np.float32), np.concatenate(all_strides).astype(np.float32)
    if device is None:
        return grid, stride
    import torch

    return torch.from_numpy(grid).to(device), torch.from_numpy(stride).to(device)


def decode_boxes(raw, grids, strides):
    """Raw head output (..., 9 + C) -> x1y1x2y2 pixels; centre = (grid + 0.5 + d) * stride."""
    xp = _namespace(raw)
    centre = (raw[..., 0:2] + grids + 0.5) * strides[..., None]
    size = xp.exp(raw[..., 2:4].clip(max=10.0)) * strides[..., None]
    return xp.concatenate([centre - size / 2, centre + size / 2], axis=-1)


def decode_pole_regression(raw, grids, strides):
    """Raw head output (..., 9 + C) -> the regressed poles (..., 2, 2) in pixels."""
    rel = raw[..., POLES].reshape(*raw.shape[:-1], 2, 2)
    return (rel + grids[..., None, :] + 0.5) * strides[..., None, None]


def encode_boxes(boxes, grids, strides):
    """Inverse of :func:`decode_boxes` (the L1 target)."""
    xp = _namespace(boxes)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    size = (boxes[:, 2:] - boxes[:, :2]).clip(min=1e-3)
    return xp.concatenate([centre / strides[:, None] - grids - 0.5, xp.log(size / strides[:, None])], axis=1)


def pole_offsets(raw):
    """Raw offset channels of the pole head -> offsets in cells (bounded, differentiable)."""
    return OFFSET_RANGE * _namespace(raw).tanh(raw)
