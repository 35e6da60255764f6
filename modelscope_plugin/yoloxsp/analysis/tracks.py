"""Link spindles over frames into tracks: each frame's detections are assigned to the tracks seen in
the last few frames by the assignment of least total squared displacement (the linear assignment
problem, solved exactly by scipy's ``linear_sum_assignment``), in box centres and spindle lengths.

The cost is trackpy's: a link costs its squared displacement, a track left unlinked costs the
squared search range, and detections left over start tracks of their own. Solved as one
assignment per frame, it gives trackpy's links (a test compares them) without trackpy's import,
which took a second of every run, and without its limit on crowded frames: the assignment is
exact however many detections lie within one search range of each other (a noisy movie full of
false detections), where trackpy shrank its search range step by step.

Centres rather than box overlap: an elongating anaphase spindle's box changes shape quickly
while its centre barely moves, and spindles in a field are far apart compared to how far a
centre moves between frames. The pole-to-pole length is a third linking coordinate, scaled down
by :data:`LENGTH_WEIGHT`: a spindle grows by a fraction of a micrometre per frame, so a detection
several micrometres longer or shorter at the same place is another object. Without it, a false
detection that sits in a cell before mitosis (the interphase array of a one-channel movie, whose
frames are each contrast-stretched to a spindle's brightness) and the spindle that then forms in
the same cell became one track whose length fell from ~10 um to 1.5 um, and the phase fit of the
real spindle was lost.

A spindle dims as it elongates (about constant tubulin spread over a longer bar), so a long
anaphase spindle may score under the model's threshold in frames where the same spindle, shorter
and brighter, scored above it before. :class:`ConfirmingLinker` reports such a detection when it
continues a track the threshold has already confirmed several times: hysteresis over time, as a
person reading the movie would do. It looks back only, so a movie is still read once.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    from ..model.decode import Detections

# A length change counts this much of a centre displacement: with the 1.5 um search range a
# spindle that keeps its place may change length by up to 1.5 / LENGTH_WEIGHT um between two
# linked frames (a few frames of fast formation or anaphase B, and a pole found on a wrong dot).
LENGTH_WEIGHT = 0.25
# A detection scoring at least TRACK_SCORE_THRESHOLD but under the model's score threshold is
# reported when it continues a track that holds CONFIRMING_DETECTIONS earlier detections at or above
# that threshold (tests/test_track_confirmation.py checks both on a held-out movie).
TRACK_SCORE_THRESHOLD = 0.15
CONFIRMING_DETECTIONS = 3


def search_range_for(pixel_size: Optional[float]) -> float:
    """How far (px) a spindle centre may move between frames: 1.5 um, or 12 px at unknown scale."""
    return 1.5 / pixel_size if pixel_size else 12.0


def assign(ends: np.ndarray, points: np.ndarray, search_range: float) -> np.ndarray:
    """For each point (``(N, D)``), the index of the end (``(M, D)``) it continues, or -1: the links of
    least total cost, where a link costs its squared distance (at most ``search_range``) and an end
    left unlinked the squared search range. A link at exactly the search range is preferred to
    leaving its end unlinked, as trackpy prefers it; other ties go as the solver finds them."""
    from scipy.optimize import linear_sum_assignment

    if not (math.isfinite(search_range) and search_range > 0):
        raise ValueError(f"a search range is a positive number of pixels, got {search_range}")
    continued = np.full(len(points), -1)
    if not len(ends) or not len(points):
        return continued
    distance = _distances(ends, points)
    links = np.where(distance <= search_range, distance ** 2, np.inf)
    # each end's own way out, a hair dearer than a link at the search range
    unlinked = np.full((len(ends), len(ends)), np.inf)
    np.fill_diagonal(unlinked, np.nextafter(search_range ** 2, np.inf))
    rows, columns = linear_sum_assignment(np.hstack([links, unlinked]))
    linked = columns < len(points)
    continued[columns[linked]] = rows[linked]
    return continued


class TrackLinker:
    """Links one frame at a time, so a movie's track ids are known while it is read and the overlay
    can be drawn in the same pass. Ids count 0, 1, ... in order of first appearance (in detection
    order within a frame).

    ``search_range_px``: the farthest a centre may move between consecutive frames (in
    :func:`linking_coordinates`); ``memory``: frames a spindle may be missed and still keep its id
    (frames without any spindle count too); it is then linked from where it was last seen.
    """

    def __init__(self, search_range_px: float = 12.0, memory: int = 2):
        self.search_range_px, self.memory = search_range_px, memory
        # the tracks still within memory: track id -> (linking coordinates, frame last seen); ended
        # tracks are dropped, so a long movie full of short false tracks costs no more per frame
        self._live: Dict[int, Tuple[np.ndarray, int]] = {}
        self._frame = 0
        self._next_id = 0

    def live_ends(self) -> Tuple[List[int], np.ndarray]:
        """The tracks the next frame may continue, and where each was last seen (``(M, 3)``, in
        :func:`linking_coordinates`)."""
        live = list(self._live)
        return live, np.array([self._live[track][0] for track in live]).reshape(-1, 3)

    def update(self, detections: Detections) -> np.ndarray:
        """Track ids of this frame's detections, aligned with ``detections.boxes``."""
        points = linking_coordinates(detections)
        live, ends = self.live_ends()
        ids = np.empty(len(points), int)
        for i, end in enumerate(assign(ends, points, self.search_range_px).tolist()):
            if end >= 0:
                ids[i] = live[end]
            else:
                ids[i], self._next_id = self._next_id, self._next_id + 1
            self._live[int(ids[i])] = (points[i], self._frame)
        self._frame += 1
        self._live = {track: end for track, end in self._live.items() if self._frame - end[1] <= self.memory + 1}
        return ids

    def is_live(self, track: int) -> bool:
        """Whether ``track`` may still be continued (seen within the linker's memory)."""
        return track in self._live


def check_track_score_threshold(value: Optional[float]) -> None:
    """Refuse a track score threshold outside (0, 1] (``None`` turns confirmation off): a score is a
    probability, and at 0 every anchor of the network would be a candidate."""
    if value is not None and not 0 < value <= 1:
        raise InputError(f"track score threshold must be in (0, 1] (got {value})")


class ConfirmingLinker:
    """Links a movie's detections like :class:`TrackLinker`, and continues confirmed tracks with
    detections under the model's score threshold.

    ``update`` takes a frame's candidates: the model's detections down to a lower score (with the
    poles decoding requires). Those at or above ``score_threshold`` are always reported. One under
    it fills a confirmed track -- ``confirming`` earlier detections at or above the threshold, last
    reported within the linker's memory -- that no such detection of this frame is near (within the
    search range, in :func:`linking_coordinates`), when it lies within reach of that track's last
    detection, of no other live track's, and of no detection at or above the threshold; a track
    takes the nearest such candidate. Only reported detections reach the linker, and a fill is one
    the linker can link to its own track only, so a candidate that is not reported changes
    nothing: without fills the track ids are exactly :class:`TrackLinker`'s on the model's
    detections, and a movie in which the model finds nothing stays empty. A track goes on being
    filled for as long as such detections continue it (the dim anaphase B spindle
    this is for lasts many frames).
    """

    def __init__(self, score_threshold: float, search_range_px: float = 12.0, memory: int = 2,
                 confirming: int = CONFIRMING_DETECTIONS):
        self.score_threshold = score_threshold
        self._linker = TrackLinker(search_range_px, memory)
        self._confirming = confirming
        self._above: Counter = Counter()  # track id -> its detections at or above the threshold

    def update(self, candidates: Detections) -> Tuple[np.ndarray, np.ndarray]:
        """``(keep, track_ids)``: a mask over the candidates to report, and their track ids."""
        points = linking_coordinates(candidates)
        above = np.asarray(candidates.scores) >= self.score_threshold
        keep = above.copy()
        keep[self._fills(points, above)] = True
        track_ids = self._linker.update(candidates.select(keep))
        self._above.update(track_ids[above[keep]].tolist())
        self._above = Counter({track: n for track, n in self._above.items() if self._linker.is_live(track)})
        return keep, track_ids

    def _fills(self, points: np.ndarray, above: np.ndarray) -> List[int]:
        """Indices of the candidates under the threshold that continue a confirmed track.

        A fill must be linked to the track it was chosen for, so it is taken only where the linker
        has no other choice: it lies within reach of that track's end alone among all live ends
        (confirmed or not), and that end is within reach of no other reported detection (no
        detection at or above the threshold; other fills lie within reach of their own end alone).
        Such a pair is linked whatever else the frame holds (linking it costs no more than leaving the
        end unlinked, and neither touches another link); otherwise a fill could split a track, join an
        unconfirmed one, or start a track of its own.
        """
        reach = self._linker.search_range_px
        live, ends = self._linker.live_ends()
        below = np.flatnonzero(~above)
        if not live or not len(below):
            return []
        open_ends = np.array([self._above[track] >= self._confirming for track in live])
        distance = _distances(ends, points[below])  # live end x candidate under the threshold
        reaches = distance <= reach
        strong = points[above]
        if len(strong):
            open_ends &= ~(_distances(ends, strong) <= reach).any(axis=1)
            reaches[:, (_distances(points[below], strong) <= reach).any(axis=1)] = False
        sole = reaches.sum(axis=0) == 1
        fills = []
        for end in np.flatnonzero(open_ends):
            mine = np.flatnonzero(sole & reaches[end])
            if len(mine):
                fills.append(int(below[mine[np.argmin(distance[end, mine])]]))
        return fills


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(M, N)`` Euclidean distances between the rows of ``a`` (``(M, D)``) and ``b`` (``(N, D)``): a
    frame's few spindles need no scipy.spatial, whose import would cost more than a movie's linking."""
    return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)


def linking_coordinates(detections: Detections) -> np.ndarray:
    """``(N, 3)``: box centre x, y and ``LENGTH_WEIGHT`` x the pole-to-pole length, all in px.
    Where a pole is missing the box diagonal stands in for the length (a spindle spans its box)."""
    boxes = np.asarray(detections.boxes, float).reshape(-1, 4)
    poles = np.asarray(detections.poles, float).reshape(-1, 2, 2)
    lengths = np.linalg.norm(poles[:, 0] - poles[:, 1], axis=1)
    diagonals = np.linalg.norm(boxes[:, 2:] - boxes[:, :2], axis=1)
    lengths = np.where(np.isfinite(lengths), lengths, diagonals)
    return np.column_stack([(boxes[:, :2] + boxes[:, 2:]) / 2, LENGTH_WEIGHT * lengths])


def link_tracks(frames: Sequence[Detections], search_range_px: float = 12.0, memory: int = 2) -> List[np.ndarray]:
    """Track ids per frame for a whole movie (see :class:`TrackLinker`)."""
    linker = TrackLinker(search_range_px, memory)
    return [linker.update(detections) for detections in frames]
