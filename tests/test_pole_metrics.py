"""Pole metric, hand-computed cases."""
from __future__ import annotations

import numpy as np
import pytest

from yoloxsp.metrics import match_points, pole_metrics

pytestmark = pytest.mark.core

TRUTH = [np.array([[10.0, 10.0], [30.0, 12.0]]), np.array([[50.0, 50.0], [60.0, 70.0]])]


def test_perfect_predictions_score_one():
    m = pole_metrics(TRUTH, TRUTH)
    for t in (1, 2, 3):
        assert m[f"pole_precision@{t}px"] == m[f"pole_recall@{t}px"] == m[f"pole_F1@{t}px"] == 1.0
    assert m["pole_median_error_px"] == 0.0 and m["pole_mean_error_px"] == 0.0


def test_a_pole_shifted_by_2_5_px_misses_at_2_and_hits_at_3():
    pred = [TRUTH[0] + np.array([[2.5, 0.0], [0.0, 0.0]]), TRUTH[1]]
    m = pole_metrics(pred, TRUTH)
    assert m["pole_recall@2px"] == pytest.approx(3 / 4) and m["pole_precision@2px"] == pytest.approx(3 / 4)
    assert m["pole_F1@3px"] == 1.0
    assert m["pole_median_error_px"] == 0.0 and m["pole_mean_error_px"] == pytest.approx(2.5 / 4)


def test_duplicates_count_once():
    pred = [np.array([[10.0, 10.0], [10.2, 10.0], [30.0, 12.0]]), TRUTH[1]]
    m = pole_metrics(pred, TRUTH)
    assert m["pole_recall@1px"] == 1.0
    assert m["pole_precision@1px"] == pytest.approx(4 / 5)


def test_empty_predictions_and_missing_poles():
    m = pole_metrics([np.zeros((0, 2)), np.full((2, 2), np.nan)], TRUTH)
    assert m["pole_recall@2px"] == 0.0 and m["pole_precision@2px"] == 0.0 and m["pole_F1@2px"] == 0.0
    assert np.isnan(m["pole_median_error_px"])
    assert pole_metrics([np.zeros((0, 2))], [np.zeros((0, 2))])["pole_F1@2px"] == 1.0


def test_matching_is_globally_optimal_not_greedy():
    # Greedy nearest-first would pair pred 0 with truth 1 (distance 1) and leave truth 0 unmatched
    # within 2.5 px; the optimal assignment matches both.
    pred = np.array([[0.0, 0.0], [3.0, 0.0]])
    truth = np.array([[-2.0, 0.0], [1.0, 0.0]])
    matches = match_points(pred, truth, 2.5)
    assert sorted((i, j) for i, j, _ in matches) == [(0, 0), (1, 1)]
