"""Anchor points of the YOLOX head: one per cell of the stride-8, -16 and -32 maps."""
from __future__ import annotations

from typing import Sequence, Tuple

import torch

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
