"""Whether a detection has a spindle's two ends: the check that keeps interphase look-alikes out.

In dense fields from other microscopes a detector trained on spindles also fires on what looks
like one: interphase bundles as bright and straight as a spindle, short bars with no pole, a
bar cut by the frame's edge. A spindle differs from all of them at its ends: it is anchored at
both by a spindle pole body, and both ends lie in the field. So a detection is kept only when

- both its poles lie inside the frame, at least :data:`EDGE_MARGIN` px from every edge (a bar
  whose end runs off the frame is not a spindle whose length can be measured, and the annotated
  fields of every look hold none);
- where the frame has an SPB channel that shows dots (:func:`~yoloxsp.analysis.ends.holds_dots`),
  each pole shows a pole body (:func:`~yoloxsp.analysis.ends.shows_spb`: a spot within reach or
  SPB signal on the pole, at :data:`EVIDENCE_SNR` times the local noise): a bundle with a dot at
  one end, or dots scattered along it, has no dot at one of its ends.

With tubulin alone only the first check applies: no other signal says where a spindle ends.
The spot threshold is lower than the end measurement's (:data:`~yoloxsp.analysis.ends.SPB_MIN_SNR`):
a dim, hazy or bleached pole body still counts as evidence even where it is too faint to place the
end on. It was chosen on the synthetic looks with two colours (docs/movies.md).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .ends import shows_spb

EDGE_MARGIN = 1.0    # px: a pole closer than this to the frame's edge may lie beyond it
EVIDENCE_SNR = 4.0   # an SPB spot's peak over the local noise to count as a pole's evidence
MIN_REACH = 3.0      # px: the least distance from a pole an SPB spot may lie
REACH_SHARE = 0.2    # share of the half-length a pole may lie off its SPB (network poles are coarse)


def two_pole_evidence(poles: np.ndarray, shape: tuple, spb: Optional[np.ndarray] = None) -> np.ndarray:
    """Per detection, whether its ``poles`` (N, 2, 2; x, y px) show a spindle's ends in a frame of
    ``shape`` (height, width, ...) whose SPB channel, if it shows dots, is ``spb`` (H, W; pass None
    for tubulin alone or an SPB channel without dots). A pole the model did not place (NaN, kept
    only when the model's ``min_poles`` allows it) is not held against its detection."""
    poles = np.asarray(poles, float).reshape(-1, 2, 2)
    height, width = shape[:2]
    placed = np.isfinite(poles).all(axis=2)
    inside = ((poles >= EDGE_MARGIN).all(axis=2) & (poles[..., 0] <= width - EDGE_MARGIN)
              & (poles[..., 1] <= height - EDGE_MARGIN))
    shown = ~placed | inside  # (N, 2)
    if spb is not None:
        for i, k in zip(*np.nonzero(placed & inside)):
            other = poles[i, 1 - k]
            half = 0.5 * float(np.linalg.norm(other - poles[i, k])) if np.isfinite(other).all() else 0.0
            shown[i, k] = shows_spb(spb, poles[i, k], max(MIN_REACH, REACH_SHARE * half), EVIDENCE_SNR)
    return shown.all(axis=1)
