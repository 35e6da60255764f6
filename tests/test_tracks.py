"""Online track linking gives the ids trackpy's whole-movie linking gives."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import trackpy

from yoloxsp.model.decode import Detections
from yoloxsp.post.tracks import LINK_OPTIONS, TrackLinker, link_tracks

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
    linked = trackpy.link(table, search_range=search_range, memory=memory, **LINK_OPTIONS)
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
    """A noisy 300x310 field full of detections: trackpy alone raises SubnetOversizeException from
    about 300 points a frame at a 12 px search range; every detection still gets exactly one id."""
    rng = np.random.default_rng(per_frame)
    movie = [rng.uniform(0, 300, (per_frame, 2)) for _ in range(5)]
    ids = link_tracks([_frame(c) for c in movie], search_range_px=12.0, memory=2)
    assert [len(i) for i in ids] == [per_frame] * 5
    assert all(len(set(i.tolist())) == per_frame for i in ids)  # no two detections of a frame share an id
    assert max(max(i) for i in ids) < 5 * per_frame


def test_without_adaptive_search_trackpy_refuses_the_same_dense_frames():
    """The failure the adaptive search avoids (if trackpy ever stops raising, this test says so)."""
    rng = np.random.default_rng(1000)
    linker = trackpy.linking.Linker(12.0, memory=2)
    linker.init_level(rng.uniform(0, 300, (1000, 2)), 0)
    with pytest.raises(trackpy.SubnetOversizeException):
        linker.next_level(rng.uniform(0, 300, (1000, 2)), 1)
