"""Link spindles over frames into tracks (trackpy's nearest-neighbour linking of box centres and
spindle lengths).

Centres rather than box overlap: an elongating anaphase spindle's box changes shape quickly
while its centre barely moves, and spindles in a field are far apart compared to how far a
centre moves between frames. The pole-to-pole length is a third linking coordinate, scaled down
by :data:`LENGTH_WEIGHT`: a spindle grows by a fraction of a micrometre per frame, so a detection
several micrometres longer or shorter at the same place is another object. Without it, a false
detection that sits in a cell before mitosis (the interphase array of a one-channel movie, whose
frames are each contrast-stretched to a spindle's brightness) and the spindle that then forms in
the same cell became one track whose length fell from ~10 um to 1.5 um, and the phase fit of the
real spindle was lost.

Dense frames (a crowded field, or a noisy movie full of false detections) put many candidates
within one search range of each other; trackpy then refuses a "subnetwork" too large to solve
exactly and raises. Its adaptive search (:data:`LINK_OPTIONS`) shrinks the search range inside
such a subnetwork only, step by step, until it is small enough, so sparse spindles link exactly
as before and a crowded frame still links.

A spindle dims as it elongates (about constant tubulin spread over a longer bar), so a long
anaphase spindle may score under the model's threshold in frames where the same spindle, shorter
and brighter, scored above it before. :class:`ConfirmingLinker` reports such a detection when it
continues a track the threshold has already confirmed several times: hysteresis over time, as a
person reading the movie would do. It looks back only, so a movie is still read once.
"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    from ..model.decode import Detections

# trackpy's adaptive search: within an oversize subnetwork, multiply the search range by
# ``adaptive_step`` until the subnetwork is solvable or the range reaches ``adaptive_stop`` (px).
LINK_OPTIONS = {"adaptive_stop": 0.5, "adaptive_step": 0.95}
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


class TrackLinker:
    """Links one frame at a time (trackpy's ``Linker``), so a movie's track ids are known while it
    is read and the overlay can be drawn in the same pass. Ids count 0, 1, ... in order of first
    appearance. trackpy numbers tracks with class-level counters, so link one movie at a time
    per process.

    ``search_range_px``: the farthest a centre may move between consecutive frames;
    ``memory``: frames a spindle may be missed and still keep its id (frames without any
    spindle count too).
    """

    def __init__(self, search_range_px: float = 12.0, memory: int = 2):
        self._options = (search_range_px, memory)
        # trackpy's Linker is made when a frame comes after the first frame with spindles: a single
        # image never imports trackpy and pandas (a large share of a short run's start-up), and the
        # first frame's ids are 0..n-1 in either case.
        self._first: Optional[tuple] = None  # (points, frame) of the first frame with spindles
        self._linker = None
        self._frame = 0
        self._renumber: Dict[int, int] = {}

    def _start_linking(self):
        import trackpy

        # No trackpy.quiet(): it would set the user's trackpy log level for the whole process, and
        # the Linker used frame by frame logs nothing (only trackpy's link functions do).
        search_range_px, memory = self._options
        linker = trackpy.linking.Linker(search_range_px, memory=memory, **LINK_OPTIONS)
        linker.init_level(*self._first)
        for particle in linker.particle_ids:
            self._renumber.setdefault(particle, len(self._renumber))
        return linker

    def update(self, detections: Detections) -> np.ndarray:
        """Track ids of this frame's detections, aligned with ``detections.boxes``."""
        points = linking_coordinates(detections)
        frame, self._frame = self._frame, self._frame + 1
        if self._first is None:
            if len(points):
                self._first = (points, frame)
            return np.arange(len(points))
        if self._linker is None:
            self._linker = self._start_linking()
        self._linker.next_level(points, frame)
        if not len(points):
            return np.zeros(0, int)
        particles = self._linker.particle_ids
        for particle in particles:
            self._renumber.setdefault(particle, len(self._renumber))
        return np.array([self._renumber[particle] for particle in particles], int)


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
        self._reach, self._memory, self._confirming = search_range_px, memory, confirming
        self._above: Counter = Counter()  # track id -> its detections at or above the threshold
        self._last: Dict[int, Tuple[np.ndarray, int]] = {}  # track id -> (linking coordinates, frame)
        self._frame = 0

    def update(self, candidates: Detections) -> Tuple[np.ndarray, np.ndarray]:
        """``(keep, track_ids)``: a mask over the candidates to report, and their track ids."""
        frame, self._frame = self._frame, self._frame + 1
        points = linking_coordinates(candidates)
        above = np.asarray(candidates.scores) >= self.score_threshold
        keep = above.copy()
        keep[self._fills(points, above, frame)] = True
        track_ids = self._linker.update(candidates.select(keep))
        self._above.update(track_ids[above[keep]].tolist())
        for track, point in zip(track_ids.tolist(), points[keep]):
            self._last[track] = (point, frame)
        return keep, track_ids

    def _fills(self, points: np.ndarray, above: np.ndarray, frame: int) -> List[int]:
        """Indices of the candidates under the threshold that continue a confirmed track.

        A fill must be linked to the track it was chosen for, so it is taken only where the linker
        has no other choice: it lies within reach of that track's end alone among all live ends
        (confirmed or not), and that end is within reach of no other reported detection (no
        detection at or above the threshold; other fills lie within reach of their own end alone).
        Such a pair is a subnetwork of its own, which trackpy links as it stands; otherwise a fill
        could split a track, join an unconfirmed one, or start a track of its own.
        """
        from scipy.spatial.distance import cdist

        # trackpy links a little beyond the search range (its neighbour search adds 1e-7): a fill must
        # be within the range of its own end, and beyond the range and that margin of everything else.
        links, may_link = self._reach, self._reach + 1e-6
        live = [(track, point) for track, (point, last) in self._last.items()
                if frame - last <= self._memory + 1]
        below = np.flatnonzero(~above)
        if not live or not len(below):
            return []
        ends = np.array([point for _, point in live]).reshape(-1, 3)
        open_ends = np.array([self._above[track] >= self._confirming for track, _ in live])
        distance = cdist(ends, points[below])  # live end x candidate under the threshold
        reaches = distance <= may_link
        strong = points[above]
        if len(strong):
            open_ends &= ~(cdist(ends, strong) <= may_link).any(axis=1)
            reaches[:, (cdist(points[below], strong) <= may_link).any(axis=1)] = False
        sole = reaches.sum(axis=0) == 1
        fills = []
        for end in np.flatnonzero(open_ends):
            mine = np.flatnonzero(sole & (distance[end] <= links))
            if len(mine):
                fills.append(int(below[mine[np.argmin(distance[end, mine])]]))
        return fills


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
