"""Draw detections on a frame (OpenCV): box, the two poles, the pole-to-pole line, labels."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import cv2
import numpy as np

from ..io.images import to_rgb8

if TYPE_CHECKING:  # the model (torch) is not needed to measure or draw
    from ..model.decode import Detections

BOX = (0, 220, 255)       # cyan: predicted spindle
POLE = (255, 255, 255)    # white: predicted pole
TRUTH = (255, 150, 0)     # orange: reference boxes
OVERLAYS = ("auto", "video", "frames", "none")  # the ways yoloxsp predict can write overlays


def draw_detections(frame: np.ndarray, detections: Detections, labels: Optional[Sequence[str]] = None,
                    reference_boxes: Optional[np.ndarray] = None, scale: int = 2) -> np.ndarray:
    """An RGB uint8 overlay, enlarged ``scale`` times so thin lines stay visible on small frames.

    ``labels`` (e.g. track ids or scores) are written above each box; ``reference_boxes``
    (N, 4), e.g. annotations, are drawn in orange underneath.
    """
    canvas = cv2.resize(to_rgb8(frame), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)

    def px(x: float, y: float):
        return int(round(x * scale)), int(round(y * scale))

    for box in np.asarray(reference_boxes if reference_boxes is not None else [], float).reshape(-1, 4):
        cv2.rectangle(canvas, px(box[0], box[1]), px(box[2], box[3]), TRUTH, 1, cv2.LINE_AA)
    for i, (box, poles) in enumerate(zip(detections.boxes, detections.poles)):
        cv2.rectangle(canvas, px(box[0], box[1]), px(box[2], box[3]), BOX, 1, cv2.LINE_AA)
        found = [p for p in poles if np.isfinite(p).all()]
        if len(found) == 2:
            cv2.line(canvas, px(*found[0]), px(*found[1]), POLE, 1, cv2.LINE_AA)
        for point in found:
            cv2.circle(canvas, px(*point), max(2, scale), POLE, -1, cv2.LINE_AA)
        if labels is not None:
            cv2.putText(canvas, str(labels[i]), px(box[0], box[1] - 2), cv2.FONT_HERSHEY_SIMPLEX,
                        0.35 * scale, BOX, 1, cv2.LINE_AA)
    return canvas
