"""PolePointEvaluator through EasyCV's registry, hand-computed cases."""
from __future__ import annotations

import numpy as np
import pytest
from easycv.core.evaluation.builder import build_evaluator

import yoloxsp.integrations.easycv  # noqa: F401  (registers the evaluator)

pytestmark = pytest.mark.easycv

# Two images: a 30 px spindle (3 um at 0.1 um/px) and a 10 px one (1 um, too short for length scores).
TRUTH = [np.array([[[10.0, 10.0], [40.0, 10.0]]]), np.array([[[50.0, 50.0], [50.0, 60.0]]])]


def _evaluate(preds, pixel_size=None, truths=TRUTH):
    evaluator = build_evaluator(dict(type="PolePointEvaluator", pixel_size=pixel_size))[0]
    return evaluator.evaluate({"detection_poles": preds, "img_metas": [{} for _ in preds]},
                              {"groundtruth_poles": truths})


def test_perfect_predictions():
    m = _evaluate(TRUTH, pixel_size=0.1)
    assert m["pole_F1@1px"] == m["pole_F1@2px"] == m["pole_F1@3px"] == 1.0
    assert m["pole_F1@0.1um"] == 1.0 and m["both_poles_rate"] == 1.0
    assert m["length_median_abs_error_um"] == 0.0 and m["length_median_rel_error"] == 0.0


def test_shift_of_2_5_px_misses_at_2_hits_at_3_and_loses_the_spindle():
    shifted = [TRUTH[0] + np.array([[[0.0, 0.0], [2.5, 0.0]]]), TRUTH[1]]
    m = _evaluate(shifted, pixel_size=0.1)
    assert m["pole_recall@2px"] == pytest.approx(3 / 4) and m["pole_F1@3px"] == 1.0
    assert m["pole_F1@0.2um"] < 1.0 and m["pole_F1@0.3um"] == 1.0
    assert m["both_poles_rate"] == pytest.approx(1 / 2)


def test_duplicates_count_once():
    doubled = [np.concatenate([TRUTH[0], TRUTH[0] + 0.1]), TRUTH[1]]
    m = _evaluate(doubled)
    assert m["pole_recall@1px"] == 1.0 and m["pole_precision@1px"] == pytest.approx(4 / 6)
    assert m["both_poles_rate"] == 1.0


def test_empty_predictions():
    m = _evaluate([np.zeros((0, 2, 2)), np.zeros((0, 2, 2))], pixel_size=0.1)
    assert m["pole_F1@2px"] == 0.0 and m["both_poles_rate"] == 0.0
    assert np.isnan(m["length_median_abs_error_um"])


def test_length_error_only_for_spindles_longer_than_2_um():
    longer = [np.array([[[10.0, 10.0], [41.0, 10.0]]]), np.array([[[50.0, 50.0], [50.0, 61.5]]])]
    m = _evaluate(longer, pixel_size=0.1)
    assert m["length_median_abs_error_um"] == pytest.approx(0.1)      # 31 px vs 30 px; the 1 um one is ignored
    assert m["length_median_rel_error"] == pytest.approx(1 / 30)


def test_pixel_size_from_image_metadata_and_missing_pole():
    evaluator = build_evaluator(dict(type="PolePointEvaluator"))[0]
    one_pole = [np.array([[[10.0, 10.0], [np.nan, np.nan]]]), TRUTH[1]]
    m = evaluator.evaluate({"detection_poles": one_pole, "img_metas": [{"pixel_size": 0.1}] * 2},
                           {"groundtruth_poles": TRUTH})
    assert m["pole_recall@1px"] == pytest.approx(3 / 4) and m["pole_precision@1px"] == 1.0
    assert m["both_poles_rate"] == pytest.approx(1 / 2) and "pole_F1@0.1um" in m
