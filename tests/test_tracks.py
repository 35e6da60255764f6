"""Track linking: the ids trackpy's whole-movie linking gives (the reference it replaces), memory,
crowded frames, the length coordinate, and confirmation of weak detections."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import trackpy

from yoloxsp.model.decode import Detections
from yoloxsp.analysis.tracks import (LENGTH_WEIGHT, ConfirmingLinker, TrackLinker, assign, link_tracks,
                                     linking_coordinates)

pytestmark = pytest.mark.core


def _frame(centres: np.ndarray) -> Detections:
    n = len(centres)
    return Detections(np.concatenate([centres - 5, centres + 5], axis=1), np.ones(n, np.float32),
                      np.zeros(n, np.int64), np.zeros((n, 2, 2)), np.ones((n, 2)))


def _wandering_spots(seed: int, frames: int = 15):
    """Spots taking small random steps; each is missed in some frames (one never is)."""
    rng = np.random.default_rng(seed)
    positions = rng.uniform(0, 300, (rng.integers(1, 7), 2))
    movie = []
    for _ in range(frames):
        positions = positions + rng.normal(0, 2.5, positions.shape)
        seen = rng.uniform(size=len(positions)) > 0.2
        seen[0] = True
        movie.append(positions[seen])
    return movie


def _trackpy_whole_movie(movie, search_range: float, memory: int):
    table = pd.DataFrame([(t, i, x, y) for t, centres in enumerate(movie) for i, (x, y) in enumerate(centres)],
                         columns=["frame", "index", "x", "y"])
    linked = trackpy.link(table, search_range=search_range, memory=memory)
    first_seen = linked.sort_values(["frame", "index"]).drop_duplicates("particle")["particle"].tolist()
    ids = [np.full(len(centres), -1) for centres in movie]
    for row in linked.itertuples():
        ids[row.frame][row.index] = first_seen.index(row.particle)
    return ids


@pytest.mark.parametrize("seed", range(30))
def test_online_ids_equal_trackpys_whole_movie_linking(seed):
    movie = _wandering_spots(seed)
    ids = link_tracks([_frame(c) for c in movie], search_range_px=12.0, memory=2)
    expected = _trackpy_whole_movie(movie, 12.0, 2)
    for got, want in zip(ids, expected):
        np.testing.assert_array_equal(got, want)


def test_empty_frames_before_and_between_spindles_and_memory():
    linker = TrackLinker(search_range_px=10.0, memory=1)
    spot = np.array([[50.0, 50.0]])
    updates = [linker.update(_frame(c)) for c in (np.zeros((0, 2)), spot, np.zeros((0, 2)), spot + 1,
                                                  np.zeros((0, 2)), np.zeros((0, 2)), spot + 2)]
    assert [u.tolist() for u in updates] == [[], [0], [], [0], [], [], [1]]  # gone 2 frames > memory 1: new id


@pytest.mark.parametrize("per_frame", [40, 400, 1000])
def test_dense_frames_link_without_blowing_up(per_frame):
    """A noisy 300x310 field full of detections (trackpy refused such frames from about 300 points
    at a 12 px search range): every detection gets exactly one id, and some are linked."""
    rng = np.random.default_rng(per_frame)
    movie = [rng.uniform(0, 300, (per_frame, 2)) for _ in range(5)]
    ids = link_tracks([_frame(c) for c in movie], search_range_px=12.0, memory=2)
    assert [len(i) for i in ids] == [per_frame] * 5
    assert all(len(set(i.tolist())) == per_frame for i in ids)  # no two detections of a frame share an id
    assert max(max(i) for i in ids) < 5 * per_frame
    assert len(set(ids[1].tolist()) & set(ids[0].tolist())) > per_frame // 10


def _spindle(centre, length: float, angle: float = 0.3) -> np.ndarray:
    """Pole pair (2, 2) of a straight spindle."""
    half = 0.5 * length * np.array([np.cos(angle), np.sin(angle)])
    return np.array([np.asarray(centre) - half, np.asarray(centre) + half])


def _spindles_frame(pole_pairs) -> Detections:
    poles = np.asarray(pole_pairs, float).reshape(-1, 2, 2)
    boxes = np.concatenate([poles.min(axis=1) - 2, poles.max(axis=1) + 2], axis=1)
    n = len(poles)
    return Detections(boxes, np.ones(n, np.float32), np.zeros(n, np.int64), poles, np.ones((n, 2)))


def test_a_long_false_detection_and_the_spindle_that_forms_in_its_place_are_two_tracks():
    """A cell's interphase array reported as a ~10 um spindle for 6 frames, then the real spindle
    forming at the same place: the same centre, but lengths no spindle jumps between. Linking on
    centres alone joins them (the measured failure on a one-channel crop movie)."""
    centre = (60.0, 80.0)
    movie = [[_spindle(centre, 140.0)]] * 6 + [[_spindle(centre, 20.0 + 4.0 * t)] for t in range(8)]
    ids = link_tracks([_spindles_frame(frame) for frame in movie], search_range_px=23.0, memory=2)
    assert [i.tolist() for i in ids] == [[0]] * 6 + [[1]] * 8


def test_a_spindle_forming_and_elongating_fast_stays_one_track_through_missed_frames():
    """Formation from 10 to 40 px in three frames, anaphase B at 6 px a frame with its centre
    drifting, and two missed frames (within memory): one track, though the length changes by more
    than the search range between linked frames."""
    lengths = [10.0, 22.0, 34.0, 40.0, 40.0, 40.0] + [40.0 + 6.0 * t for t in range(1, 15)]
    frames = []
    for t, length in enumerate(lengths):
        missed = t in (9, 10)
        frames.append(_spindles_frame([] if missed else [_spindle((100.0 + 0.8 * t, 90.0 - 0.5 * t), length)]))
    ids = link_tracks(frames, search_range_px=12.0, memory=2)
    assert {int(i) for frame in ids for i in frame} == {0}
    assert sum(len(i) for i in ids) == len(lengths) - 2


def test_a_missing_pole_lets_the_box_diagonal_stand_in_for_the_length():
    poles = np.array([_spindle((50.0, 50.0), 30.0, angle=0.0)])
    frame = _spindles_frame(poles)
    frame.poles[0, 1] = np.nan
    points = linking_coordinates(frame)
    assert points.shape == (1, 3)
    np.testing.assert_allclose(points[0, :2], [50.0, 50.0])
    np.testing.assert_allclose(points[0, 2], LENGTH_WEIGHT * np.hypot(34.0, 4.0))


def _scored(centres, scores) -> Detections:
    frame = _frame(np.asarray(centres, float).reshape(-1, 2))
    frame.scores = np.asarray(scores, np.float32)
    return frame


def test_a_weak_detection_continues_a_track_once_it_holds_enough_strong_ones():
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, memory=2, confirming=3)
    # strong in frames 0, 2, 4 and 11; weak in 1 and 3 (not yet confirmed), then for six frames,
    # longer than the linker's memory: each weak detection carries the track on
    track = [0.9, 0.2, 0.8, 0.25, 0.7, 0.2, 0.1, 0.2, 0.2, 0.2, 0.2, 0.9]
    results = [linker.update(_scored([[50.0 + t, 50.0]], [s])) for t, s in enumerate(track)]
    assert [bool(keep[0]) for keep, _ in results] == [True, False, True, False] + [True] * 8
    assert {int(i) for _, ids in results for i in ids} == {0}  # one track throughout


def test_unreported_candidates_change_no_track_of_the_models_detections():
    """A weak half-box on a strong spindle, nearer the spindle's next detection than the spindle
    itself: linked with everything it would take the spindle's track."""
    centres = [[[50.0, 50.0]], [[52.0, 50.0]], [[54.0, 50.0]], [[56.0, 50.0], [64.0, 50.0]], [[65.0, 50.0]]]
    scores = [[0.9], [0.9], [0.9], [0.9, 0.2], [0.9]]
    alone = link_tracks([_scored(c[:1], [0.9]) for c in centres], search_range_px=10.0)  # the model's own
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, confirming=3)
    results = [linker.update(_scored(c, s)) for c, s in zip(centres, scores)]
    assert [keep.tolist() for keep, _ in results] == [[True]] * 3 + [[True, False], [True]]
    assert [ids.tolist() for _, ids in results] == [a.tolist() for a in alone] == [[0]] * 5


def test_a_weak_detection_fills_only_a_confirmed_track_no_strong_one_continues():
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, confirming=1)
    linker.update(_scored([[50.0, 50.0], [150.0, 50.0]], [0.9, 0.9]))
    # the first spindle goes on strong, with a weak duplicate beside it; the second goes on weak;
    # a weak detection far from every track is not reported
    keep, ids = linker.update(_scored([[51.0, 50.0], [53.0, 50.0], [151.0, 50.0], [250.0, 50.0]],
                                      [0.9, 0.2, 0.2, 0.2]))
    assert keep.tolist() == [True, False, True, False] and ids.tolist() == [0, 1]


@pytest.mark.parametrize("centres, scores, expected", [
    ([[58.0, 50.0], [42.0, 50.0]], [0.9, 0.2], [True, False]),  # the track goes on strong: no weak one joins it
    ([[66.0, 50.0], [59.0, 50.0]], [0.9, 0.2], [True, False]),  # a weak one beside a new strong one is that one's
    ([[56.0, 50.0], [47.0, 50.0], [60.0, 50.0]], [0.2] * 3, [False, True, False]),  # one per track, the nearest
])
def test_which_weak_detection_continues_a_confirmed_track(centres, scores, expected):
    """A track confirmed at (50, 50) in the frame before, within a 10 px search range."""
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, confirming=1)
    linker.update(_scored([[50.0, 50.0]], [0.9]))
    keep, _ = linker.update(_scored(centres, scores))
    assert keep.tolist() == expected


def test_a_track_of_weak_detections_alone_is_never_reported():
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, confirming=1)
    results = [linker.update(_scored([[50.0, 50.0], [150.0, 50.0]], [0.2, s])) for s in (0.9, 0.2, 0.25)]
    assert [keep.tolist() for keep, _ in results] == [[False, True], [False, True], [False, True]]
    assert [ids.tolist() for _, ids in results] == [[0], [0], [0]]


def test_a_track_unreported_for_longer_than_the_memory_is_not_filled():
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, memory=1, confirming=1)
    linker.update(_scored([[50.0, 50.0]], [0.9]))
    for _ in range(2):  # nothing found: the track ends after the linker's memory
        linker.update(_scored(np.zeros((0, 2)), []))
    keep, ids = linker.update(_scored([[50.0, 50.0]], [0.2]))
    assert keep.tolist() == [False] and ids.tolist() == []


@pytest.mark.parametrize("seed", range(5))
def test_with_every_candidate_at_the_threshold_the_ids_are_the_linkers(seed):
    movie = _wandering_spots(seed)
    expected = link_tracks([_frame(c) for c in movie], search_range_px=12.0, memory=2)
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=12.0, memory=2)
    for centres, ids in zip(movie, expected):
        keep, reported = linker.update(_scored(centres, np.full(len(centres), 0.3)))
        assert keep.all()
        np.testing.assert_array_equal(reported, ids)


def _confirmed_ends(linker: ConfirmingLinker, centres) -> None:
    """One frame of strong detections: with ``confirming=1`` each starts a confirmed track."""
    linker.update(_scored(centres, np.full(len(centres), 0.9)))


def test_a_weak_detection_within_reach_of_two_tracks_splits_neither():
    """Confirmed ends at 39 and 50; in the next frame the second goes on strong at 59 and a weak
    detection lies at 48.5, within reach of both ends: reported, it would take the second track and
    leave the strong detection a new track of its own."""
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, confirming=1)
    _confirmed_ends(linker, [[39.0, 50.0], [50.0, 50.0]])
    keep, ids = linker.update(_scored([[59.0, 50.0], [48.5, 50.0]], [0.9, 0.2]))
    assert keep.tolist() == [True, False] and ids.tolist() == [1]


def test_a_weak_detection_nearer_an_unconfirmed_track_fills_nothing():
    """A confirmed track at 50 (two strong detections) and an unconfirmed one at 62 (one); a weak
    detection at 57 is within reach of both, nearer the unconfirmed one, which would take it."""
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, confirming=2)
    _confirmed_ends(linker, [[50.0, 50.0]])
    _confirmed_ends(linker, [[50.0, 50.0], [62.0, 50.0]])
    keep, ids = linker.update(_scored([[57.0, 50.0]], [0.2]))
    assert keep.tolist() == [False] and ids.tolist() == []


def test_two_confirmed_tracks_side_by_side_are_each_filled_by_their_own():
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, confirming=1)
    _confirmed_ends(linker, [[50.0, 50.0], [62.0, 50.0]])
    keep, ids = linker.update(_scored([[67.0, 50.0], [45.0, 50.0]], [0.2, 0.2]))
    assert keep.tolist() == [True, True] and ids.tolist() == [1, 0]


@pytest.mark.parametrize("weak_x, other_x, filled", [
    (60.0, None, True),    # exactly at the search range from the end: linked
    (60.5, None, False),   # beyond it
    (55.0, 65.0, False),   # exactly at the search range from another live end too
    (55.0, 65.5, True),    # beyond the other end's reach
])
def test_the_search_range_bounds_a_fill_as_it_bounds_a_link(weak_x, other_x, filled):
    """A confirmed end at 50 (10 px search range); ``other_x``: another live end, unconfirmed."""
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, confirming=2)
    _confirmed_ends(linker, [[50.0, 50.0]])
    _confirmed_ends(linker, [[50.0, 50.0]] + ([[other_x, 50.0]] if other_x else []))
    keep, ids = linker.update(_scored([[weak_x, 50.0]], [0.2]))
    assert keep.tolist() == [filled] and ids.tolist() == ([0] if filled else [])


def test_a_track_missed_for_as_many_frames_as_the_memory_is_still_filled():
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=10.0, memory=2, confirming=1)
    _confirmed_ends(linker, [[50.0, 50.0]])
    for _ in range(2):
        linker.update(_scored(np.zeros((0, 2)), []))
    keep, ids = linker.update(_scored([[52.0, 50.0]], [0.2]))
    assert keep.tolist() == [True] and ids.tolist() == [0]


def test_the_assignment_takes_the_least_total_squared_displacement_and_prefers_links_at_equal_cost():
    ends = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    # linking the nearest pair first would give the point at 6 to the second end (4 < 6) and leave
    # the first end unlinked; the least total links both ends (6^2 + 4.5^2 < 4^2 + 10^2)
    points = np.array([[6.0, 0.0, 0.0], [14.5, 0.0, 0.0], [-4.0, 3.0, 0.0]])
    np.testing.assert_array_equal(assign(ends, points[:2], 10.0), [0, 1])
    assert assign(ends[:1], points[2:], 5.0).tolist() == [0]    # exactly at the search range
    assert assign(ends[:1], points[2:], 4.99).tolist() == [-1]
    assert assign(ends[:0], points, 10.0).tolist() == [-1] * 3
    for wrong in (float("nan"), 0.0, -1.0):
        with pytest.raises(ValueError, match="search range"):
            assign(ends, points, wrong)


def test_ended_tracks_are_forgotten_and_their_ids_never_reused():
    """A long movie of short-lived false detections: the linker keeps only the tracks within its
    memory (its work per frame does not grow with the movie), and every new track gets a new id."""
    linker = ConfirmingLinker(score_threshold=0.3, search_range_px=5.0, memory=2)
    ids = []
    for t in range(60):  # a new spot every frame, far from all earlier ones
        _, reported = linker.update(_scored([[10.0 + 20.0 * t, 50.0]], [0.9]))
        ids += reported.tolist()
    assert ids == list(range(60))
    assert len(linker._linker.live_ends()[0]) == 3 and len(linker._above) == 3  # this frame's and 2 remembered
