"""Raw network outputs -> spindles with poles. One implementation for every backend.

Boxes: score = objectness x class probability, threshold, then OpenCV's batched NMS (it keeps
exactly the boxes torchvision's batched_nms keeps, and inference then never imports torchvision).
Poles: every kept box carries its own regressed pole pair, so pairing needs no heuristic. Each
regressed pole is then refined by the pole heatmap: it snaps to the nearest unused local maximum
(3x3) within reach, whose position includes the predicted sub-cell offset. A regressed pole with
no peak in reach is kept only if the heatmap under it is above the threshold (two poles closer
than a heatmap cell share one peak); otherwise it is reported missing (NaN) -- never invented.
A spindle is reported only with evidence for at least ``min_poles`` of its two poles: most false
detections on real fields (interphase bundles, blobs, glow) have no pole under them.

Decoding works on numpy arrays, whatever produced them, so that ONNX Runtime inference never
imports torch; the torch backend hands over its outputs as numpy arrays.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from scipy.special import expit as sigmoid

from .grid import CLS, OBJ, anchor_grid, decode_boxes, decode_pole_regression, pole_offsets


@dataclass
class DecodeConfig:
    score_threshold: float = 0.3
    nms_threshold: float = 0.45
    pole_threshold: float = 0.3
    pole_reach: float = 6.0         # px a regressed pole may always move to meet a heatmap peak ...
    pole_reach_fraction: float = 0.5  # ... or this share of its box diagonal, if larger
    max_detections: int = 300
    min_poles: int = 2              # poles (0-2) a spindle needs to be reported (docs/model.md: why both)


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

    def select(self, keep: np.ndarray) -> "Detections":
        """The detections ``keep`` (a boolean mask or indices) picks, in that order."""
        return Detections(self.boxes[keep], self.scores[keep], self.labels[keep], self.poles[keep],
                          self.pole_scores[keep])


def find_pole_peaks(pole_raw: np.ndarray, stride: int, threshold: float) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Per image: (positions (M, 2) input px, scores (M,)) of heatmap peaks: cells at the maximum of
    their 3x3 neighbourhood (cells beyond the border do not count) and at least ``threshold``."""
    heat = sigmoid(pole_raw[:, 0])
    offsets = pole_offsets(pole_raw[:, 1:])
    neighbourhood = np.ones((3, 3), np.uint8)
    result = []
    for b in range(pole_raw.shape[0]):
        ii, jj = np.nonzero((heat[b] == cv2.dilate(heat[b], neighbourhood)) & (heat[b] >= threshold))
        x = (jj.astype(np.float32) + 0.5 + offsets[b, 0, ii, jj]) * stride
        y = (ii.astype(np.float32) + 0.5 + offsets[b, 1, ii, jj]) * stride
        result.append((np.stack([x, y], 1), heat[b, ii, jj]))
    return result


def refine_poles(boxes: np.ndarray, regressed: np.ndarray, box_scores: np.ndarray, points: np.ndarray,
                 point_scores: np.ndarray, heat: np.ndarray, stride: int, threshold: float, reach: float,
                 reach_fraction: float) -> Tuple[np.ndarray, np.ndarray]:
    """Snap each box's regressed poles (N, 2, 2) to heatmap peaks, boxes in descending score order.

    ``heat`` is the (h, w) pole probability map. A pole may move ``reach`` pixels or
    ``reach_fraction`` of its box diagonal, whichever is larger: regressing the far ends of a long
    anaphase spindle from an anchor near its middle is coarse, while the box is reliable.
    """
    poles = np.full(regressed.shape, np.nan, np.float32)
    scores = np.full(regressed.shape[:2], np.nan, np.float32)
    used = np.zeros(len(points), bool)
    for i in np.argsort(-box_scores, kind="stable"):  # stable: ties keep their order whatever else is decoded
        box_reach = max(reach, reach_fraction * float(np.hypot(*(boxes[i, 2:] - boxes[i, :2]))))
        claims = []
        for k in range(2):
            d = np.hypot(*(points - regressed[i, k]).T) if len(points) else np.zeros(0)
            d[used] = np.inf
            j = int(np.argmin(d)) if len(d) else -1
            claims.append(j if j >= 0 and d[j] <= box_reach else -1)
        if claims[0] == claims[1] != -1:  # both want the same peak: the nearer pole takes it
            dist = [np.hypot(*(points[claims[0]] - regressed[i, k])) for k in range(2)]
            claims[int(np.argmax(dist))] = -1
        for k, j in enumerate(claims):
            if j >= 0:
                poles[i, k], scores[i, k] = points[j], point_scores[j]
                used[j] = True
                continue
            col, row = (regressed[i, k] / stride).astype(int)
            if 0 <= row < heat.shape[0] and 0 <= col < heat.shape[1] and heat[row, col] >= threshold:
                poles[i, k], scores[i, k] = regressed[i, k], heat[row, col]
        order = sorted(range(2), key=lambda k: (np.nan_to_num(poles[i, k, 0], nan=np.inf), poles[i, k, 1]))
        poles[i], scores[i] = poles[i, order], scores[i, order]  # canonical: by x, then y; missing last
    return poles, scores


def batched_nms(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices of the boxes (x1y1x2y2) kept by per-class greedy NMS, highest score first."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1).astype(np.float64)
    kept = cv2.dnn.NMSBoxesBatched(xywh, scores.astype(np.float32), labels.astype(np.int32), 0.0, iou_threshold)
    return np.asarray(kept, np.int64).reshape(-1)


def decode(box_raw: np.ndarray, pole_raw: np.ndarray, input_hw: Tuple[int, int], pole_stride: int,
           scales: Sequence[Union[float, Tuple[float, float]]], sizes: Sequence[Tuple[int, int]],
           config: Optional[DecodeConfig] = None
           ) -> List[Detections]:
    """Decode a batch of raw outputs (numpy). ``scales`` (one per frame, or x and y)/``sizes`` map
    input pixels back to each original frame."""
    config = config or DecodeConfig()
    grids, strides = anchor_grid(input_hw)
    box_raw, pole_raw = np.asarray(box_raw, np.float32), np.asarray(pole_raw, np.float32)
    boxes = decode_boxes(box_raw, grids[None], strides[None])
    regressed = decode_pole_regression(box_raw, grids[None], strides[None])
    class_probs = sigmoid(box_raw[..., CLS:])
    labels = class_probs.argmax(-1)
    scores = sigmoid(box_raw[..., OBJ]) * class_probs.max(-1)
    peaks = find_pole_peaks(pole_raw, pole_stride, config.pole_threshold)
    heat = sigmoid(pole_raw[:, 0])
    results = []
    for b in range(box_raw.shape[0]):
        keep = scores[b] >= config.score_threshold
        bx, sc, lb, rp = (t[b][keep] for t in (boxes, scores, labels, regressed))
        kept = batched_nms(bx, sc, lb, config.nms_threshold)[:config.max_detections]
        bx, sc, lb, rp = bx[kept], sc[kept], lb[kept], rp[kept]
        points, point_scores = peaks[b]
        poles, pole_scores = refine_poles(bx, rp, sc, points, point_scores, heat[b], pole_stride,
                                          config.pole_threshold, config.pole_reach, config.pole_reach_fraction)
        evidenced = np.isfinite(poles[:, :, 0]).sum(axis=1) >= config.min_poles
        bx, sc, lb, poles, pole_scores = bx[evidenced], sc[evidenced], lb[evidenced], poles[evidenced], pole_scores[evidenced]
        h, w = sizes[b]
        scale = np.asarray(scales[b], float)  # one for both axes, or x and y
        bx = np.clip(bx / np.resize(scale, 4), 0, [w, h, w, h]).astype(np.float32)
        results.append(Detections(bx, sc.astype(np.float32), lb.astype(np.int64), poles / np.resize(scale, 2),
                                  pole_scores))
    return results
