"""COCO box AP for spindle detections, computed by pycocotools.

The CLI's ``yoloxsp eval`` uses this; the EasyCV trainer uses EasyCV's CocoDetectionEvaluator,
which wraps the same pycocotools code (a test checks both agree).
"""
from __future__ import annotations

import contextlib
import io
from typing import Dict, Sequence

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

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
