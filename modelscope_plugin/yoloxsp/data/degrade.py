"""Image-only training degradations: how the same cells look when another lab records them.

Geometry is :mod:`.augment`'s job; these change only pixel values, so annotations stay exact.
They cover recording differences that a generator's looks can miss or tie to one another:

- the SPB channel dropped (the frame becomes tubulin alone, red with an empty green channel, which
  is what an 8-bit single-channel export looks like to the model; in the synthetic looks only the
  raw 16-bit stacks were tubulin-only, so without this the model tied "one colour" to "16-bit");
- extra blur (a wider PSF, a z-projection, slight defocus);
- another display mapping per channel (black level, gain with saturation, gamma): an 8-bit export
  reaches the model as it was saved, and each lab sets its channels' display range its own way,
  leaving the background at another level and the spindles brighter, dimmer or clipped; a channel
  that holds nothing (the empty SPB channel of a tubulin-only frame) stays empty;
- lossy JPEG re-compression (AVI and JPEG exports at low quality).

Each is drawn independently with its own probability; all are off by default (upstream trains
without them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import cv2
import numpy as np

from ..io.images import jpeg_round_trip

TUBULIN_CHANNEL, SPB_CHANNEL = 0, 1  # frames are tubulin-first RGB: red tubulin, green SPB marker


@dataclass(frozen=True)
class Degradations:
    """Probabilities and ranges of the degradations (0 turns one off)."""

    drop_spb_prob: float = 0.0
    blur_prob: float = 0.0
    blur_sigma: Tuple[float, float] = (0.5, 1.5)   # px, Gaussian
    display_prob: float = 0.0
    display_offset: Tuple[float, float] = (0.0, 30.0)  # 8-bit levels added to the channel's black level
    display_gain: Tuple[float, float] = (0.6, 1.8)
    display_gamma: Tuple[float, float] = (0.7, 1.4)
    jpeg_prob: float = 0.0
    jpeg_quality: Tuple[int, int] = (25, 90)

    def __post_init__(self) -> None:
        for name in ("drop_spb_prob", "blur_prob", "display_prob", "jpeg_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"degradations.{name} must be a probability in [0, 1], got {getattr(self, name)}")
        for name, lowest, highest in (("blur_sigma", 0.0, float("inf")), ("display_offset", -255.0, 255.0),
                                      ("display_gain", 1e-3, float("inf")), ("display_gamma", 1e-3, float("inf")),
                                      ("jpeg_quality", 1, 100)):
            low, high = getattr(self, name)
            if not lowest <= low <= high <= highest:
                raise ValueError(f"degradations.{name} must be a range [low, high] within [{lowest}, {highest}], "
                                 f"got {getattr(self, name)}")
            object.__setattr__(self, name, (low, high))  # JSON gives lists; keep the value hashable


def drop_spb(image: np.ndarray) -> np.ndarray:
    """The frame as a tubulin-only recording shows it: the SPB channel empty."""
    out = image.copy()
    out[..., SPB_CHANNEL] = 0
    return out


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """The frame seen through a wider PSF: a Gaussian of ``sigma`` px over every channel."""
    return cv2.GaussianBlur(image, (0, 0), sigma)


def remap_display(image: np.ndarray, offsets: np.ndarray, gains: np.ndarray, gammas: np.ndarray) -> np.ndarray:
    """The tubulin and SPB channels, ``c`` = 0 and 1, each shown through another display range:
    ``offsets[c] + gains[c] * 255 * (x / 255) ** gammas[c]``, clipped to 8 bit. Blue holds no
    marker and is left alone; a channel that is zero everywhere stays zero: an empty channel is
    what a missing marker looks like, not a dark one."""
    out = image.copy()
    for c in (TUBULIN_CHANNEL, SPB_CHANNEL):
        if not image[..., c].any():
            continue
        levels = offsets[c] + gains[c] * 255.0 * (np.arange(256) / 255.0) ** gammas[c]
        out[..., c] = np.clip(levels, 0, 255).round().astype(np.uint8)[image[..., c]]
    return out


def degrade(image: np.ndarray, rng: np.random.Generator, config: Degradations) -> np.ndarray:
    """``image`` (H x W x 3 uint8, tubulin-first) with each degradation applied with its probability,
    in recording order: the channel the microscope had, the optics, then the export (display
    range, then compression)."""
    if rng.random() < config.drop_spb_prob:
        image = drop_spb(image)
    if rng.random() < config.blur_prob:
        image = blur(image, rng.uniform(*config.blur_sigma))
    # drawn only when switched on, so that configs without it keep their random streams
    if config.display_prob and rng.random() < config.display_prob:
        image = remap_display(image, rng.uniform(*config.display_offset, 2), rng.uniform(*config.display_gain, 2),
                              rng.uniform(*config.display_gamma, 2))
    if rng.random() < config.jpeg_prob:
        image = jpeg_round_trip(image, int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1)))
    return image
