"""Multi-object tracking scores (py-motmetrics): MOTA and IDF1 with IoU >= 0.5 matching."""
from __future__ import annotations

from typing import Dict, Sequence

import motmetrics
import numpy as np


def tracking_metrics(movies: Sequence[Sequence[tuple]]) -> Dict[str, float]:
    """``movies``: per movie, per frame ``(true_ids, true_boxes, pred_ids, pred_boxes)`` with
    boxes (N, 4) x1y1x2y2. Scores all movies together (motmetrics' overall row)."""
    accumulators = []
    for frames in movies:
        accumulator = motmetrics.MOTAccumulator(auto_id=True)
        for true_ids, true_boxes, pred_ids, pred_boxes in frames:
            distances = motmetrics.distances.iou_matrix(_xywh(true_boxes), _xywh(pred_boxes), max_iou=0.5)
            accumulator.update(list(true_ids), list(pred_ids), distances)
        accumulators.append(accumulator)
    summary = motmetrics.metrics.create().compute_many(accumulators, metrics=["mota", "idf1", "num_switches"],
                                                       generate_overall=True)
    overall = summary.loc["OVERALL"]
    return {"MOTA": float(overall["mota"]), "IDF1": float(overall["idf1"]),
            "id_switches": int(overall["num_switches"])}


def _xywh(boxes) -> np.ndarray:
    boxes = np.asarray(boxes, float).reshape(-1, 4)
    return np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]])
