"""Typed per-frame annotation records shared by the readers, writers, datasets and evaluators.

Coordinates are continuous pixel coordinates as CVAT and COCO use them: the top-left corner of
the image is (0, 0) and pixel (i, j) covers [i, i+1) x [j, j+1), so its centre is (i+0.5, j+0.5).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

Point = Tuple[float, float]
Box = Tuple[float, float, float, float]  # x1, y1, x2, y2


@dataclass(frozen=True)
class Spindle:
    """One annotated spindle: its box, its two poles (None when unannotated) and its track."""

    box: Box
    poles: Optional[Tuple[Point, Point]] = None
    track_id: Optional[int] = None


@dataclass
class FrameRecord:
    """Everything known about one annotated frame."""

    image_path: Path
    width: int
    height: int
    frame: int
    spindles: List[Spindle] = field(default_factory=list)
    # Pole pairs that matched no box: kept (they are still poles) and reported by the reader.
    stray_poles: List[Tuple[Point, Point]] = field(default_factory=list)
    task: str = ""


def canonical_poles(p: Point, q: Point) -> Tuple[Point, Point]:
    """Order a pole pair deterministically (by x, then y) so pole1/pole2 mean the same everywhere."""
    return (p, q) if (p[0], p[1]) <= (q[0], q[1]) else (q, p)


def spindle_arrays(record: FrameRecord, dtype=np.float64) -> Tuple[np.ndarray, np.ndarray]:
    """A frame's spindles as arrays: boxes (N, 4) and pole pairs (N, 2, 2), NaN where a spindle's
    poles are unannotated. The one conversion that training items and scoring both read."""
    boxes = np.array([s.box for s in record.spindles], dtype).reshape(-1, 4)
    poles = np.array([s.poles if s.poles is not None else np.full((2, 2), np.nan) for s in record.spindles],
                     dtype).reshape(-1, 2, 2)
    return boxes, poles


def scaled_spindle(spindle: Spindle, sx: float, sy: float) -> Spindle:
    """``spindle`` on an image resized by ``sx`` and ``sy`` (new pixels per old, x and y)."""
    x1, y1, x2, y2 = spindle.box
    poles = None if spindle.poles is None else tuple((x * sx, y * sy) for x, y in spindle.poles)
    return replace(spindle, box=(x1 * sx, y1 * sy, x2 * sx, y2 * sy), poles=poles)
