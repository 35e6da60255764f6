"""Pole localisation metrics: one-to-one matching of predicted and true pole points.

Within each image, predictions and ground truth are matched by the Hungarian algorithm on their
distances (scipy), pairs farther apart than the largest threshold being inadmissible. A
prediction matched within ``t`` pixels is a true positive at ``t``; every other prediction
(duplicates included) is a false positive, every unmatched truth a miss.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment


def match_points(pred: np.ndarray, truth: np.ndarray, max_distance: float) -> List[Tuple[int, int, float]]:
    """``(pred_index, truth_index, distance)`` of the optimal one-to-one matching within ``max_distance``."""
    pred = np.asarray(pred, float).reshape(-1, 2)
    truth = np.asarray(truth, float).reshape(-1, 2)
    pred, truth = pred[np.isfinite(pred).all(1)], truth[np.isfinite(truth).all(1)]
    if not len(pred) or not len(truth):
        return []
    distance = np.linalg.norm(pred[:, None, :] - truth[None, :, :], axis=2)
    cost = np.where(distance <= max_distance, distance, 1e9)
    rows, cols = linear_sum_assignment(cost)
    return [(int(r), int(c), float(distance[r, c])) for r, c in zip(rows, cols) if distance[r, c] <= max_distance]


def pole_metrics(preds: Sequence[np.ndarray], truths: Sequence[np.ndarray],
                 thresholds: Sequence[float] = (1.0, 2.0, 3.0), unit: str = "px") -> Dict[str, float]:
    """Precision, recall and F1 at each threshold, and the median/mean error of matches within
    the largest threshold. ``preds``/``truths``: per image, pole points (N, 2) (NaN rows ignored)."""
    largest = max(thresholds)
    distances, n_pred, n_truth = [], 0, 0
    for pred, truth in zip(preds, truths):
        pred = np.asarray(pred, float).reshape(-1, 2)
        truth = np.asarray(truth, float).reshape(-1, 2)
        n_pred += int(np.isfinite(pred).all(1).sum())
        n_truth += int(np.isfinite(truth).all(1).sum())
        distances += [d for _, _, d in match_points(pred, truth, largest)]
    distances = np.array(distances)
    out: Dict[str, float] = {}
    for t in thresholds:
        tp = int((distances <= t).sum())
        precision = tp / n_pred if n_pred else float(n_truth == 0)
        recall = tp / n_truth if n_truth else float(n_pred == 0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        key = f"{t:g}{unit}"
        out.update({f"pole_precision@{key}": precision, f"pole_recall@{key}": recall, f"pole_F1@{key}": f1})
    out[f"pole_median_error_{unit}"] = float(np.median(distances)) if len(distances) else float("nan")
    out[f"pole_mean_error_{unit}"] = float(np.mean(distances)) if len(distances) else float("nan")
    return out
