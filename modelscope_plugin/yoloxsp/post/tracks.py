"""Link spindles over frames into tracks (trackpy's nearest-neighbour linking of box centres).

Centres rather than box overlap: an elongating anaphase spindle's box changes shape quickly
while its centre barely moves, and spindles in a field are far apart compared to how far a
centre moves between frames.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np
import pandas as pd
import trackpy

from ..model.decode import Detections

trackpy.quiet()


def search_range_for(pixel_size: Optional[float]) -> float:
    """How far (px) a spindle centre may move between frames: 1.5 um, or 12 px at unknown scale."""
    return 1.5 / pixel_size if pixel_size else 12.0


def link_tracks(frames: Sequence[Detections], search_range_px: float = 12.0, memory: int = 2) -> List[np.ndarray]:
    """Track ids (0, 1, ...) per frame, aligned with each frame's detections.

    ``search_range_px``: the farthest a centre may move between consecutive frames;
    ``memory``: frames a spindle may be missed and still keep its id.
    """
    rows = [(t, i, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            for t, dets in enumerate(frames) for i, box in enumerate(dets.boxes)]
    ids = [np.full(len(dets), -1, int) for dets in frames]
    if not rows:
        return ids
    table = pd.DataFrame(rows, columns=["frame", "index", "x", "y"])
    linked = trackpy.link(table, search_range=search_range_px, memory=memory)
    # Renumber in order of first appearance so ids read naturally (0 appears first).
    first_seen = linked.sort_values(["frame", "index"]).drop_duplicates("particle")["particle"].tolist()
    renumber = {particle: n for n, particle in enumerate(first_seen)}
    for row in linked.itertuples():
        ids[row.frame][row.index] = renumber[row.particle]
    return ids
