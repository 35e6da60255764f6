"""What biologists publish from a movie, scored: each track's anaphase B rate and plateau length
against the same phase fit run on the annotated lengths of the spindle it follows.

A predicted track follows the annotated spindle whose box it overlaps (IoU >= 0.5) in most of its
frames. The reference is :func:`yoloxsp.analysis.phases.fit_phases` on that spindle's annotated
end-to-end lengths over the movie (pixels and frames, so no calibration is needed); a track is
scored where both fits find the quantity. Errors are relative: ``(found - true) / true``.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
import pandas as pd

from ..data.records import FrameRecord
from ..analysis.phases import MAX_PLATEAU_UM, fit_phases
from .boxes import matched_pairs, pairwise_iou

QUANTITIES = {"anaphase_b_rate": "anaphase_b_rate_px_per_frame", "plateau_length": "plateau_length_px"}


def true_phases(records: Sequence[FrameRecord], pixel_size: Optional[float] = None) -> Dict[int, Dict[str, float]]:
    """Per annotated track of one movie: its anaphase B rate (px/frame) and plateau length (px),
    NaN where the fit finds none; fitted as ``predict`` fits a track (``pixel_size`` bounds the
    plateau a formation may rise to)."""
    frames, lengths = defaultdict(list), defaultdict(list)
    for record in records:
        for spindle in record.spindles:
            if spindle.track_id is not None and spindle.poles is not None:
                frames[spindle.track_id].append(record.frame)
                lengths[spindle.track_id].append(float(np.linalg.norm(np.subtract(*spindle.poles))))
    first, last = min(r.frame for r in records), max(r.frame for r in records)
    max_plateau = MAX_PLATEAU_UM / pixel_size if pixel_size else math.inf
    out = {}
    for track in frames:
        fit = fit_phases(frames[track], lengths[track], first, last, max_plateau)
        out[track] = {"anaphase_b_rate": fit.anaphase_rate, "plateau_length": fit.plateau_length}
    return out


def followed_tracks(detections: pd.DataFrame, records: Sequence[FrameRecord]) -> Dict[int, int]:
    """Which annotated track each predicted track follows (most frames matched at IoU >= 0.5)."""
    votes: Dict[int, Counter] = defaultdict(Counter)
    by_frame = {record.frame: record for record in records}
    for frame, rows in detections.groupby("frame"):
        record = by_frame.get(int(frame))
        if record is None or not record.spindles:
            continue
        truth = np.array([s.box for s in record.spindles], float)
        iou = pairwise_iou(rows[["x1", "y1", "x2", "y2"]].to_numpy(float), truth)
        for r, c in zip(*matched_pairs(iou, 0.5)):
            if record.spindles[c].track_id is not None:
                votes[int(rows.track_id.iloc[r])][record.spindles[c].track_id] += 1
    return {track: counts.most_common(1)[0][0] for track, counts in votes.items()}


def phase_errors(detections: pd.DataFrame, tracks: pd.DataFrame, records: Sequence[FrameRecord],
                 pixel_size: Optional[float] = None) -> Dict[str, List[float]]:
    """Relative errors of each predicted track's anaphase B rate and plateau length in one movie."""
    truth, follows = true_phases(records, pixel_size), followed_tracks(detections, records)
    errors: Dict[str, List[float]] = {name: [] for name in QUANTITIES}
    for row in tracks.itertuples():
        reference = truth.get(follows.get(int(row.track_id), -1))
        if reference is None:
            continue
        for name, column in QUANTITIES.items():
            found, true = float(getattr(row, column)), reference[name]
            if math.isfinite(found) and math.isfinite(true) and true > 0:
                errors[name].append(found / true - 1.0)
    return errors


def phase_scores(errors: Sequence[Dict[str, List[float]]]) -> Dict[str, float]:
    """Median absolute and median signed relative error of each quantity over the movies' tracks,
    and how many tracks were scored."""
    out: Dict[str, float] = {}
    for name in QUANTITIES:
        values = np.array([e for movie in errors for e in movie[name]], float)
        out[f"{name}_median_rel_error"] = float(np.median(np.abs(values))) if len(values) else math.nan
        out[f"{name}_median_bias"] = float(np.median(values)) if len(values) else math.nan
        out[f"n_{name}s"] = len(values)
    return out
