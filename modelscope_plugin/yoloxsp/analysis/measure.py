"""Per-spindle measurements and per-track summaries (the tables ``yoloxsp predict`` writes)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import numpy as np

from .ends import fit_spindle_ends, spb_channel
from .lengths import ridge_length, straight_length

if TYPE_CHECKING:  # the model (torch) is not needed to measure or draw
    from ..model.decode import Detections

DETECTION_COLUMNS = ["frame", "track_id", "score", "x1", "y1", "x2", "y2", "pole1_x", "pole1_y", "pole2_x", "pole2_y",
                     "pole1_sd_px", "pole2_sd_px", "poles_from", "length_px", "length_um"]
TRACK_COLUMNS = ["track_id", "first_frame", "last_frame", "n_frames", "max_length_px", "max_length_um",
                 "elongation_rate_um_per_min"]


LENGTH_METHODS = ("ridge", "straight")
END_METHODS = ("fit", "model")


@dataclass(frozen=True)
class Measured:
    """The spindles of one frame as measured: ``detections`` with their poles at the measured ends,
    per spindle its ``lengths`` (px, NaN when a pole is missing), the standard error of each end
    ``sd`` (N, 2; px, NaN where not fitted) and where its ends came from, ``sources``
    (``spb``, ``tubulin`` or ``model``; see :mod:`yoloxsp.analysis.ends`)."""

    detections: Detections
    lengths: np.ndarray
    sd: np.ndarray
    sources: List[str]

    def select(self, keep: np.ndarray) -> "Measured":
        """The spindles ``keep`` (a boolean mask or indices) picks, in that order."""
        return Measured(self.detections.select(keep), self.lengths[keep], self.sd[keep],
                        [self.sources[i] for i in np.arange(len(self.sources))[keep]])


def measure_spindles(frame: np.ndarray, detections: Detections, length: str = "ridge", ends: str = "fit"
                     ) -> Measured:
    """Ends and lengths of the spindles ``detections`` found in ``frame`` (8-bit RGB as the model saw
    it: tubulin in red, the SPB marker, if any, in green).

    ``ends``: ``fit`` (default) fits each end on the pixels (:func:`yoloxsp.analysis.ends.fit_spindle_ends`);
    ``model`` keeps the network's poles. ``length``: ``ridge`` (default) follows the tubulin ridge
    between the ends; ``straight`` is the end-to-end distance.
    """
    if length not in LENGTH_METHODS:
        raise ValueError(f"unknown length method {length!r}; choose one of {LENGTH_METHODS}")
    if ends not in END_METHODS:
        raise ValueError(f"unknown end method {ends!r}; choose one of {END_METHODS}")
    frame = np.asarray(frame)
    tubulin = frame[..., 0] if frame.ndim == 3 else frame
    n = len(detections)
    spb = spb_channel(frame) if n else None
    poles, sd, sources = np.array(detections.poles, float).reshape(n, 2, 2), np.full((n, 2), np.nan), ["model"] * n
    lengths = np.full(n, np.nan)
    for i in range(n):
        if ends == "fit":  # the fit measures the ridge length between the ends it places
            fitted = fit_spindle_ends(tubulin, poles[i], spb)
            poles[i], sd[i], sources[i], lengths[i] = fitted.ends, fitted.sd, fitted.source, fitted.length
        if length == "straight":
            lengths[i] = straight_length(poles[i])
        elif ends == "model":
            lengths[i] = ridge_length(tubulin, poles[i])
    return Measured(replace(detections, poles=poles), lengths, sd, sources)


def detection_rows(frame: int, measured: Measured, track_ids: Sequence[int], pixel_size: Optional[float]
                   ) -> List[Dict[str, float]]:
    rows = []
    detections = measured.detections
    for box, score, poles, sd, source, length, track in zip(detections.boxes, detections.scores, detections.poles,
                                                             measured.sd, measured.sources, measured.lengths,
                                                             track_ids):
        rows.append({"frame": frame, "track_id": int(track), "score": float(score),
                     "x1": box[0], "y1": box[1], "x2": box[2], "y2": box[3],
                     "pole1_x": poles[0, 0], "pole1_y": poles[0, 1], "pole2_x": poles[1, 0], "pole2_y": poles[1, 1],
                     "pole1_sd_px": sd[0], "pole2_sd_px": sd[1], "poles_from": source,
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
