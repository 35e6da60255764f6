"""Joint geometric augmentation of an image with its boxes and poles.

Every transform here is a 3x3 matrix applied at once to the image (``cv2.warpAffine``), to the
box corners and to the exact pole points, so image and annotation cannot drift apart; the pole
heatmap is drawn only afterwards from the transformed poles. Mosaic, random affine (rotation,
scale, shear, translation as upstream YOLOX-SP), flips and right-angle rotations (exact for
boxes; a microscope has no "up") are provided. Fill is black: microscopy background is dark,
and the grey 114 of natural-image YOLOX would be an unnatural cue. One pixel-only change lives
here too, :func:`add_noise` (camera noise of another strength), which leaves annotations alone.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import List, Sequence

import cv2
import numpy as np

# A spindle survives a crop if this share of its box is still inside the image.
MIN_VISIBLE_AREA = 0.4
MIN_BOX_SIDE = 2.0


@dataclass
class Sample:
    """An image with its spindles. ``poles`` rows are NaN for unknown poles; ``ignore`` holds
    regions whose pole target is unknown (unannotated or cropped spindles)."""

    image: np.ndarray                     # H x W x 3 uint8
    boxes: np.ndarray                     # (N, 4) x1 y1 x2 y2
    poles: np.ndarray                     # (N, 2, 2)
    stray_poles: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 2), np.float32))
    ignore: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))

    @property
    def hw(self):
        return self.image.shape[:2]


def _transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    pts = points.reshape(-1, 2).astype(np.float64)
    out = pts @ matrix[:2, :2].T + matrix[:2, 2]
    return out.reshape(points.shape)


def _transform_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    if len(boxes) == 0:
        return boxes.reshape(0, 4)
    x1, y1, x2, y2 = boxes.T
    corners = np.stack([np.stack([x1, y1], 1), np.stack([x2, y1], 1),
                        np.stack([x1, y2], 1), np.stack([x2, y2], 1)], axis=1)
    moved = _transform_points(corners, matrix)
    return np.concatenate([moved.min(axis=1), moved.max(axis=1)], axis=1)


def warp(sample: Sample, matrix: np.ndarray, out_hw) -> Sample:
    """Apply ``matrix`` (3x3, input -> output pixel coordinates) and crop to ``out_hw``.

    Spindles mostly outside the output are removed and their visible remains ignored in the
    pole loss; poles that leave the output become NaN.
    """
    h, w = out_hw
    # cv2 maps pixel centres; our coordinates put pixel centres at +0.5, hence the conjugation.
    half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    cv_matrix = (np.linalg.inv(half) @ matrix @ half)[:2]
    image = cv2.warpAffine(sample.image, cv_matrix, (w, h), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if image.ndim == 2:
        image = image[..., None]
    boxes = _transform_boxes(sample.boxes, matrix)
    clipped = np.clip(boxes, 0, [w, h, w, h]) if len(boxes) else boxes
    area = lambda b: np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    keep = ((area(clipped) >= MIN_VISIBLE_AREA * np.maximum(area(boxes), 1e-9))
            & (clipped[:, 2] - clipped[:, 0] >= MIN_BOX_SIDE) & (clipped[:, 3] - clipped[:, 1] >= MIN_BOX_SIDE)
            ) if len(boxes) else np.zeros(0, bool)
    poles = _outside_to_nan(_transform_points(sample.poles, matrix), w, h)
    stray = _outside_to_nan(_transform_points(sample.stray_poles, matrix), w, h)
    dropped = clipped[~keep] if len(boxes) else clipped
    dropped = dropped[(dropped[:, 2] > dropped[:, 0]) & (dropped[:, 3] > dropped[:, 1])]
    ignore = np.concatenate([np.clip(_transform_boxes(sample.ignore, matrix), 0, [w, h, w, h]), dropped])
    return Sample(image, clipped[keep].astype(np.float32), poles[keep].astype(np.float32),
                  stray.astype(np.float32), ignore.astype(np.float32))


def _outside_to_nan(points: np.ndarray, w: int, h: int) -> np.ndarray:
    points = points.copy()
    outside = (points[..., 0] < 0) | (points[..., 0] >= w) | (points[..., 1] < 0) | (points[..., 1] >= h)
    points[outside] = np.nan
    return points


def affine_matrix(rng: np.random.Generator, hw, degrees: float = 10.0, translate: float = 0.1,
                  scale=(0.5, 1.5), shear: float = 2.0) -> np.ndarray:
    """A random affine about the image centre (YOLOX-SP's augmentation ranges by default)."""
    h, w = hw
    centre = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]])
    angle, s = math.radians(rng.uniform(-degrees, degrees)), rng.uniform(*scale)
    rot = np.array([[s * math.cos(angle), -s * math.sin(angle), 0], [s * math.sin(angle), s * math.cos(angle), 0],
                    [0, 0, 1]])
    sx, sy = (math.tan(math.radians(rng.uniform(-shear, shear))) for _ in range(2))
    shear_m = np.array([[1, sx, 0], [sy, 1, 0], [0, 0, 1]])
    tx, ty = rng.uniform(0.5 - translate, 0.5 + translate) * w, rng.uniform(0.5 - translate, 0.5 + translate) * h
    move = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    return move @ shear_m @ rot @ centre


def dihedral_matrix(rng: np.random.Generator, hw) -> np.ndarray:
    """A random flip and right-angle rotation that maps the image onto itself (square or not)."""
    h, w = hw
    m = np.eye(3)
    if rng.random() < 0.5:  # horizontal flip
        m = np.array([[-1, 0, w], [0, 1, 0], [0, 0, 1]]) @ m
    if rng.random() < 0.5:  # vertical flip
        m = np.array([[1, 0, 0], [0, -1, h], [0, 0, 1]]) @ m
    if h == w and rng.random() < 0.5:  # transpose (with the flips: any right-angle rotation)
        m = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]]) @ m
    return m


def letterbox_matrix(hw, size: int) -> np.ndarray:
    """Scale so the longer side is ``size`` and place top-left (as upstream); pad is black."""
    r = size / max(hw)
    return np.diag([r, r, 1.0])


def mosaic(samples: Sequence[Sample], size: int, rng: np.random.Generator, keep_scale: bool = False) -> Sample:
    """Four samples around a random centre on a 2*size canvas (YOLOX mosaic), each letterboxed
    to ``size`` or, with ``keep_scale``, at its own pixel scale."""
    assert len(samples) == 4
    xc, yc = rng.uniform(0.5 * size, 1.5 * size, size=2)
    canvas_hw = (2 * size, 2 * size)
    parts: List[Sample] = []
    for index, sample in enumerate(samples):
        r = 1.0 if keep_scale else size / max(sample.hw)
        h, w = sample.hw[0] * r, sample.hw[1] * r
        left = xc - w if index in (0, 2) else xc
        top = yc - h if index in (0, 1) else yc
        m = np.array([[r, 0, left], [0, r, top], [0, 0, 1]])
        # Crop each placed tile to its own quadrant so neighbours do not overlap.
        x0, x1 = (0, xc) if index in (0, 2) else (xc, 2 * size)
        y0, y1 = (0, yc) if index in (0, 1) else (yc, 2 * size)
        tile = warp(sample, m, canvas_hw)
        parts.append(_crop_to(tile, x0, y0, x1, y1))
    image = np.zeros_like(parts[0].image)
    for part in parts:
        image = np.maximum(image, part.image)
    return Sample(image, *(np.concatenate([getattr(p, k) for p in parts]) for k in ("boxes", "poles")),
                  np.concatenate([p.stray_poles for p in parts]), np.concatenate([p.ignore for p in parts]))


def _crop_to(sample: Sample, x0: float, y0: float, x1: float, y1: float) -> Sample:
    """Blank everything outside [x0, x1) x [y0, y1) and drop or trim the annotations there."""
    h, w = sample.hw
    ix0, iy0, ix1, iy1 = (int(round(v)) for v in (x0, y0, x1, y1))
    image = np.zeros_like(sample.image)
    image[iy0:iy1, ix0:ix1] = sample.image[iy0:iy1, ix0:ix1]
    # Translate to the window, reuse warp's crop rules, translate back.
    to_window = np.array([[1, 0, -ix0], [0, 1, -iy0], [0, 0, 1]], float)
    cropped = warp(replace(sample, image=image), to_window, (iy1 - iy0, ix1 - ix0))
    back = np.linalg.inv(to_window)
    return Sample(image, _transform_boxes(cropped.boxes, back).astype(np.float32),
                  _transform_points(cropped.poles, back).astype(np.float32),
                  _transform_points(cropped.stray_poles, back).astype(np.float32),
                  _transform_boxes(cropped.ignore, back).astype(np.float32))


def add_noise(image: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """``image`` with Gaussian noise of ``sigma`` 8-bit levels on every channel that holds a signal
    (a channel that is zero everywhere stays so: an empty channel is a missing marker)."""
    out = image.copy()
    for c in range(image.shape[2]):
        if image[..., c].any():
            noisy = image[..., c] + rng.normal(0.0, sigma, image.shape[:2])
            out[..., c] = np.clip(noisy, 0, 255).round().astype(np.uint8)
    return out
