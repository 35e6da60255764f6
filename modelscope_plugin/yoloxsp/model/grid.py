"""Anchor points of the YOLOX head (one per cell of the stride-8, -16 and -32 maps) and the
conversions between raw head outputs, which are relative to their anchor, and pixels. Shared by
the losses (training) and the decoder (inference)."""
from __future__ import annotations

from typing import Sequence, Tuple

import torch

from .heads import POLES

BOX_STRIDES = (8, 16, 32)


def anchor_grid(input_hw: Tuple[int, int], strides: Sequence[int] = BOX_STRIDES,
                device=None) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(grids (N, 2) cell x/y, strides (N,))`` in the order the head's outputs are flattened."""
    grids, all_strides = [], []
    for s in strides:
        h, w = input_hw[0] // s, input_hw[1] // s
        ys, xs = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
        grids.append(torch.stack([xs, ys], dim=-1).reshape(-1, 2).float())
        all_strides.append(torch.full((h * w,), float(s), device=device))
    return torch.cat(grids), torch.cat(all_strides)


def decode_boxes(raw: torch.Tensor, grids: torch.Tensor, strides: torch.Tensor) -> torch.Tensor:
    """Raw head output (..., 9 + C) -> x1y1x2y2 pixels; centre = (grid + 0.5 + d) * stride."""
    centre = (raw[..., 0:2] + grids + 0.5) * strides[..., None]
    size = torch.exp(raw[..., 2:4].clamp(max=10.0)) * strides[..., None]
    return torch.cat([centre - size / 2, centre + size / 2], dim=-1)


def decode_pole_regression(raw: torch.Tensor, grids: torch.Tensor, strides: torch.Tensor) -> torch.Tensor:
    """Raw head output (..., 9 + C) -> the regressed poles (..., 2, 2) in pixels."""
    rel = raw[..., POLES].reshape(*raw.shape[:-1], 2, 2)
    return (rel + grids[..., None, :] + 0.5) * strides[..., None, None]


def encode_boxes(boxes: torch.Tensor, grids: torch.Tensor, strides: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`decode_boxes` (the L1 target)."""
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    size = (boxes[:, 2:] - boxes[:, :2]).clamp(min=1e-3)
    return torch.cat([centre / strides[:, None] - grids - 0.5, torch.log(size / strides[:, None])], dim=1)
