"""Unfamiliar objects pasted into training items: things in a field that are not spindles.

Real fields hold objects no generator draws (dead cells of other shapes, debris, beads, dirt on
the coverslip, autofluorescent vacuoles); left out of training, a look's own object is taken for
spindles (a model trained without the dead-cell look reports most of its blobs). Rather than
drawing one more object, training can paste random ones: filled or hollow ellipses of any size,
elongation, softness and colour from pure tubulin to pure SPB channel, placed away from every
spindle, stray pole and ignored region so that the annotation stays exact. They are pasted before
the recording degradations (:mod:`.degrade`), as objects of the scene, and only into a channel
that holds something: a tubulin-only frame stays tubulin-only (a mosaic of tubulin-only and
two-colour tiles counts as two-colour, so its tubulin-only tiles may get green objects).

What they leave out on purpose is what makes a spindle: a bar with a separate SPB dot at each end.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

import cv2
import numpy as np

from .degrade import SPB_CHANNEL, TUBULIN_CHANNEL


NOTICEABLE = 0.02  # 8-bit levels; objects whose tails add less anywhere in a keep-out box cannot show there


@dataclass(frozen=True)
class Distractors:
    """How often and how many objects are pasted, and their ranges (``prob`` 0 turns it off)."""

    prob: float = 0.0                               # share of training items that get any
    count: Tuple[int, int] = (1, 6)                 # objects per such item, inclusive
    radius: Tuple[float, float] = (2.5, 12.0)       # px on the training canvas, the long semi-axis (larger than an SPB dot)
    roundness: Tuple[float, float] = (0.4, 1.0)     # short / long semi-axis
    softness: Tuple[float, float] = (0.4, 2.0)      # px, Gaussian blur of the edge
    brightness: Tuple[float, float] = (0.3, 1.5)    # peak, relative to the frame's bright level
    hollow_prob: float = 0.3                        # a ring instead of a filled ellipse

    def __post_init__(self) -> None:
        for name in ("prob", "hollow_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"distractors.{name} must be a probability in [0, 1], got {getattr(self, name)}")
        if not all(float(n).is_integer() for n in self.count):
            raise ValueError(f"distractors.count must be whole numbers, got {self.count}")
        for name, lowest, highest in (("count", 0, float("inf")), ("radius", 0.5, float("inf")),
                                      ("roundness", 0.05, 1.0), ("softness", 0.0, float("inf")),
                                      ("brightness", 0.0, float("inf"))):
            low, high = getattr(self, name)
            if not lowest <= low <= high <= highest:
                raise ValueError(f"distractors.{name} must be a range [low, high] within [{lowest}, {highest}], "
                                 f"got {getattr(self, name)}")
            object.__setattr__(self, name, (low, high))  # JSON gives lists; keep the value hashable
        object.__setattr__(self, "count", tuple(int(n) for n in self.count))


@dataclass(frozen=True)
class Blob:
    """One pasted object: an ellipse centred at ``centre`` (x, y, pixel centres at +0.5 as
    everywhere in yoloxsp) with semi-axes ``axes``, turned by ``angle`` degrees, its edge blurred by
    ``softness`` px, a ring of width ``ring`` px when ``ring`` > 0, adding ``peak`` (tubulin, SPB)
    8-bit levels at its brightest."""

    centre: Tuple[float, float]
    axes: Tuple[float, float]
    angle: float
    softness: float
    ring: float
    peak: Tuple[float, float]


def bright_level(image: np.ndarray) -> float:
    """The frame's bright level: the 99.9th percentile of its marker channels, at least 30, so
    pasted objects come out as bright as what the frame shows, spindles included."""
    return max(30.0, float(np.percentile(image[..., [TUBULIN_CHANNEL, SPB_CHANNEL]], 99.9)))


def draw_blobs(rng: np.random.Generator, hw: Tuple[int, int], keep_out: np.ndarray, level: float,
               config: Distractors, channels: Tuple[bool, bool] = (True, True), tries: int = 20) -> List[Blob]:
    """Random objects for an ``hw`` canvas, each touching no ``keep_out`` box (x1 y1 x2 y2) with
    any pixel it would change; an object that finds no free place in ``tries`` draws is not
    pasted. Its colour is drawn over the marker ``channels`` the frame has (tubulin, SPB), so an
    object in a one-channel frame is as bright as in a two-colour one."""
    present = np.array(channels, float)
    blobs = []
    for _ in range(int(rng.integers(config.count[0], config.count[1] + 1))):
        long_axis = rng.uniform(*config.radius)
        axes = (long_axis, long_axis * rng.uniform(*config.roundness))
        ring = rng.uniform(1.0, max(1.0, axes[1] / 2)) if rng.random() < config.hollow_prob else 0.0
        colour = rng.uniform(0, 1, 2) * present
        colour /= max(colour.max(), 1e-6)
        peak = level * rng.uniform(*config.brightness) * colour
        shape = dict(axes=axes, angle=float(rng.uniform(0, 180)), softness=float(rng.uniform(*config.softness)),
                     ring=ring, peak=(float(peak[0]), float(peak[1])))
        for _ in range(tries):
            blob = Blob(centre=(float(rng.uniform(0, hw[1])), float(rng.uniform(0, hw[0]))), **shape)
            if not _overlaps(changed_box(hw, blob), keep_out):
                blobs.append(blob)
                break
    return blobs


def changed_box(hw: Tuple[int, int], blob: Blob) -> Tuple[int, int, int, int]:
    """The pixel box (x1 y1 x2 y2, end exclusive) of every pixel ``blob`` adds ``NOTICEABLE``
    levels or more to; all zeros when there is none. Well under the half level that rounding to 8
    bit shows, because the tails of overlapping objects add up."""
    changed = np.argwhere(blob_mask(hw, blob) * max(blob.peak) >= NOTICEABLE)
    if len(changed) == 0:
        return 0, 0, 0, 0
    (y1, x1), (y2, x2) = changed.min(axis=0), changed.max(axis=0) + 1
    return int(x1), int(y1), int(x2), int(y2)


def _overlaps(box: Tuple[int, int, int, int], boxes: np.ndarray) -> bool:
    """Whether the pixel box ``box`` shares area with any of ``boxes`` (continuous coordinates)."""
    x1, y1, x2, y2 = box
    if x1 == x2 or len(boxes) == 0:
        return False
    bx1, by1, bx2, by2 = boxes.T
    return bool(np.any((x2 > bx1) & (x1 < bx2) & (y2 > by1) & (y1 < by2)))


def blob_mask(hw: Tuple[int, int], blob: Blob) -> np.ndarray:
    """The object's shape on the canvas, 0-1 float32, its brightest pixel 1: drawn anti-aliased
    (OpenCV draws pixel centres at whole numbers, hence the half-pixel shift), then blurred."""
    canvas = np.zeros(hw, np.uint8)
    centre = tuple(int(round((c - 0.5) * 16)) for c in blob.centre)
    axes = tuple(max(1, int(round(a * 16))) for a in blob.axes)
    thickness = max(1, int(round(blob.ring))) if blob.ring > 0 else -1
    cv2.ellipse(canvas, centre, axes, blob.angle, 0, 360, 255, thickness, cv2.LINE_AA, 4)
    mask = canvas.astype(np.float32) / 255.0
    if blob.softness > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), blob.softness)
    return mask / max(float(mask.max()), 1e-6)


def paste_blobs(image: np.ndarray, blobs: List[Blob]) -> np.ndarray:
    """``image`` (H x W x 3 uint8, tubulin-first) with each object added to the tubulin and SPB
    channels, clipped to 8 bit; an empty channel stays empty."""
    if not blobs:
        return image
    out = image.astype(np.float32)
    for blob in blobs:
        mask = blob_mask(image.shape[:2], blob)
        for channel, peak in zip((TUBULIN_CHANNEL, SPB_CHANNEL), blob.peak):
            if image[..., channel].any():
                out[..., channel] += peak * mask
    return np.clip(out, 0, 255).round().astype(np.uint8)


def add_distractors(image: np.ndarray, keep_out: np.ndarray, rng: np.random.Generator,
                    config: Distractors) -> np.ndarray:
    """``image`` with random objects pasted away from ``keep_out`` boxes, with probability
    ``config.prob``; no random draw at all when it is 0, so configs without it keep their streams."""
    if not config.prob or rng.random() >= config.prob:
        return image
    channels = (bool(image[..., TUBULIN_CHANNEL].any()), bool(image[..., SPB_CHANNEL].any()))
    return paste_blobs(image, draw_blobs(rng, image.shape[:2], keep_out, bright_level(image), config, channels))
