"""Pair pole annotations with spindle boxes in one frame.

CVAT does not link a box track with its pole track, so the link is made by geometry: a pole
pair may belong to a box only if both poles lie inside the box grown by ``margin`` pixels;
among the admissible pairs the assignment minimising the distance between the poles' midpoint
and the box centre is taken (Hungarian algorithm, scipy).
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from .records import Box, Point

_INADMISSIBLE = 1e9


def pair_poles_with_boxes(boxes: Sequence[Box], pole_pairs: Sequence[Tuple[Point, Point]],
                          margin: float = 10.0) -> Tuple[List[Tuple[int, int]], List[int], List[int]]:
    """Return ``(matches, unmatched_box_indices, unmatched_pole_indices)``.

    ``matches`` holds ``(box_index, pole_pair_index)`` tuples.
    """
    if not boxes or not pole_pairs:
        return [], list(range(len(boxes))), list(range(len(pole_pairs)))
    b = np.asarray(boxes, dtype=np.float64)                      # (B, 4)
    p = np.asarray(pole_pairs, dtype=np.float64)                 # (P, 2, 2)
    grown = b + np.array([-margin, -margin, margin, margin])
    inside = ((p[None, :, :, 0] >= grown[:, None, None, 0]) & (p[None, :, :, 0] <= grown[:, None, None, 2])
              & (p[None, :, :, 1] >= grown[:, None, None, 1]) & (p[None, :, :, 1] <= grown[:, None, None, 3]))
    admissible = inside.all(axis=2)                              # (B, P)
    centres = (b[:, :2] + b[:, 2:]) / 2
    midpoints = p.mean(axis=1)
    cost = np.linalg.norm(centres[:, None, :] - midpoints[None, :, :], axis=2)
    cost = np.where(admissible, cost, _INADMISSIBLE)
    rows, cols = linear_sum_assignment(cost)
    matches = [(int(r), int(c)) for r, c in zip(rows, cols) if admissible[r, c]]
    matched_boxes = {r for r, _ in matches}
    matched_poles = {c for _, c in matches}
    return (matches, [i for i in range(len(boxes)) if i not in matched_boxes],
            [j for j in range(len(pole_pairs)) if j not in matched_poles])
