"""Score a detector on annotated frames: every metric ``yoloxsp eval`` and the trainer report, in one dict."""
from __future__ import annotations

import json
import math
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
from tqdm import tqdm

from ..data.records import FrameRecord, spindle_arrays
from ..io.images import read_image
from .boxes import box_metrics, detection_metrics
from .poles import pole_metrics
from .spindles import PixelSize, per_image, spindle_metrics


def metrics_json(metrics: Dict[str, float]) -> str:
    """One JSON object; NaN (nothing to measure) is written as ``null``, which JSON can represent."""
    return json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()})


def evaluate_records(detect: Callable[[List[np.ndarray], Optional[float]], list], records: Sequence[FrameRecord],
                     pixel_size: PixelSize = None, batch_size: int = 4,
                     progress: bool = True, tracking: bool = False) -> Dict[str, float]:
    """``detect`` maps a list of frames and their pixel size (um, or None) to
    :class:`~yoloxsp.model.Detections` (a Predictor does), so that frames are scored at the scale
    ``yoloxsp predict`` runs them at.

    Returns :func:`score_detections` of the detections, with ``tracking`` also the tracking metrics.
    """
    found, sizes = {}, per_image(pixel_size, len(records))
    for start in tqdm(range(0, len(records), batch_size), desc="evaluating", unit="batch", disable=not progress):
        batch = range(start, min(start + batch_size, len(records)))
        for size in dict.fromkeys(sizes[i] for i in batch):  # a batch may span movies of other pixel sizes
            run = [i for i in batch if sizes[i] == size]
            found.update(zip(run, detect([read_image(records[i].image_path) for i in run], size)))
    detections = [found[i] for i in range(len(records))]
    metrics = score_detections([d.boxes for d in detections], [d.scores for d in detections],
                               [d.poles for d in detections], records, pixel_size)
    if tracking:
        metrics.update(_tracking(records, detections, per_image(pixel_size, len(records))))
    return metrics


def score_detections(boxes: Sequence[np.ndarray], scores: Sequence[np.ndarray], poles: Sequence[np.ndarray],
                     records: Sequence[FrameRecord], pixel_size: PixelSize = None) -> Dict[str, float]:
    """Every accuracy figure of detections (per frame: boxes (N, 4), scores (N,), pole pairs
    (N, 2, 2), in the frame's pixels) against the records' annotations.

    The one scoring behind ``yoloxsp eval``, the model card and the trainer's evaluation (whose
    two evaluators report :func:`box_scores` and :func:`pole_scores`), plus the counts.
    """
    metrics = box_scores(boxes, scores, records)
    metrics.update(pole_scores(poles, records, pixel_size))
    metrics.update(n_images=len(records), n_spindles=sum(len(r.spindles) for r in records),
                   n_detections=sum(len(b) for b in boxes))
    return metrics


def box_scores(boxes: Sequence[np.ndarray], scores: Sequence[np.ndarray],
               records: Sequence[FrameRecord]) -> Dict[str, float]:
    """COCO box AP of the detections against the records' spindle boxes, and precision, recall,
    F1 and long-spindle recall of the reported detections at IoU 0.5."""
    arrays = [spindle_arrays(r) for r in records]
    truth = [boxes for boxes, _ in arrays]
    lengths = [np.linalg.norm(np.diff(pairs, axis=1).reshape(-1, 2), axis=1) for _, pairs in arrays]
    metrics = box_metrics(boxes, scores, truth)
    metrics.update(detection_metrics(boxes, truth, lengths))
    return metrics


def pole_scores(poles: Sequence[np.ndarray], records: Sequence[FrameRecord],
                pixel_size: PixelSize = None) -> Dict[str, float]:
    """Pole precision/recall/F1 at 1/2/3 px (and 0.1/0.2/0.3 um with a pixel size, one for all
    frames or one per frame), pole errors, the both-poles rate and spindle length errors."""
    true_pairs = [spindle_arrays(r)[1] for r in records]
    pred_pairs = [np.asarray(p, float).reshape(-1, 2, 2) for p in poles]
    metrics = pole_metrics([p.reshape(-1, 2) for p in pred_pairs], [t.reshape(-1, 2) for t in true_pairs])
    sizes = per_image(pixel_size, len(records))
    if all(size is not None for size in sizes):
        metrics.update(pole_metrics([p.reshape(-1, 2) * s for p, s in zip(pred_pairs, sizes)],
                                    [t.reshape(-1, 2) * s for t, s in zip(true_pairs, sizes)], (0.1, 0.2, 0.3),
                                    unit="um"))
    metrics.update(spindle_metrics(pred_pairs, true_pairs, pixel_size))
    return metrics


def _tracking(records: Sequence[FrameRecord], detections: list, sizes: list) -> Dict[str, float]:
    """MOTA and IDF1 over the tasks whose spindles carry track ids (a CVAT export of single images
    has none: nothing to score there, so no figure rather than a wrong one)."""
    from ..analysis.tracks import link_tracks, search_range_for
    from .tracking import tracking_metrics

    movies = []
    for task in dict.fromkeys(r.task for r in records):
        order = sorted((i for i, r in enumerate(records) if r.task == task), key=lambda i: records[i].frame)
        if any(s.track_id is None for i in order for s in records[i].spindles):
            continue
        ids = link_tracks([detections[i] for i in order], search_range_px=search_range_for(sizes[order[0]]))
        movies.append([([s.track_id for s in records[i].spindles], [s.box for s in records[i].spindles],
                        track, detections[i].boxes) for i, track in zip(order, ids)])
    return tracking_metrics(movies) if movies else {}
