"""Spindle-level pole metrics: were both poles of a spindle found, and how well is its length measured?

Predicted and true spindles (pole pairs) are matched one-to-one by the Hungarian algorithm on
the pair distance (the sum of the two pole distances, taking the better pole order). A true
spindle counts as having both poles found when its match has both poles within ``found_px``.
Length is the straight pole-to-pole distance; its error is counted for matched spindles whose
true length exceeds ``min_length_um`` (short spindles' relative errors say little).

Where a spindle's ends lie is scored on a looser match as well: a true spindle is matched when
each pole of its match lies within half its length (a pole well inside a tip still names the
spindle), so that ends placed badly count against the figures instead of dropping out of them:
``end_median_error_px`` (distance of each true end to its matched end) and ``length_median_bias``
(signed relative length error: negative when ends sit inside the tips).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from scipy.optimize import linear_sum_assignment

PixelSize = Union[None, float, Sequence[Optional[float]]]


def _pair_distances(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(P, G, 2) distances of both poles under the better order (NaN poles count as infinitely far)."""
    d_same = np.linalg.norm(pred[:, None] - truth[None], axis=3)                 # (P, G, 2)
    d_swap = np.linalg.norm(pred[:, None, ::-1] - truth[None], axis=3)
    d_same, d_swap = np.nan_to_num(d_same, nan=np.inf), np.nan_to_num(d_swap, nan=np.inf)
    better = d_swap.sum(-1) < d_same.sum(-1)
    return np.where(better[..., None], d_swap, d_same)


def per_image(pixel_size: PixelSize, n_images: int) -> List[Optional[float]]:
    """One pixel size (or None) per image from a single value or a per-image sequence."""
    if pixel_size is None or np.isscalar(pixel_size):
        return [pixel_size] * n_images
    if len(pixel_size) != n_images:
        raise ValueError(f"{len(pixel_size)} pixel sizes for {n_images} images")
    return list(pixel_size)


def spindle_metrics(preds: Sequence[np.ndarray], truths: Sequence[np.ndarray], pixel_size: PixelSize = None,
                    found_px: float = 2.0, min_length_um: float = 2.0) -> Dict[str, float]:
    """``preds``/``truths``: per image, pole pairs (N, 2, 2) in pixels (NaN for missing poles).

    Returns ``both_poles_rate``, ``end_median_error_px`` and, when ``pixel_size`` (um/px; one for
    all images or one per image) is given, ``length_median_abs_error_um``,
    ``length_median_rel_error`` and ``length_median_bias`` (NaN when nothing to measure).
    """
    found, total, abs_errors, rel_errors, end_errors, biases = 0, 0, [], [], [], []
    sizes = per_image(pixel_size, len(preds))
    for pred, truth, size in zip(preds, truths, sizes):
        pred = np.asarray(pred, float).reshape(-1, 2, 2)
        truth = np.asarray(truth, float).reshape(-1, 2, 2)
        truth = truth[np.isfinite(truth).all(axis=(1, 2))]
        total += len(truth)
        if not len(pred) or not len(truth):
            continue
        distances = _pair_distances(pred, truth)
        cost = np.where(np.isfinite(distances).all(-1), distances.sum(-1), 1e9)
        rows, cols = linear_sum_assignment(cost)
        for r, c in zip(rows, cols):
            true_px = float(np.linalg.norm(truth[c, 0] - truth[c, 1]))
            if (distances[r, c] <= max(found_px, 0.5 * true_px)).all():
                end_errors.extend(distances[r, c])
                if size is not None and true_px * size > min_length_um:
                    biases.append(float(np.linalg.norm(pred[r, 0] - pred[r, 1])) / true_px - 1.0)
            if (distances[r, c] > found_px).any():
                continue
            found += 1
            if size is not None:
                true_len = np.linalg.norm(truth[c, 0] - truth[c, 1]) * size
                if true_len > min_length_um:
                    pred_len = np.linalg.norm(pred[r, 0] - pred[r, 1]) * size
                    abs_errors.append(abs(pred_len - true_len))
                    rel_errors.append(abs(pred_len - true_len) / true_len)
    out = {"both_poles_rate": found / total if total else float("nan"),
           "end_median_error_px": float(np.median(end_errors)) if end_errors else float("nan")}
    if any(size is not None for size in sizes):
        out["length_median_abs_error_um"] = float(np.median(abs_errors)) if abs_errors else float("nan")
        out["length_median_rel_error"] = float(np.median(rel_errors)) if rel_errors else float("nan")
        out["length_median_bias"] = float(np.median(biases)) if biases else float("nan")
    return out
