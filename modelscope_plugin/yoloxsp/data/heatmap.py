"""Pole heatmap targets and their loss masks.

A heatmap cell (i, j) at stride ``s`` covers input pixels [j*s, (j+1)*s) x [i*s, (i+1)*s); its
centre is ((j+0.5)*s, (i+0.5)*s). Each pole adds a Gaussian of ``sigma`` cells centred at its
exact sub-pixel position (upstream snapped poles to floor(p/4), which costs up to 4 px of
accuracy before the network even starts); overlapping Gaussians combine by maximum, so every
pole peaks at 1.

The mask is 1 where the target is known -- including all background, so interphase SPB dots
are taught to be "not a pole" -- and 0 inside the regions given as ``ignore`` (spindles whose
poles are not annotated, or spindles cut by a crop).
"""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np


def heatmap_shape(image_hw: Tuple[int, int], stride: int) -> Tuple[int, int]:
    """Cells of a stride-``stride`` map over an image (partial cells count)."""
    return -(-image_hw[0] // stride), -(-image_hw[1] // stride)


def pole_heatmap(poles: np.ndarray, image_hw: Tuple[int, int], stride: int = 4,
                 sigma: float = 1.0) -> np.ndarray:
    """Target of shape (ceil(H/stride), ceil(W/stride)) for ``poles`` (N, 2) in input pixels.

    Rows with NaN (missing poles) are skipped.
    """
    out_h, out_w = heatmap_shape(image_hw, stride)
    heatmap = np.zeros((out_h, out_w), np.float32)
    poles = np.asarray(poles, np.float64).reshape(-1, 2)
    radius = int(np.ceil(3 * sigma))
    for x, y in poles[np.isfinite(poles).all(axis=1)]:
        cx, cy = x / stride - 0.5, y / stride - 0.5   # position in cell-index units
        j0, i0 = int(np.floor(cx)) - radius, int(np.floor(cy)) - radius
        j1, i1 = int(np.floor(cx)) + radius + 2, int(np.floor(cy)) + radius + 2
        j0c, i0c, j1c, i1c = max(j0, 0), max(i0, 0), min(j1, out_w), min(i1, out_h)
        if j1c <= j0c or i1c <= i0c:
            continue
        jj, ii = np.meshgrid(np.arange(j0c, j1c), np.arange(i0c, i1c))
        g = np.exp(-((jj - cx) ** 2 + (ii - cy) ** 2) / (2 * sigma ** 2)).astype(np.float32)
        np.maximum(heatmap[i0c:i1c, j0c:j1c], g, out=heatmap[i0c:i1c, j0c:j1c])
    return heatmap


def pole_loss_mask(ignore_boxes: Sequence[Sequence[float]], image_hw: Tuple[int, int],
                   stride: int = 4) -> np.ndarray:
    """1 everywhere except the cells touched by ``ignore_boxes`` (x1, y1, x2, y2 input pixels)."""
    out_h, out_w = heatmap_shape(image_hw, stride)
    mask = np.ones((out_h, out_w), np.float32)
    for x1, y1, x2, y2 in ignore_boxes:
        j0, i0 = max(int(np.floor(x1 / stride)), 0), max(int(np.floor(y1 / stride)), 0)
        j1, i1 = min(int(np.ceil(x2 / stride)), out_w), min(int(np.ceil(y2 / stride)), out_h)
        mask[i0:i1, j0:j1] = 0.0
    return mask
