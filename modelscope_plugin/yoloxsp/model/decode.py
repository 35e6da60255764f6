"""Raw network outputs -> spindles with poles. One implementation for every backend.

Boxes: score = objectness x class probability, threshold, then torchvision's batched NMS.
Poles: local maxima (3x3) of the pole heatmap above a threshold, placed at their cell centre plus
the predicted sub-cell offset. Each box takes the best pair of unused peaks inside it (grown by a
margin), preferring pairs that lie along one of the box's diagonals; a box with a single peak
gets one pole and a missing one (NaN) -- a pole is never invented.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import batched_nms

from .grid import anchor_grid
from .heads import pole_offsets
from .losses import decode_boxes


@dataclass
class DecodeConfig:
    score_threshold: float = 0.3
    nms_threshold: float = 0.45
    pole_threshold: float = 0.3
    pole_margin: float = 4.0        # px beyond the box a pole may lie
    max_detections: int = 300


@dataclass
class Detections:
    """Spindles found in one frame, in that frame's pixel coordinates."""

    boxes: np.ndarray        # (N, 4) x1 y1 x2 y2
    scores: np.ndarray       # (N,)
    labels: np.ndarray       # (N,) int
    poles: np.ndarray        # (N, 2, 2), NaN rows for missing poles
    pole_scores: np.ndarray  # (N, 2), NaN for missing

    def __len__(self) -> int:
        return len(self.boxes)


def find_pole_peaks(pole_raw: torch.Tensor, stride: int, threshold: float) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Per image: (positions (M, 2) input px, scores (M,)) of heatmap peaks."""
    heat = pole_raw[:, :1].sigmoid()
    peaks = (heat == F.max_pool2d(heat, 3, 1, 1)) & (heat >= threshold)
    offsets = pole_offsets(pole_raw[:, 1:])
    result = []
    for b in range(pole_raw.shape[0]):
        ii, jj = peaks[b, 0].nonzero(as_tuple=True)
        x = (jj.float() + 0.5 + offsets[b, 0, ii, jj]) * stride
        y = (ii.float() + 0.5 + offsets[b, 1, ii, jj]) * stride
        result.append((torch.stack([x, y], 1).cpu().numpy(), heat[b, 0, ii, jj].cpu().numpy()))
    return result


def _best_pair(box: np.ndarray, points: np.ndarray, scores: np.ndarray) -> Tuple[int, ...]:
    """Indices (into ``points``) of the pole pair for ``box``: high scores, along a diagonal."""
    if len(points) <= 1:
        return tuple(range(len(points)))
    x1, y1, x2, y2 = box
    diag = max(np.hypot(x2 - x1, y2 - y1), 1e-6)
    diagonals = (((x1, y1), (x2, y2)), ((x2, y1), (x1, y2)))
    best, best_value = (0, 1), -np.inf
    for a in range(len(points)):
        for b in range(a + 1, len(points)):
            misfit = min(min(np.hypot(*(points[a] - d0)) + np.hypot(*(points[b] - d1)),
                             np.hypot(*(points[a] - d1)) + np.hypot(*(points[b] - d0)))
                         for d0, d1 in (np.array(d) for d in diagonals))
            value = scores[a] + scores[b] - misfit / diag
            if value > best_value:
                best, best_value = (a, b), value
    return best


def assign_poles(boxes: np.ndarray, box_scores: np.ndarray, points: np.ndarray, point_scores: np.ndarray,
                 margin: float) -> Tuple[np.ndarray, np.ndarray]:
    """Greedy by box score: each box takes its best pair of still unused peaks."""
    poles = np.full((len(boxes), 2, 2), np.nan, np.float32)
    pole_scores = np.full((len(boxes), 2), np.nan, np.float32)
    used = np.zeros(len(points), bool)
    for i in np.argsort(-box_scores):
        x1, y1, x2, y2 = boxes[i]
        inside = (~used & (points[:, 0] >= x1 - margin) & (points[:, 0] <= x2 + margin)
                  & (points[:, 1] >= y1 - margin) & (points[:, 1] <= y2 + margin)) if len(points) else used
        candidates = np.flatnonzero(inside)
        candidates = candidates[np.argsort(-point_scores[candidates])][:6]
        chosen = [candidates[k] for k in _best_pair(boxes[i], points[candidates], point_scores[candidates])]
        chosen.sort(key=lambda c: (points[c, 0], points[c, 1]))   # canonical order: by x, then y
        for slot, c in enumerate(chosen):
            poles[i, slot], pole_scores[i, slot] = points[c], point_scores[c]
            used[c] = True
    return poles, pole_scores


def decode(box_raw: torch.Tensor, pole_raw: torch.Tensor, input_hw: Tuple[int, int], pole_stride: int,
           scales: Sequence[float], sizes: Sequence[Tuple[int, int]], config: DecodeConfig = DecodeConfig()
           ) -> List[Detections]:
    """Decode a batch. ``scales``/``sizes`` map input pixels back to each original frame."""
    grids, strides = anchor_grid(input_hw, device=box_raw.device)
    boxes = decode_boxes(box_raw.float(), grids[None], strides[None])
    probs = box_raw[..., 4:].float().sigmoid()
    class_prob, labels = probs[..., 1:].max(-1)
    scores = probs[..., 0] * class_prob
    peaks = find_pole_peaks(pole_raw.float(), pole_stride, config.pole_threshold)
    results = []
    for b in range(box_raw.shape[0]):
        keep = scores[b] >= config.score_threshold
        bx, sc, lb = boxes[b][keep], scores[b][keep], labels[b][keep]
        kept = batched_nms(bx, sc, lb, config.nms_threshold)[:config.max_detections]
        bx, sc, lb = bx[kept].cpu().numpy(), sc[kept].cpu().numpy(), lb[kept].cpu().numpy()
        points, point_scores = peaks[b]
        poles, pole_scores = assign_poles(bx, sc, points, point_scores, config.pole_margin)
        h, w = sizes[b]
        bx = np.clip(bx / scales[b], 0, [w, h, w, h]).astype(np.float32)
        results.append(Detections(bx, sc.astype(np.float32), lb.astype(np.int64), poles / scales[b], pole_scores))
    return results
