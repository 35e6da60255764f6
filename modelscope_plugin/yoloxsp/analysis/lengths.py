"""Spindle length: straight pole-to-pole, or along the tubulin ridge between the poles.

Long anaphase spindles bend, and then the straight distance underestimates what the spindle
is. The ridge length follows the brightest line: at points along the pole-to-pole segment the
tubulin profile perpendicular to it is sampled (bilinear, scipy.ndimage.map_coordinates), its
intensity-weighted centre gives the ridge's offset, offsets are smoothed and pinned to zero at
the poles, and the length of the resulting polyline is measured.
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates, uniform_filter1d


def straight_length(poles: np.ndarray) -> float:
    """``poles`` (2, 2) x, y; NaN when a pole is missing."""
    return float(np.linalg.norm(poles[0] - poles[1]))


def sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear values of ``image`` (H, W) at ``points`` (..., 2) x, y in pixel-edge coordinates
    (pixel (i, j) covers [j, j+1) x [i, i+1), so its centre is (j + 0.5, i + 0.5)); beyond the
    image, its edge pixels. Only the pixels around the points are converted to float: a spindle's
    samples in a whole frame would otherwise cost a conversion of the frame each."""
    image, points = np.asarray(image), np.asarray(points, float)
    if not points[..., 0].size:
        return np.empty(points.shape[:-1])
    columns, rows = points[..., 0] - 0.5, points[..., 1] - 0.5
    (x0, x1), (y0, y1) = (_span(columns, image.shape[1]), _span(rows, image.shape[0]))
    window = np.asarray(image[y0:y1, x0:x1], float)
    return map_coordinates(window, [rows - y0, columns - x0], order=1, mode="nearest")


def _span(coordinates: np.ndarray, size: int) -> tuple:
    """The pixels (start, stop) that bilinear samples at ``coordinates`` read along an axis of ``size``
    (all of it where no coordinate is finite: NaN samples stay as scipy makes them)."""
    finite = coordinates[np.isfinite(coordinates)]
    if not finite.size:
        return 0, size
    start = min(max(int(np.floor(finite.min())), 0), size - 1)
    return start, min(max(int(np.floor(finite.max())) + 2, start + 1), size)


def ridge_path(tubulin: np.ndarray, poles: np.ndarray, step: float = 1.0, half_width_fraction: float = 0.15,
               min_half_width: float = 2.0, pin_ends: bool = True, across_step: float = 0.25) -> np.ndarray:
    """The tubulin ridge from ``poles[0]`` to ``poles[1]`` as a polyline (n, 2) x, y; the straight
    segment for spindles shorter than 4 px (nothing to follow). ``tubulin`` is one channel (H, W).
    ``pin_ends``: the ridge starts and ends exactly at the poles (else where the signal's centre is
    beside them); ``across_step``: px between the samples of each cross-section."""
    p, q = np.asarray(poles, float)
    length = float(np.linalg.norm(q - p))
    if length < 4.0:
        return np.stack([p, q])
    direction = (q - p) / length
    normal = np.array([-direction[1], direction[0]])
    n = max(int(length / step), 4)
    along = np.linspace(0.0, 1.0, n + 1)
    centres = p + along[:, None] * (q - p)                                     # (n+1, 2) x, y
    half = max(min_half_width, half_width_fraction * length)
    across = np.arange(-half, half + 1e-9, across_step)
    profile = sample(tubulin, centres[:, None, :] + across[None, :, None] * normal)  # (n+1, m)
    weights = np.clip(profile - profile.min(axis=1, keepdims=True), 0, None) ** 2
    offsets = (weights * across).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    offsets = uniform_filter1d(offsets, size=5, mode="nearest")
    if pin_ends:
        offsets[0] = offsets[-1] = 0.0                                         # the ridge ends at the poles
    return centres + offsets[:, None] * normal


def path_length(path: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())


def ridge_length(tubulin: np.ndarray, poles: np.ndarray, **options) -> float:
    """Length (px) of the tubulin ridge between two poles (NaN when a pole is missing)."""
    if not np.isfinite(np.asarray(poles, float)).all():
        return float("nan")
    return path_length(ridge_path(tubulin, poles, **options))
