"""Whether a detection has a spindle's two ends: the check that keeps interphase look-alikes out.

In dense fields from other microscopes a detector trained on spindles also fires on what looks
like one: interphase bundles as bright and straight as a spindle, short bars with no pole, a
bar cut by the frame's edge. A spindle differs from all of them at its ends: it is anchored at
both by a spindle pole body, and both ends lie in the field. So a detection is kept only when

- its box stays clear of the frame's edges by :data:`EDGE_MARGIN` px (a bar that runs off the
  frame has an end nobody can measure, and no annotated field of the synthetic looks holds one);
- where the frame has an SPB channel that shows dots (:func:`~yoloxsp.analysis.ends.spb_channel`),
  each pole shows a pole body (:func:`~yoloxsp.analysis.ends.shows_spb`: a spot within reach or
  SPB signal on the pole, at :data:`EVIDENCE_SNR` times the local noise): a bundle with a dot at
  one end, or dots scattered along it, has no dot at one of its ends.

With tubulin alone only the first check applies: no other signal says where a spindle ends.
The spot threshold is lower than the end measurement's (:data:`~yoloxsp.analysis.ends.SPB_MIN_SNR`):
a dim, hazy or bleached pole body still counts as evidence even where it is too faint to place the
end on. It was chosen on the synthetic looks with two colours (docs/movies.md).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from .ends import shows_spb, spb_channel

if TYPE_CHECKING:  # the model (torch) is not needed to check pixels
    from ..model.decode import Detections

EDGE_MARGIN = 1.0    # px: a box closer than this to the frame's edge may run beyond it
EVIDENCE_SNR = 4.0   # an SPB spot's peak over the local noise to count as a pole's evidence
MIN_REACH = 3.0      # px: the least distance from a pole an SPB spot may lie
REACH_SHARE = 0.2    # share of the half-length a pole may lie off its SPB (network poles are coarse)


def two_pole_evidence(boxes: np.ndarray, poles: np.ndarray, shape: tuple, spb: Optional[np.ndarray] = None
                      ) -> np.ndarray:
    """Per detection, whether it shows a spindle's two ends in a frame of ``shape`` (height,
    width, ...): its box (N, 4; x1 y1 x2 y2 px) clear of the frame's edges and, where the frame's
    SPB channel shows dots (``spb``, H x W; None for tubulin alone or an SPB channel without dots),
    a pole body at each of its ``poles`` (N, 2, 2; x, y px). A pole the model did not place (NaN,
    kept only when the model's ``min_poles`` allows it) is not held against its detection."""
    boxes = np.asarray(boxes, float).reshape(-1, 4)
    poles = np.asarray(poles, float).reshape(-1, 2, 2)
    height, width = shape[:2]
    keep = ((boxes[:, :2] >= EDGE_MARGIN).all(axis=1) & (boxes[:, 2] <= width - EDGE_MARGIN)
            & (boxes[:, 3] <= height - EDGE_MARGIN))
    if spb is None:
        return keep
    placed = np.isfinite(poles).all(axis=2)
    for i in np.nonzero(keep)[0]:
        half = 0.5 * float(np.linalg.norm(poles[i, 1] - poles[i, 0])) if placed[i].all() else 0.0
        reach = max(MIN_REACH, REACH_SHARE * half)
        keep[i] = all(shows_spb(spb, poles[i, k], reach, EVIDENCE_SNR) for k in range(2) if placed[i, k])
    return keep


def spindles_with_ends(frame: np.ndarray, detections: "Detections") -> "Detections":
    """The ``detections`` of ``frame`` (8-bit RGB as the model saw it: tubulin in red, the SPB
    marker, if any, in green) that show a spindle's two ends (:func:`two_pole_evidence`)."""
    frame = np.asarray(frame)
    spb = spb_channel(frame) if len(detections) else None
    return detections.select(two_pole_evidence(detections.boxes, detections.poles, frame.shape, spb))
