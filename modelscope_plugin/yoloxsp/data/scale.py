"""The pixel scale the model sees: one rule for training and inference.

A frame whose pixels are finer than :data:`FINEST_PIXEL_SIZE` (known only when the pixel size is)
reaches the model shrunk to that scale, so that a spindle spans as many pixels as the model has
seen spindles span instead of a long anaphase spindle at 0.05 um/px being longer than any it knows.
Training fields drawn at finer pixels are shrunk the same way, so the model learns the scale it
is run at.
"""
from __future__ import annotations

from typing import Optional, Tuple

import cv2
import numpy as np

# um per pixel: finer frames are shrunk to this. The training looks draw 0.06-0.2 um/px; measured on
# held-out synthetic looks (docs/model.md), shrinking to 0.1 found more of the long spindles of
# fine-pixel movies and changed nothing at coarser pixels.
FINEST_PIXEL_SIZE = 0.1


def shrink_factor(pixel_size: Optional[float]) -> float:
    """Model pixels per frame pixel: below 1 for pixels finer than :data:`FINEST_PIXEL_SIZE`."""
    if pixel_size is not None and 0 < pixel_size < FINEST_PIXEL_SIZE:
        return pixel_size / FINEST_PIXEL_SIZE
    return 1.0


def to_model_scale(image: np.ndarray, pixel_size: Optional[float]) -> Tuple[np.ndarray, Tuple[float, float]]:
    """``image`` at the model's scale (area resampling averages the fine pixels) and the factor
    each axis changed by (x, y; the sizes are rounded to whole pixels), (1, 1) when unchanged."""
    factor = shrink_factor(pixel_size)
    if factor == 1.0:
        return image, (1.0, 1.0)
    h, w = image.shape[:2]
    size = (max(round(w * factor), 1), max(round(h * factor), 1))
    shrunk = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    if image.ndim == 3 and shrunk.ndim == 2:
        shrunk = shrunk[..., None]
    return shrunk, (size[0] / w, size[1] / h)
