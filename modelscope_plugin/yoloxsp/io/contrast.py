"""Display limits that turn a 16-bit (or float) frame into the 8-bit image the model sees.

Each channel is stretched between two percentiles of its own frame. The high one lies close to
the maximum on purpose: spindles cover a tiny share of a field, and a lower cut would saturate
exactly the structures we measure. That makes the range easy to capture, though: one compact
object far brighter than everything else (a dead cell, a lump of debris, a fluorescent bead)
would set it alone and press every spindle into a few grey levels. Such objects are left out of
the high limit and saturate instead, as they do in a lab's 8-bit export. Frames without one keep
exactly the limits of the percentiles.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import cv2
import numpy as np

from ..errors import InputError

# A bright object is a blob when its part above half the channel's range holds a disc of this
# radius: wider than a spindle, a pole or an interphase bundle is at half maximum (the image of a
# thin bundle is as wide as the microscope's blur, widest in the generator's widefield look),
# narrower than a dead cell.
BLOB_CORE_UM = 0.5
# A blob's blurred rim, left out of the percentile with it (a wider halo still takes some range).
BLOB_RIM_UM = 0.6
# Leaving blobs out must shrink the channel's range at least this many times, or the limits stay:
# a blob that is not far brighter than the rest of the frame costs its spindles little contrast.
BLOB_RANGE_RATIO = 3.0
# With no pixel size, assume the finest that fission-yeast movies use, so that only objects wide
# enough to be blobs at any pixel size count.
ASSUMED_PIXEL_SIZE_UM = 0.06
MAX_BLOB_ROUNDS = 4


def contrast_limits(image: np.ndarray, low_percentile: float = 0.5, high_percentile: float = 99.99,
                    pixel_size: Optional[float] = None) -> np.ndarray:
    """Per-channel ``[[low, high], ...]`` display limits of ``image`` (H x W x C): percentiles of
    each channel, the high one taken over the pixels outside bright blobs (module docstring).
    ``pixel_size`` (um per pixel) sets how wide a blob is in pixels."""
    image = _hwc(image)
    if image.dtype != np.uint16:
        image = image.astype(np.float32)
        if not np.isfinite(image).all():
            raise InputError(f"frame holds {int((~np.isfinite(image)).sum())} NaN or infinite value(s); "
                             "replace them before detection")
    limits = []
    for c in range(image.shape[2]):
        channel = image[..., c]
        low, high = _percentiles(channel.ravel(), (low_percentile, high_percentile))
        limits.append([low, _high_past_blobs(channel, low, high, high_percentile,
                                             pixel_size or ASSUMED_PIXEL_SIZE_UM)])
    return np.array(limits, np.float64 if image.dtype == np.uint16 else np.float32)


def _high_past_blobs(channel: np.ndarray, low: float, high: float, percentile: float,
                     pixel_size: float) -> float:
    """The ``percentile`` of ``channel`` over the pixels outside blobs (their whole connected part
    above half the range, and a rim) that are at least :data:`BLOB_RANGE_RATIO` times brighter
    than what is left: the brightest first, then the next ones, one round each."""
    core_px = max(1, round(BLOB_CORE_UM / pixel_size))
    rim = _disc(max(1, round(BLOB_RIM_UM / pixel_size)))
    left_out = np.zeros(channel.shape, bool)
    for _ in range(MAX_BLOB_ROUNDS):
        bright = (channel > low + (high - low) / 2).astype(np.uint8)
        cores = cv2.erode(bright, _disc(core_px), borderType=cv2.BORDER_REPLICATE)
        if not cores.any():
            break
        _, parts = cv2.connectedComponents(bright)
        blobs = np.isin(parts, np.unique(parts[cores > 0])).astype(np.uint8)
        region = left_out | cv2.dilate(blobs, rim).astype(bool)
        rest = channel[~region]
        if not rest.size:
            break
        rest_high = _percentiles(rest, (percentile,))[0]
        if rest_high <= low or high - low < BLOB_RANGE_RATIO * (rest_high - low):
            break
        left_out, high = region, rest_high
    return high


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _percentiles(values: np.ndarray, percentiles: Sequence[float]) -> List[float]:
    """``np.percentile`` (linear interpolation) of 1-D ``values``; exact for 16-bit data, and
    cheaper than sorting, through their cumulative histogram."""
    if values.dtype != np.uint16:
        return list(np.percentile(values, percentiles))
    cdf = np.cumsum(np.bincount(values, minlength=65536))
    result = []
    for percentile in percentiles:
        position = percentile / 100 * (cdf[-1] - 1)
        below = int(np.floor(position))
        v0, v1 = np.searchsorted(cdf, [below, min(below + 1, cdf[-1] - 1)], side="right")
        result.append(float(v0 + (position - below) * (v1 - v0)))
    return result


def apply_contrast(image: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """Map each channel's ``[low, high]`` linearly onto 0..255 and return uint8 (H x W x C)."""
    image = _hwc(image)
    lo, hi = limits[:, 0], limits[:, 1]
    scale = np.where(hi > lo, 255.0 / np.maximum(hi - lo, 1e-12), 0.0)
    if image.dtype == np.uint16:  # the same arithmetic, once per possible value (a lookup table)
        levels = np.arange(65536, dtype=np.float32)[:, None]
        lut = np.clip((levels - lo) * scale, 0, 255).round().astype(np.uint8)
        return np.stack([lut[image[..., c], c] for c in range(image.shape[2])], axis=-1)
    return np.clip((image.astype(np.float32) - lo) * scale, 0, 255).round().astype(np.uint8)


def auto_contrast(image: np.ndarray, low_percentile: float = 0.5, high_percentile: float = 99.99,
                  pixel_size: Optional[float] = None) -> np.ndarray:
    """Stretch one frame to uint8 with its own limits (see :func:`contrast_limits`)."""
    return apply_contrast(image, contrast_limits(image, low_percentile, high_percentile, pixel_size))


def _hwc(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    return image[..., None] if image.ndim == 2 else image
