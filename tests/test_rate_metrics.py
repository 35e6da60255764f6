"""Scoring the numbers biologists publish (yoloxsp.metrics.rates): tracks' anaphase B rates and
plateau lengths against the phase fit of the annotated lengths, on a generated movie."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from yoloxsp.data import read_cvat
from yoloxsp.metrics.rates import followed_tracks, phase_errors, phase_scores, true_phases
from yoloxsp.analysis.measure import track_rows
from yoloxsp.analysis.phases import with_phases
from yoloxsp.export.tables import detections_table
from yoloxsp.synth import SynthConfig, write_movie

pytestmark = pytest.mark.core

PIXEL = 0.1


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """A movie long enough for its spindles' anaphase B (two tracks)."""
    config = SynthConfig(width=256, height=256, frames=60, seed=3, pixel_size=PIXEL, spindles=2, frame_interval=45.0)
    return read_cvat(write_movie(tmp_path_factory.mktemp("movie"), config)).records


def tables_from(records, scale: float = 1.0, ids: int = 100):
    """detections and tracks tables of a perfect tracker whose lengths are ``scale`` times the truth."""
    rows = []
    for record in records:
        for spindle in record.spindles:
            (x1, y1, x2, y2), poles = spindle.box, np.array(spindle.poles)
            length = scale * float(np.linalg.norm(poles[1] - poles[0]))
            rows.append({"frame": record.frame, "track_id": ids + spindle.track_id, "score": 1.0, "x1": x1, "y1": y1,
                         "x2": x2, "y2": y2, "pole1_x": poles[0, 0], "pole1_y": poles[0, 1], "pole2_x": poles[1, 0],
                         "pole2_y": poles[1, 1], "pole1_sd_px": math.nan, "pole2_sd_px": math.nan,
                         "poles_from": "model", "length_px": length, "length_um": length * PIXEL})
    tracks = with_phases(track_rows(rows, 45.0), rows, len(records), PIXEL, 45.0)
    return detections_table(rows), pd.DataFrame(tracks)


def test_the_truth_scores_no_error_and_shorter_lengths_score_their_share(records):
    truth = true_phases(records, PIXEL)
    assert any(math.isfinite(t["anaphase_b_rate"]) for t in truth.values())
    detections, tracks = tables_from(records)
    assert followed_tracks(detections, records) == {100 + track: track for track in truth}
    exact = phase_errors(detections, tracks, records, PIXEL)
    assert exact["anaphase_b_rate"] and max(abs(e) for e in exact["anaphase_b_rate"]) < 1e-6
    short = phase_scores([phase_errors(*tables_from(records, 0.8), records, PIXEL)])
    assert short["anaphase_b_rate_median_bias"] == pytest.approx(-0.2, abs=0.02)
    assert short["plateau_length_median_rel_error"] == pytest.approx(0.2, abs=0.02)
    assert short["n_anaphase_b_rates"] == len(exact["anaphase_b_rate"])


def test_a_track_that_follows_no_spindle_is_not_scored(records):
    detections, tracks = tables_from(records)
    detections[["x1", "x2"]] += 1000.0  # boxes nowhere near the spindles
    assert followed_tracks(detections, records) == {}
    assert phase_scores([phase_errors(detections, tracks, records, PIXEL)])["n_anaphase_b_rates"] == 0
