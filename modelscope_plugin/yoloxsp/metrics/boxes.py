"""Box metrics of spindle detections: COCO AP (pycocotools), and precision, recall and F1 of the
reported detections at IoU 0.5 -- what a biologist gets at the operating threshold -- with the
recall of long spindles on its own (long anaphase spindles are thin and dim: the hard case).

``yoloxsp eval``, the model card and the trainer's ``SpindleBoxEvaluator`` all score through
this; it agrees with EasyCV's own CocoDetectionEvaluator (a test checks it).
"""
from __future__ import annotations

import contextlib
import io
from typing import Dict, Sequence, Tuple

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from pycocotools.mask import iou as box_iou
from scipy.optimize import linear_sum_assignment

LONG_SPINDLE_PX = 25.0

# COCOeval.stats positions of the numbers reported.
STATS = {"bbox_AP": 0, "bbox_AP50": 1, "bbox_AP75": 2, "bbox_AP_small": 3, "bbox_AP_medium": 4}


def box_metrics(pred_boxes: Sequence[np.ndarray], pred_scores: Sequence[np.ndarray],
                truth_boxes: Sequence[np.ndarray]) -> Dict[str, float]:
    """Per image: predicted boxes (N, 4) x1y1x2y2 with scores (N,), true boxes (M, 4).

    AP values are -1 where COCO has nothing to score (e.g. no medium-sized spindles), and 0
    when there are true spindles but no predictions at all.
    """
    images, annotations, detections = [], [], []
    for image_id, (boxes, scores, truth) in enumerate(zip(pred_boxes, pred_scores, truth_boxes)):
        images.append({"id": image_id})
        for box in np.asarray(truth, float).reshape(-1, 4):
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": 1, "iscrowd": 0,
                                "bbox": _xywh(box), "area": float((box[2] - box[0]) * (box[3] - box[1]))})
        for box, score in zip(np.asarray(boxes, float).reshape(-1, 4), np.asarray(scores, float).ravel()):
            detections.append({"image_id": image_id, "category_id": 1, "bbox": _xywh(box), "score": float(score)})
    if not detections:
        return {key: (0.0 if annotations else -1.0) for key in STATS}
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        truth_api = COCO()
        truth_api.dataset = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "spindle"}]}
        truth_api.createIndex()
        evaluation = COCOeval(truth_api, truth_api.loadRes(detections), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return {key: float(evaluation.stats[i]) for key, i in STATS.items()}


def _xywh(box: np.ndarray) -> list:
    return [float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])]


def detection_metrics(pred_boxes: Sequence[np.ndarray], truth_boxes: Sequence[np.ndarray],
                      truth_lengths: Sequence[np.ndarray], iou_threshold: float = 0.5,
                      long_px: float = LONG_SPINDLE_PX) -> Dict[str, float]:
    """Precision, recall and F1 of the detections at ``iou_threshold`` (optimal one-to-one
    matching per image, scipy), and the recall of true spindles at least ``long_px`` long
    (pole to pole; NaN lengths count as short). NaN where there is nothing to divide by."""
    tp = n_pred = n_truth = long_found = n_long = 0
    for pred, truth, lengths in zip(pred_boxes, truth_boxes, truth_lengths):
        pred, truth = np.asarray(pred, float).reshape(-1, 4), np.asarray(truth, float).reshape(-1, 4)
        is_long = np.nan_to_num(np.asarray(lengths, float).reshape(-1), nan=0.0) >= long_px
        n_pred, n_truth, n_long = n_pred + len(pred), n_truth + len(truth), n_long + int(is_long.sum())
        if not len(pred) or not len(truth):
            continue
        _, matched = matched_pairs(pairwise_iou(pred, truth), iou_threshold)
        tp += len(matched)
        long_found += int(is_long[matched].sum())
    precision = tp / n_pred if n_pred else float("nan")
    recall = tp / n_truth if n_truth else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"det_precision@0.5": precision, "det_recall@0.5": recall, "det_F1@0.5": f1,
            "long_recall@0.5": long_found / n_long if n_long else float("nan"), "n_long_spindles": n_long}


def pairwise_iou(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """IoU of every predicted box (rows) with every true box (columns), both ``x1 y1 x2 y2``."""
    pred, truth = np.asarray(pred, float).reshape(-1, 4), np.asarray(truth, float).reshape(-1, 4)
    if not len(pred) or not len(truth):
        return np.zeros((len(pred), len(truth)))
    return np.asarray(box_iou(_xywh_array(pred), _xywh_array(truth), np.zeros(len(truth), np.uint8)))


def matched_pairs(iou: np.ndarray, iou_threshold: float) -> Tuple[np.ndarray, np.ndarray]:
    """Indices (predictions, truths) of the pairs matched one-to-one at IoU >= ``iou_threshold``
    (``iou``: predictions x truths). The matching maximises the number of such pairs, and among
    those the total IoU: maximising the total IoU first and cutting afterwards can trade two
    matches for one better-fitting pair."""
    if not iou.size:
        return np.zeros(0, int), np.zeros(0, int)
    eligible = iou >= iou_threshold
    tie_break = iou / (min(iou.shape) + 1)  # sums to < 1 over any matching: never outweighs one more pair
    rows, cols = linear_sum_assignment(-np.where(eligible, 1.0 + tie_break, 0.0))
    kept = eligible[rows, cols]
    return rows[kept], cols[kept]


def _xywh_array(boxes: np.ndarray) -> np.ndarray:
    """C-ordered, as pycocotools reads its buffers: a column-major array (what a pandas frame's
    ``to_numpy`` often gives) would be read as other boxes, without an error."""
    return np.ascontiguousarray(np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1))
