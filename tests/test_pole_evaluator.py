"""yoloxsp's evaluators through EasyCV's registry: hand-computed cases, and the same figures as
the scoring ``yoloxsp eval`` uses."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from easycv.core.evaluation.builder import build_evaluator

import yoloxsp.integrations.easycv  # noqa: F401  (registers the evaluators)
from yoloxsp.data import FrameRecord, Spindle
from yoloxsp.metrics import score_detections

pytestmark = pytest.mark.easycv

# Two images: a 30 px spindle (3 um at 0.1 um/px) and a 10 px one (1 um, too short for length scores).
TRUTH = [np.array([[[10.0, 10.0], [40.0, 10.0]]]), np.array([[[50.0, 50.0], [50.0, 60.0]]])]


def _records(truths=TRUTH):
    def spindle(pair):
        (x1, y1), (x2, y2) = pair.min(axis=0) - 2, pair.max(axis=0) + 2
        return Spindle((x1, y1, x2, y2), tuple(map(tuple, pair)))
    return [FrameRecord(Path(f"f{i}.png"), 128, 128, i, [spindle(p) for p in pairs]) for i, pairs in enumerate(truths)]


def _evaluate(preds, pixel_size=None, truths=TRUTH):
    evaluator = build_evaluator(dict(type="PolePointEvaluator", pixel_size=pixel_size))[0]
    return evaluator.evaluate({"detection_poles": preds}, {"records": _records(truths), "pixel_sizes": None})


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


def test_per_frame_pixel_sizes_and_missing_pole():
    evaluator = build_evaluator(dict(type="PolePointEvaluator"))[0]
    one_pole = [np.array([[[10.0, 10.0], [np.nan, np.nan]]]), TRUTH[1]]
    m = evaluator.evaluate({"detection_poles": one_pole}, {"records": _records(), "pixel_sizes": [0.1, 0.2]})
    assert m["pole_recall@1px"] == pytest.approx(3 / 4) and m["pole_precision@1px"] == 1.0
    assert m["both_poles_rate"] == pytest.approx(1 / 2) and "pole_F1@0.1um" in m


def test_the_two_evaluators_report_exactly_what_eval_reports():
    rng = np.random.default_rng(5)
    poles = [t + rng.normal(0, 1.5, t.shape) for t in TRUTH]
    boxes = [np.concatenate([p.min(axis=1) - 2, p.max(axis=1) + 2], axis=1) for p in poles]
    scores = [rng.uniform(0.3, 1, len(b)) for b in boxes]
    predictions = {"detection_boxes": boxes, "detection_scores": scores, "detection_poles": poles}
    truth = {"records": _records(), "pixel_sizes": [0.1, 0.1]}
    reported = {}
    for name in ("SpindleBoxEvaluator", "PolePointEvaluator"):
        reported.update(build_evaluator(dict(type=name))[0].evaluate(predictions, truth))
    expected = score_detections(boxes, scores, poles, _records(), 0.1)
    assert 0 < reported["bbox_AP"] < 1 and 0 < reported["pole_F1@1px"] < 1  # not saturated
    counts = ("n_images", "n_spindles", "n_detections")  # what only the whole-set report adds
    expected = {k: v for k, v in expected.items() if k not in counts}
    assert {k: reported[k] for k in expected} == pytest.approx(expected, nan_ok=True)
    # EasyCV adds only its best-metric aliases ("<Evaluator>_<metric>").
    assert all(k.split("_", 1)[0].endswith("Evaluator") for k in set(reported) - set(expected))
