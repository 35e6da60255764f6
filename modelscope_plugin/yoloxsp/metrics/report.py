"""Score a detector on annotated frames: every metric ``yoloxsp eval`` reports, in one dict."""
from __future__ import annotations

import json
import math
from typing import Callable, Dict, List, Sequence

import numpy as np
from tqdm import tqdm

from ..data.records import FrameRecord
from ..io.images import read_image
from .boxes import box_metrics
from .poles import pole_metrics
from .spindles import PixelSize, per_image, spindle_metrics


def metrics_json(metrics: Dict[str, float]) -> str:
    """One JSON object; NaN (nothing to measure) is written as ``null``, which JSON can represent."""
    return json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()})


def truth_poles(record: FrameRecord) -> np.ndarray:
    """(N, 2, 2) pole pairs of a frame's spindles, NaN where a spindle's poles are unannotated."""
    return np.array([s.poles if s.poles else np.full((2, 2), np.nan) for s in record.spindles],
                    float).reshape(-1, 2, 2)


def evaluate_records(detect: Callable[[List[np.ndarray]], list], records: Sequence[FrameRecord],
                     pixel_size: PixelSize = None, batch_size: int = 4,
                     progress: bool = True, tracking: bool = False) -> Dict[str, float]:
    """``detect`` maps a list of frames to :class:`~yoloxsp.model.Detections` (a Predictor does).

    Returns box AP (COCO), pole precision/recall/F1 at 1/2/3 px (and 0.1/0.2/0.3 um with a pixel
    size; one for all frames or one per frame), pole errors, the both-poles rate, spindle length errors, and the counts.
    """
    detections = []
    for start in tqdm(range(0, len(records), batch_size), desc="evaluating", unit="batch", disable=not progress):
        detections += detect([read_image(r.image_path) for r in records[start:start + batch_size]])
    truth_boxes = [np.array([s.box for s in r.spindles], float).reshape(-1, 4) for r in records]
    true_pairs = [truth_poles(r) for r in records]
    pred_pairs = [d.poles.reshape(-1, 2, 2) for d in detections]
    metrics = box_metrics([d.boxes for d in detections], [d.scores for d in detections], truth_boxes)
    metrics.update(pole_metrics([p.reshape(-1, 2) for p in pred_pairs], [t.reshape(-1, 2) for t in true_pairs]))
    sizes = per_image(pixel_size, len(records))
    if all(size is not None for size in sizes):
        metrics.update(pole_metrics([p.reshape(-1, 2) * s for p, s in zip(pred_pairs, sizes)],
                                    [t.reshape(-1, 2) * s for t, s in zip(true_pairs, sizes)], (0.1, 0.2, 0.3),
                                    unit="um"))
    metrics.update(spindle_metrics(pred_pairs, true_pairs, pixel_size))
    if tracking:
        metrics.update(_tracking(records, detections, sizes))
    metrics.update(n_images=len(records), n_spindles=sum(len(r.spindles) for r in records),
                   n_detections=sum(len(d) for d in detections))
    return metrics


def _tracking(records: Sequence[FrameRecord], detections: list, sizes: list) -> Dict[str, float]:
    from ..post.tracks import link_tracks, search_range_for
    from .tracking import tracking_metrics

    movies = []
    for task in dict.fromkeys(r.task for r in records):
        order = sorted((i for i, r in enumerate(records) if r.task == task), key=lambda i: records[i].frame)
        ids = link_tracks([detections[i] for i in order], search_range_px=search_range_for(sizes[order[0]]))
        movies.append([([s.track_id for s in records[i].spindles], [s.box for s in records[i].spindles],
                        track, detections[i].boxes) for i, track in zip(order, ids)])
    return tracking_metrics(movies)
