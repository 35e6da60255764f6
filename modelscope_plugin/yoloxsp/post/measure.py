"""Per-spindle measurements and per-track summaries (the tables ``yoloxsp predict`` writes)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import numpy as np

from .lengths import ridge_length, straight_length

if TYPE_CHECKING:  # the model (torch) is not needed to measure or draw
    from ..model.decode import Detections

DETECTION_COLUMNS = ["frame", "track_id", "score", "x1", "y1", "x2", "y2", "pole1_x", "pole1_y", "pole2_x", "pole2_y",
                     "length_px", "length_um"]
TRACK_COLUMNS = ["track_id", "first_frame", "last_frame", "n_frames", "max_length_px", "max_length_um",
                 "elongation_rate_um_per_min"]


LENGTH_METHODS = ("ridge", "straight")


def spindle_lengths(frame: np.ndarray, detections: Detections, method: str = "ridge") -> np.ndarray:
    """Length per spindle in px (NaN when a pole is missing). ``ridge`` (default) follows the
    tubulin ridge (channel 0 of ``frame``); ``straight`` is the pole-to-pole distance. Measured
    against synthetic ground truth, ridge is the more accurate (README, tools/compare_lengths.py)."""
    if method == "straight":
        return np.array([straight_length(p) for p in detections.poles])
    if method != "ridge":
        raise ValueError(f"unknown length method {method!r}; choose one of {LENGTH_METHODS}")
    tubulin = np.asarray(frame)[..., 0] if np.asarray(frame).ndim == 3 else np.asarray(frame)
    return np.array([ridge_length(tubulin, p) for p in detections.poles])


def detection_rows(frame: int, detections: Detections, track_ids: Sequence[int], pixel_size: Optional[float],
                   lengths: np.ndarray) -> List[Dict[str, float]]:
    rows = []
    for box, score, poles, length, track in zip(detections.boxes, detections.scores, detections.poles, lengths,
                                                track_ids):
        rows.append({"frame": frame, "track_id": int(track), "score": float(score),
                     "x1": box[0], "y1": box[1], "x2": box[2], "y2": box[3],
                     "pole1_x": poles[0, 0], "pole1_y": poles[0, 1], "pole2_x": poles[1, 0], "pole2_y": poles[1, 1],
                     "length_px": length, "length_um": length * pixel_size if pixel_size else float("nan")})
    return rows


def track_rows(detections: List[Dict[str, float]], frame_interval: Optional[float]) -> List[Dict[str, float]]:
    """One summary per track. The elongation rate is the least-squares slope of length (um) over
    time (min) across the track's frames with both poles (NaN without pixel size or interval,
    or with fewer than two measured frames)."""
    rows = []
    for track in sorted({d["track_id"] for d in detections}):
        mine = [d for d in detections if d["track_id"] == track]
        frames = np.array([d["frame"] for d in mine], float)
        px = np.array([d["length_px"] for d in mine], float)
        um = np.array([d["length_um"] for d in mine], float)
        rate = float("nan")
        measured = np.isfinite(um)
        if frame_interval and measured.sum() >= 2 and np.ptp(frames[measured]) > 0:
            rate = float(np.polyfit(frames[measured] * frame_interval / 60.0, um[measured], 1)[0])
        rows.append({"track_id": track, "first_frame": int(frames.min()), "last_frame": int(frames.max()),
                     "n_frames": len(mine), "max_length_px": float(np.nanmax(px)) if np.isfinite(px).any() else np.nan,
                     "max_length_um": float(np.nanmax(um)) if np.isfinite(um).any() else np.nan,
                     "elongation_rate_um_per_min": rate})
    return rows
