"""Detection precision/recall at IoU 0.5: the one-to-one matching, hand-computed cases."""
from __future__ import annotations

import numpy as np
import pytest

from yoloxsp.metrics.boxes import detection_metrics, matched_pairs, pairwise_iou

pytestmark = pytest.mark.core


def test_matching_maximises_pairs_above_threshold_not_total_iou():
    # prediction 0 fits truth 0 best (0.95) but then prediction 1 only reaches truth 1 at 0.45;
    # pairing 0-1 and 1-0 (0.5 each) gives two matches at the threshold
    iou = np.array([[0.95, 0.5], [0.5, 0.45]])
    predictions, truths = matched_pairs(iou, 0.5)
    assert sorted(zip(predictions.tolist(), truths.tolist())) == [(0, 1), (1, 0)]


def test_matching_prefers_higher_iou_among_equal_counts():
    iou = np.array([[0.6, 0.0], [0.9, 0.0]])
    predictions, truths = matched_pairs(iou, 0.5)
    assert predictions.tolist() == [1] and truths.tolist() == [0]


def test_pairwise_iou_of_corner_boxes_and_empty_sets():
    iou = pairwise_iou(np.array([[0, 0, 10, 10]]), np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]]))
    np.testing.assert_allclose(iou, [[1.0, 50 / 150, 0.0]])
    assert pairwise_iou(np.zeros((0, 4)), np.array([[0, 0, 1, 1]])).shape == (0, 1)
    assert [len(side) for side in matched_pairs(np.zeros((0, 1)), 0.5)] == [0, 0]


def test_detection_metrics_counts_and_long_recall():
    truth = [np.array([[0, 0, 10, 10], [20, 20, 60, 30]], float), np.zeros((0, 4))]
    lengths = [np.array([8.0, 40.0]), np.zeros(0)]
    pred = [np.array([[0, 0, 10, 11], [100, 100, 110, 110]], float), np.array([[5, 5, 15, 15]], float)]
    metrics = detection_metrics(pred, truth, lengths)
    assert metrics["det_precision@0.5"] == pytest.approx(1 / 3)
    assert metrics["det_recall@0.5"] == pytest.approx(1 / 2)
    assert metrics["det_F1@0.5"] == pytest.approx(0.4)
    assert metrics["long_recall@0.5"] == 0.0 and metrics["n_long_spindles"] == 1


def test_pairwise_iou_reads_column_major_boxes_as_the_same_boxes():
    """A pandas frame's ``to_numpy()`` of several columns is often column-major; pycocotools reads
    raw buffers, so such an array once gave the IoU of other boxes."""
    boxes = np.array([[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 40.0], [5.0, 0.0, 15.0, 10.0]])
    expected = pairwise_iou(boxes, boxes)
    np.testing.assert_allclose(np.diag(expected), 1.0)
    for pred, truth in ((np.asfortranarray(boxes), boxes), (boxes, np.asfortranarray(boxes))):
        np.testing.assert_allclose(pairwise_iou(pred, truth), expected)
