"""Read microscopy frames of any common bit depth and channel count into numpy arrays.

Frames keep their native dtype (uint8 or uint16) and come back as ``H x W x C`` with channels in
display order (red, green, blue). The model sees 8-bit RGB, so 16-bit data go through
:func:`yoloxsp.io.contrast.auto_contrast` -- the same mapping the synthetic generator uses to
write its PNG frames, which keeps training and inference inputs alike.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import cv2
import numpy as np
import tifffile

from ..errors import InputError, PathLike
from .contrast import auto_contrast
from .planes import merge_channels, split_channels

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")


def read_image(path: PathLike) -> np.ndarray:
    """Read one image as ``H x W x C`` (C = 1..3, or 4 for RGBA PNGs) in R, G, B order.

    Raises :class:`InputError` naming the file when it is missing, unreadable or not a 2-D image.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("image file not found", path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".tif", ".tiff"):
            image = tifffile.imread(path)
            if image.size == 0:
                raise InputError("TIFF holds no image data (truncated or not a TIFF)", path)
            image = _tiff_to_hwc(image, path)
        else:
            image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            if image is None:
                raise InputError("cannot decode image (truncated or not an image)", path)
            if image.ndim == 3:
                image = image[..., ::-1] if image.shape[2] == 3 else image[..., [2, 1, 0, 3]]
    except InputError:
        raise
    except Exception as exc:  # tifffile raises many types for corrupt files
        raise InputError(f"cannot read image: {exc}", path) from exc
    if image.ndim == 2:
        image = image[..., None]
    if image.dtype not in (np.uint8, np.uint16) and not np.issubdtype(image.dtype, np.floating):
        raise InputError(f"unsupported pixel type {image.dtype}", path)
    return np.ascontiguousarray(image)


def _tiff_to_hwc(image: np.ndarray, path: Path) -> np.ndarray:
    """A single-frame TIFF may store channels first (C x H x W) or last; return H x W x C."""
    if image.ndim == 2:
        return image
    if image.ndim == 3:
        if image.shape[-1] <= 4:
            return image
        if image.shape[0] <= 4:
            return np.moveaxis(image, 0, -1)
    raise InputError(f"expected one 2-D frame with up to 4 channels, got shape {image.shape}"
                     " (use a stack reader for multi-frame TIFFs)", path)


MAX_SIDE = 8192  # px; beyond this, a frame's activations no longer fit comfortably in memory


def jpeg_round_trip(rgb: np.ndarray, quality: int) -> np.ndarray:
    """An 8-bit RGB frame after one JPEG encode and decode at ``quality`` (1-100): what an AVI or
    JPEG export does to it. OpenCV's codec takes BGR, and luma weighs red and blue differently,
    so the order is swapped on the way in and out."""
    ok, encoded = cv2.imencode(".jpg", np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError(f"OpenCV could not JPEG-encode a {rgb.shape} {rgb.dtype} frame")
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1])


# Two channels are copies of one image when, over the pixels where either shows structure, they
# differ by at most this (mean, 99th percentile; 8-bit levels): compression leaves the copies in
# a grey or two-colour-table export a few levels apart, most where the image is brightest, and
# the colour it bleeds into the two channels a one-colour table leaves empty about alike.
COPY_LEVELS = (6.0, 24.0)
# A channel is weak beside the brightest one when its structure (99.9th percentile above the
# median) is at most this share of that channel's: all JPEG colour bleeding is, and it lies within
# BLEED_REACH px of the structure it bled from.
BLEED_SHARE, BLEED_REACH = 0.25, 4


def _levels(plane: np.ndarray) -> Tuple[float, float]:
    """Median and 99.9th percentile of an 8-bit plane, exactly, from its histogram."""
    cdf = np.cumsum(cv2.calcHist([plane], [0], None, [256], [0, 256])[:, 0])
    median, high = np.searchsorted(cdf, [0.5 * cdf[-1], 0.999 * cdf[-1]])
    return float(median), float(high)


def one_image_in_red(rgb8: np.ndarray) -> np.ndarray:
    """An RGB frame that holds one image is a one-channel recording: that image becomes the tubulin
    (red) channel and the others are emptied, as when a one-channel file is read.

    Tubulin-only movies are often exported as RGB: grey (the same image in red, green and blue), or
    through a green, cyan or other colour table. Left as they are, the model would take the copy in
    green for an SPB marker on every microtubule, or find no tubulin at all. Beside the brightest
    channel, every other one must be a copy of it or JPEG colour bleeding: weak, and either alike
    in both channels the colour table left empty or, when only one is, bright only next to the
    brightest channel's structure. Anything else is a second image -- SPB dots of their own,
    tubulin bars where the other channel is dark, however dim -- and leaves the frame unchanged,
    as does a frame whose only image is already red.
    """
    planes = split_channels(rgb8)
    levels = [_levels(plane) for plane in planes]
    spread = [high - median for median, high in levels]
    main = int(np.argmax(spread))
    if spread[main] <= 0:
        return rgb8

    def bright(c: int, share: float) -> np.ndarray:
        return planes[c] > levels[c][0] + share * spread[c]

    def copies(a: int, b: int) -> bool:
        structure = bright(a, 0.25) | bright(b, 0.25)
        if not structure.any():
            return True
        difference = np.abs(planes[a][structure].astype(np.int16) - planes[b][structure])
        return bool(difference.mean() <= COPY_LEVELS[0]) and np.percentile(difference, 99) <= COPY_LEVELS[1]

    others = [c for c in range(3) if c != main]
    copied = [c for c in others if copies(c, main)]
    weak = [c for c in others if c not in copied and spread[c] <= BLEED_SHARE * spread[main]]
    if len(copied) + len(weak) < 2 or (main == 0 and not copied):
        return rgb8  # a second image, or the image already in red
    if len(weak) == 2 and not copies(*weak):
        return rgb8  # the two weak channels differ: one holds an image of its own
    if len(weak) == 1:
        reach = 2 * BLEED_REACH + 1
        near_main = cv2.dilate(bright(main, 0.1).astype(np.uint8), np.ones((reach, reach), np.uint8)).astype(bool)
        own = bright(weak[0], 0.5)
        if (own & ~near_main).sum() > 0.2 * own.sum():
            return rgb8
    out = np.zeros_like(rgb8)
    out[..., 0] = planes[main]
    return out


def to_rgb8(image: np.ndarray, pixel_size: Optional[float] = None) -> np.ndarray:
    """Any supported frame -> ``H x W x 3`` uint8 RGB as the model expects.

    8-bit data keep their levels; other depths are auto-contrasted
    (:func:`yoloxsp.io.contrast.auto_contrast`, which is given ``pixel_size``, um per pixel, when
    known, to tell bright blobs from spindles). One channel becomes red (tubulin), two channels
    become red + green (tubulin, SPB), a fourth (alpha) is dropped, and an RGB frame that holds
    one image (a grey or single-colour export) becomes that image in red (:func:`one_image_in_red`).
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise InputError(f"expected H x W x C with 1-4 channels, got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise InputError(f"frame of size {image.shape[1]}x{image.shape[0]} holds no pixels")
    if max(image.shape[:2]) > MAX_SIDE:
        raise InputError(f"frame of {image.shape[1]}x{image.shape[0]} px exceeds {MAX_SIDE} px per side; "
                         "crop or downscale it (the model needs ~1 GB per 4000x4000 frame)")
    image = image[..., :3]
    rgb8 = image if image.dtype == np.uint8 else auto_contrast(image, pixel_size=pixel_size)
    if rgb8.shape[2] < 3:
        empty = np.zeros(rgb8.shape[:2], np.uint8)
        rgb8 = merge_channels([*split_channels(rgb8), *[empty] * (3 - rgb8.shape[2])])
    else:
        rgb8 = one_image_in_red(rgb8)
    return np.ascontiguousarray(rgb8)
