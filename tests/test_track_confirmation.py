"""``yoloxsp predict``'s confirmed tracks on real movies: detections under the model's score
threshold are reported only where they continue a confirmed track, and on a held-out one-channel
lawn movie (a look where long dim spindles are missed) they find spindles the model alone misses
without adding a false detection. Every detection the model reports alone stays as it was, and
no track of the model's alone is split."""
from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np
import pandas as pd
import pytest

from yoloxsp.analysis.tracks import CONFIRMING_DETECTIONS, TRACK_SCORE_THRESHOLD
from yoloxsp.errors import InputError
from yoloxsp.metrics.boxes import pairwise_iou

pytestmark = pytest.mark.core

BOX = ["frame", "x1", "y1", "x2", "y2"]


def _frame_ious(detections: pd.DataFrame, truth) -> Dict[int, np.ndarray]:
    """Per frame: IoU of each detection row (in table order) with each true spindle of the frame
    (in the truth's order)."""
    boxes: Dict[int, list] = {}
    for row in truth:
        boxes.setdefault(row.frame, []).append(row.spindle.box)
    return {frame: pairwise_iou(rows[["x1", "y1", "x2", "y2"]].to_numpy(float),
                                np.asarray(boxes.get(frame, []), float).reshape(-1, 4))
            for frame, rows in detections.groupby("frame", sort=False)}


def detection_hits(detections: pd.DataFrame, truth) -> np.ndarray:
    """Per row of ``detections``: does it overlap a true spindle of its frame (IoU >= 0.5)?"""
    hits = pd.Series(False, index=detections.index)
    for frame, iou in _frame_ious(detections, truth).items():
        hits[detections.index[detections["frame"] == frame]] = iou.max(axis=1) >= 0.5 if iou.size else False
    return hits.to_numpy(bool)


def spindles_found(detections: pd.DataFrame, truth) -> int:
    """True spindles some detection of their frame overlaps (IoU >= 0.5): any overlap counts, as
    these movies' spindles lie far apart and the question is whether one was reported at all."""
    ious, found, index = _frame_ious(detections, truth), 0, {}
    for row in truth:
        iou, column = ious.get(row.frame), index.get(row.frame, 0)
        found += bool(iou is not None and iou.size and iou[:, column].max() >= 0.5)
        index[row.frame] = column + 1
    return found


@pytest.fixture(scope="module")
def lawn_movie(tmp_path_factory):
    """A held-out 40-frame movie of one channel over a dense lawn (seed LOOK_SET_SEED + 1)."""
    from yoloxsp.model.backends import Predictor
    from yoloxsp.model.resolve import open_backend
    from yoloxsp.synth import read_truth, write_movie
    from yoloxsp.synth.looks import look_config
    from yoloxsp.synth.sets import LOOK_SET_SEED

    config = look_config("tubulin-only-lawn", LOOK_SET_SEED + 1, 40)
    movie = write_movie(tmp_path_factory.mktemp("lawn") / "movie", config)
    return movie / "stack.tif", read_truth(movie / "ground_truth.csv"), Predictor(open_backend("yoloxsp"))


def _analyse(lawn_movie, out: Path, threshold):
    from yoloxsp.movie import analyse_movie

    stack, _, predictor = lawn_movie
    return analyse_movie(stack, out, predictor, overlay="none", progress=False, track_threshold=threshold)


def test_confirmed_tracks_recover_spindles_the_model_alone_misses(lawn_movie, tmp_path):
    _, truth, predictor = lawn_movie
    threshold = predictor.config.decode.score_threshold
    alone = _analyse(lawn_movie, tmp_path / "alone", None).detections
    confirmed = _analyse(lawn_movie, tmp_path / "confirmed", TRACK_SCORE_THRESHOLD).detections

    above = confirmed[confirmed["score"] >= threshold]
    measured = [column for column in alone.columns if column != "track_id"]
    assert len(above) == len(alone)
    assert above[measured].sort_values(BOX).reset_index(drop=True).equals(
        alone[measured].sort_values(BOX).reset_index(drop=True))
    joined = above.merge(alone, on=measured, suffixes=("", "_alone"))
    assert len(joined) == len(alone)
    assert (joined.groupby("track_id_alone")["track_id"].nunique() == 1).all()  # no track of the model's split
    below = confirmed[confirmed["score"] < threshold]
    assert len(below) and (below["score"] >= TRACK_SCORE_THRESHOLD).all()
    for row in below.itertuples():  # each continues a track confirmed by earlier strong detections
        earlier = confirmed[(confirmed["track_id"] == row.track_id) & (confirmed["frame"] < row.frame)]
        assert (earlier["score"] >= threshold).sum() >= CONFIRMING_DETECTIONS
    first_seen = confirmed.drop_duplicates("track_id")["track_id"].tolist()
    assert first_seen == list(range(len(first_seen)))

    found_alone, found_confirmed = spindles_found(alone, truth), spindles_found(confirmed, truth)
    assert found_confirmed > found_alone < len(truth)
    assert (~detection_hits(confirmed, truth)).sum() == (~detection_hits(alone, truth)).sum()


def test_a_track_threshold_at_or_above_the_models_reports_the_models_detections_only(lawn_movie, tmp_path):
    alone = _analyse(lawn_movie, tmp_path / "alone", None).detections
    at_one = _analyse(lawn_movie, tmp_path / "one", 1.0).detections
    assert alone.equals(at_one)


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_a_track_threshold_outside_zero_to_one_is_refused(lawn_movie, tmp_path, bad):
    with pytest.raises(InputError, match="track score threshold"):
        _analyse(lawn_movie, tmp_path / "bad", bad)

