"""Display limits that turn a 16-bit (or float) frame into the 8-bit image the model sees.

Each channel is stretched between two percentiles of its own frame. The high one lies close to
the maximum on purpose: spindles cover a tiny share of a field, and a lower cut would saturate
exactly the structures we measure. That makes the range easy to capture, though: one compact
object far brighter than everything else (a dead cell, a lump of debris, a fluorescent bead)
would set it alone and press every spindle into a few grey levels. Such objects are left out of
the high limit and saturate instead, as they do in a lab's 8-bit export. Frames without one keep
the limits of the percentiles.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..errors import InputError
from .planes import merge_channels, split_channels

# Levels are measured above the channel's median (its background). A bright object is a blob when
# its part above half way from there to the high limit holds a disc of this radius: wider than a
# spindle, a pole or an interphase bundle is at half maximum (the image of a thin bundle is as
# wide as the microscope's blur: a bar blurred by a PSF sigma up to 0.45 um holds none),
# narrower than most dead cells.
BLOB_CORE_UM = 0.6
# A blob's blurred rim, left out of the percentile with it (a wider halo still takes some range).
BLOB_RIM_UM = 0.6
# A blob's core is its pixels at least BLOB_CORE_UM inside it; its core level, the level that
# three quarters of them reach. A spindle along a narrow glowing cell can fill a good part of
# the core, but not three quarters of it.
CORE_QUANTILE = 25
# A blob is left out only where its core level is this many times brighter than anything left:
# a blob barely brighter than the spindles costs them little contrast.
BLOB_BRIGHTNESS_RATIO = 3.0
# A blob is flat-topped: nothing in it (smoothed over 3x3 pixels against noise) rises above its
# core level by more than this share of that level. A dead cell is evenly bright; a cell whose
# cytoplasm glows holds its spindle, and must keep it.
BLOB_TOP_SHARE = 0.2
# A blob is compact: at most a dead cell's area (a whole cell, 4 x 15 um), and at most this share
# of the frame; a brighter tile or half of the field (uneven illumination) is no blob.
MAX_BLOB_AREA_UM2 = 60.0
MAX_BLOB_SHARE = 0.25
# Pixel sizes outside this range (um) are taken for unknown: a value in nm, or a resolution tag
# read as a pixel size, would make every spindle look wide.
PLAUSIBLE_PIXEL_SIZES_UM = (0.02, 1.0)
# With no (plausible) pixel size, assume the finest that fission-yeast movies use, so that only
# objects wide enough to be blobs at any pixel size count.
ASSUMED_PIXEL_SIZE_UM = 0.06
# Blobs are looked for round by round, brightest first: a dimmer blob lies under half the range
# that a brighter one set, and shows once the brighter one is left out.
MAX_BLOB_ROUNDS = 4


Window = Tuple[slice, slice]


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
    plausible = pixel_size is not None and PLAUSIBLE_PIXEL_SIZES_UM[0] <= pixel_size <= PLAUSIBLE_PIXEL_SIZES_UM[1]
    scale = pixel_size if plausible else ASSUMED_PIXEL_SIZE_UM
    limits = []
    for channel in split_channels(image):
        histogram = np.bincount(channel.ravel(), minlength=65536) if channel.dtype == np.uint16 else None
        low, background, high = _percentiles(channel, None, (low_percentile, 50.0, high_percentile), histogram)
        limits.append([low, _high_past_blobs(channel, background, high, high_percentile, scale, histogram)])
    return np.array(limits, np.float64)


def _high_past_blobs(channel: np.ndarray, background: float, high: float, percentile: float, pixel_size: float,
                     histogram: Optional[np.ndarray]) -> float:
    """The ``percentile`` of ``channel`` over the pixels outside blobs: their whole connected part
    above half way from ``background`` to the high limit, and a rim."""
    core_px = max(1, round(BLOB_CORE_UM / pixel_size))
    rim_px = max(1, round(BLOB_RIM_UM / pixel_size))
    max_area = min(MAX_BLOB_SHARE * channel.size, MAX_BLOB_AREA_UM2 / pixel_size ** 2)
    left_out = np.zeros(channel.shape, bool)
    for _ in range(MAX_BLOB_ROUNDS):
        blobs = _blobs(channel, background, background + (high - background) / 2, core_px, rim_px, max_area)
        while blobs:  # leaving out fewer blobs raises what is left, so a blob may no longer stand out
            region = left_out.copy()
            for (rows, cols), part, _ in blobs:
                region[rows, cols] |= part
            rest_high = _percentiles(channel, region, (percentile,), histogram)[0]
            if rest_high is None or rest_high <= background:
                return high
            standing_out = [blob for blob in blobs
                            if blob[2] - background >= BLOB_BRIGHTNESS_RATIO * (rest_high - background)]
            if len(standing_out) == len(blobs):
                break
            blobs = standing_out
        if not blobs or rest_high >= high:
            break
        left_out, high = region, rest_high
    return high


def _blobs(channel: np.ndarray, background: float, level: float, core_px: int, rim_px: int, max_area: float
           ) -> List[Tuple[Window, np.ndarray, float]]:
    """``(window, the blob and its rim within the window, its core level)`` of every connected
    part of ``channel`` above ``level`` that covers at most ``max_area`` pixels, holds a disc of
    radius ``core_px`` and is flat-topped (:data:`BLOB_TOP_SHARE`)."""
    count, parts, stats, _ = cv2.connectedComponentsWithStats((channel > level).astype(np.uint8))
    x, y, w, h, area = (stats[:, k] for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                              cv2.CC_STAT_HEIGHT, cv2.CC_STAT_AREA))
    wide = (w > 2 * core_px) & (h > 2 * core_px) & (area <= max_area)
    found = []
    for label in np.flatnonzero(wide[1:]) + 1:  # label 0 is everything below the level
        window = (slice(max(y[label] - rim_px, 0), y[label] + h[label] + rim_px),
                  slice(max(x[label] - rim_px, 0), x[label] + w[label] + rim_px))
        part = (parts[window] == label).astype(np.uint8)
        # outside the frame counts as dark: a band along the border is as thin as it looks
        core = cv2.erode(part, _disc(core_px), borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
        if not core.any():
            continue
        pixels = channel[window].astype(np.float32)
        core_level = float(np.percentile(pixels[core], CORE_QUANTILE))
        top = float(cv2.blur(pixels, (3, 3))[part.astype(bool)].max())
        if top - core_level <= BLOB_TOP_SHARE * (core_level - background):
            found.append((window, cv2.dilate(part, _disc(rim_px)).astype(bool), core_level))
    return found


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _percentiles(channel: np.ndarray, left_out: Optional[np.ndarray], percentiles: Sequence[float],
                 histogram: Optional[np.ndarray]) -> List[Optional[float]]:
    """``np.percentile`` (linear interpolation) of the pixels of ``channel`` not ``left_out``
    (None for each when none are). For 16-bit data exact and cheaper than sorting, through the
    channel's ``histogram`` less that of the pixels left out."""
    if histogram is None:
        values = channel.ravel() if left_out is None else channel[~left_out]
        return [float(v) for v in np.percentile(values, percentiles)] if values.size else [None] * len(percentiles)
    if left_out is not None:
        histogram = histogram - np.bincount(channel[left_out], minlength=65536)
    cdf = np.cumsum(histogram)
    if not cdf[-1]:
        return [None] * len(percentiles)
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
        levels = np.arange(65536, dtype=np.float64)  # the float path's precision, so the same rounding
        planes = [np.take(np.clip((levels - lo[c]) * scale[c], 0, 255).round().astype(np.uint8), channel)
                  for c, channel in enumerate(split_channels(image))]
        return merge_channels(planes) if len(planes) > 1 else planes[0][..., None]
    return np.clip((image.astype(np.float32) - lo) * scale, 0, 255).round().astype(np.uint8)


def auto_contrast(image: np.ndarray, low_percentile: float = 0.5, high_percentile: float = 99.99,
                  pixel_size: Optional[float] = None) -> np.ndarray:
    """Stretch one frame to uint8 with its own limits (see :func:`contrast_limits`)."""
    return apply_contrast(image, contrast_limits(image, low_percentile, high_percentile, pixel_size))


def _hwc(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    return image[..., None] if image.ndim == 2 else image
