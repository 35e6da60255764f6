"""The three mitotic phases of one spindle track from its length over time.

A fission-yeast spindle forms (phase 1: length rises quickly to ~2.5-3 um), holds a constant length
(phase 2), then elongates in anaphase B (phase 3) until it breaks down. The model is therefore a
continuous piecewise-linear curve: a rising line, a flat plateau, a rising line, joined at two
breakpoints. A track may show only part of it (a movie that starts during the plateau, a spindle
that has not reached anaphase when the movie ends), so the four sub-models (plateau alone, with
formation, with elongation, with both) are all fitted and the one with the best Bayesian
information criterion wins: a breakpoint and a slope are added only when the data pay for them.

For fixed breakpoints the model is linear, so breakpoints are found by an exhaustive grid, refined
twice around the best cell, instead of a local optimiser that could stop in a wrong basin. Missed
frames are simply absent time points. Outlying lengths (a pole found on the wrong dot, a ridge
that took a shortcut) are down-weighted by iteratively reweighted least squares with Huber
weights, with the noise scale from the median absolute deviation of the residuals.

Durations are reported only for phases whose both ends were seen: formation needs the track to
start after the first movie frame, anaphase B needs it to end before the last one (breakdown seen).
A track that begins in anaphase B gets its anaphase B rate but no onset and no plateau length:
neither was seen, and the length at its start would otherwise enter the plateau statistics of a
batch. A fifth sub-model, a rising line without breakpoint, stands for it in the BIC comparison
(with noise, an onset a few frames into such a track lowers the squared error a little, and only
the breakpoint's price keeps it out); an onset with no length more than half a time step before it
is not reported either.

Formation and anaphase B are both rising lines, so a track that begins during anaphase B and
ends at the spindle's full length fits "formation, then plateau" as well as it fits "anaphase B":
the plateau it then reports is the anaphase spindle's final length. Where the pixel size is known
a formation is therefore admitted only if it ends at a plateau no longer than
:data:`MAX_PLATEAU_UM`, which phase 2 of a fission-yeast spindle (~2.5-3 um) never exceeds.

The plateau and the anaphase B rate come with standard errors: the weighted least-squares
covariance sigma^2 (J^T W J)^-1 of the chosen sub-model, W the last Huber weights and sigma the
residuals' MAD scale (corrected for the fitted parameters, and not floored: exact lengths get a
standard error of 0). J holds the model's derivatives with respect to its level and slopes and also
to each fitted breakpoint (the Gauss-Newton covariance of segmented regression), so the breakpoint's
uncertainty widens the slopes' at no extra cost: an onset that could sit a frame earlier or later
changes the rate of a short anaphase B a lot. Against the scatter of the rate over 200 noise draws
of a synthetic track with 3 to 14 anaphase B frames, the standard error is 0.95-1.11 times the
scatter; with the breakpoints held fixed it was 0.56-0.65 times (measured as in
``tests/test_phases.py``).

Columns added to ``tracks.csv`` (:data:`PHASE_COLUMNS`, in this order; a standard error follows
the value it qualifies):

- ``anaphase_onset_frame``; ``formation_frames``, ``plateau_frames``, ``anaphase_b_frames``: durations;
- ``anaphase_b_points``: lengths measured after the onset (all of the track's lengths when it began
  in anaphase B; 0 without anaphase B), what the rate rests on;
- ``plateau_length_px``, ``plateau_length_sd_px``, ``anaphase_b_rate_px_per_frame``,
  ``anaphase_b_rate_sd_px_per_frame``;
- ``formation_min``, ``plateau_min``, ``anaphase_b_min``;
- ``plateau_length_um``, ``plateau_length_sd_um``, ``anaphase_b_rate_um_per_min``,
  ``anaphase_b_rate_sd_um_per_min`` (NaN without the pixel size and frame interval).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

PHASE_COLUMNS = ["anaphase_onset_frame", "formation_frames", "plateau_frames", "anaphase_b_frames",
                 "anaphase_b_points", "plateau_length_px", "plateau_length_sd_px", "anaphase_b_rate_px_per_frame",
                 "anaphase_b_rate_sd_px_per_frame", "formation_min", "plateau_min", "anaphase_b_min",
                 "plateau_length_um", "plateau_length_sd_um", "anaphase_b_rate_um_per_min",
                 "anaphase_b_rate_sd_um_per_min"]

HUBER_C = 1.345          # the usual 95%-efficiency tuning constant
# time points a sloped phase needs strictly inside it: formation lasts only a few frames; one
# outlying last length must not make an anaphase
MIN_FORMATION_POINTS = 2
MIN_ANAPHASE_POINTS = 3
GRID_CELLS = 60          # breakpoint candidates per grid (coarse, then twice around the best)
# ~twice the phase-2 length of S. pombe spindles (2.5-3 um): room for a long metaphase
MAX_PLATEAU_UM = 5.0


@dataclass(frozen=True)
class PhaseFit:
    """A fitted track, in the time and length units it was given (frames and px in ``tracks.csv``).

    ``formation_end`` and ``anaphase_onset`` are NaN when that breakpoint is not in the track;
    durations are NaN when the phase was cut by the track's or the movie's start or end.
    ``plateau_sd`` and ``anaphase_rate_sd`` are standard errors (NaN with their value, or without
    residual degrees of freedom); ``anaphase_points`` counts the lengths after the onset (all of
    them when the track began in anaphase B; 0 without anaphase B).
    """

    start: float
    end: float
    plateau_length: float
    formation_end: float
    anaphase_onset: float
    formation_rate: float
    anaphase_rate: float
    formation_duration: float
    plateau_duration: float
    anaphase_duration: float
    plateau_sd: float
    anaphase_rate_sd: float
    anaphase_points: int


NO_FIT = PhaseFit(*([math.nan] * 12), anaphase_points=0)


@dataclass(frozen=True)
class _Candidate:
    """One sub-model's robust fit."""

    params: Tuple[float, float, float]  # plateau, formation rate, anaphase rate (NaN: phase absent)
    residuals: np.ndarray
    n_params: int                       # breakpoints included
    breakpoints: Tuple[float, float]    # formation end, anaphase onset (NaN: absent)
    free_onset: bool                    # the onset was fitted (False: pinned at the track's first point)


def fit_phases(times: Sequence[float], lengths: Sequence[float], movie_start: Optional[float] = None,
               movie_end: Optional[float] = None, max_plateau: float = math.inf) -> PhaseFit:
    """Fit the phases to one track; NaN lengths (a pole missed) are ignored.

    ``movie_start``/``movie_end``: the movie's first and last time point; a phase touching them
    gets no duration (it may have begun before or ended after the movie). None: not censored.
    ``max_plateau``: the longest plateau a formation may rise to, in the units of ``lengths``.
    """
    t, y = np.asarray(times, float), np.asarray(lengths, float)
    keep = np.isfinite(t) & np.isfinite(y)
    t, y = t[keep], y[keep]
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    if len(t) == 0:
        return NO_FIT
    candidates = [_fit_model(t, y, formation, anaphase, max_plateau)
                  for formation in (False, True) for anaphase in (False, True)]
    candidates.append(_fit_model(t, y, False, True, max_plateau, onset_in_track=False))
    candidates = [c for c in candidates if c is not None]
    flexible = max(candidates, key=lambda c: c.n_params)  # its residuals, corrected for the fitted parameters
    scale = _scale(flexible.residuals, y) * math.sqrt(len(t) / max(len(t) - flexible.n_params, 1))
    best = min(candidates, key=lambda c: 2 * _huber(c.residuals / scale).sum() + c.n_params * math.log(len(t)))
    (plateau, formation_rate, anaphase_rate), (b1, b2) = best.params, best.breakpoints
    plateau_sd, anaphase_rate_sd = _standard_errors(t, y, best)
    start, end = float(t[0]), float(t[-1])
    begins_inside = movie_start is None or start > movie_start
    ends_inside = movie_end is None or end < movie_end
    has_formation, has_anaphase = math.isfinite(b1), math.isfinite(b2)
    # A track that begins in anaphase B fits as a line whose "onset" is its first point (or a point
    # before which nothing was measured): the onset came before the track, and the level there is
    # an anaphase length, not a plateau.
    step = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    plateau_seen = not has_anaphase or has_formation or bool((t < b2 - 0.5 * step).any())
    onset = b2 if plateau_seen else math.nan
    anaphase_points = (int((t > b2).sum()) if plateau_seen else len(t)) if has_anaphase else 0
    return PhaseFit(
        start=start, end=end, plateau_length=plateau if plateau_seen else math.nan, formation_end=b1,
        anaphase_onset=onset, formation_rate=formation_rate, anaphase_rate=anaphase_rate,
        formation_duration=b1 - start if has_formation and begins_inside else math.nan,
        plateau_duration=onset - b1 if has_formation else math.nan,
        anaphase_duration=end - onset if ends_inside else math.nan,
        plateau_sd=plateau_sd if plateau_seen else math.nan, anaphase_rate_sd=anaphase_rate_sd,
        anaphase_points=anaphase_points)


def _fit_model(t: np.ndarray, y: np.ndarray, formation: bool, anaphase: bool, max_plateau: float,
               onset_in_track: bool = True) -> Optional[_Candidate]:
    """Best robust fit of one sub-model, or None when the track is too short for it or no candidate
    has rising slopes. ``onset_in_track=False``: anaphase B from before the
    track, a rising line with no breakpoint to pay for (its breakpoint sits at the first point, which
    :func:`fit_phases` does not report as an onset)."""
    n_params = 1 + 2 * formation + (2 if onset_in_track else 1) * anaphase
    if n_params > 1 and len(t) <= n_params + 1:
        return None
    # formation must be followed by plateau points: a track that only rises is in anaphase B
    b1_range = (t[MIN_FORMATION_POINTS - 1], t[-2]) if formation else None
    b2_range = ((t[0], t[-MIN_ANAPHASE_POINTS]) if onset_in_track else (t[0], t[0])) if anaphase else None
    weights = np.ones_like(y)
    result = None
    for _ in range(4):  # IRLS: fit, reweight by Huber, refit
        result = _grid_search(t, y, weights, b1_range, b2_range, max_plateau)
        if result is None:
            return None
        residuals = y - _design(t, *result[1]) @ result[0]
        weights = _huber_weights(residuals / _scale(residuals, y))
    beta, (b1, b2) = result
    residuals = y - _design(t, b1, b2) @ beta
    return _Candidate(_unpack(beta, formation, anaphase), residuals, n_params, (b1, b2), onset_in_track)


def _standard_errors(t: np.ndarray, y: np.ndarray, fit: _Candidate) -> Tuple[float, float]:
    """Standard errors of the plateau level and the anaphase B rate (NaN where the model has no
    anaphase B or the residuals have no degree of freedom): sigma^2 (J^T W J)^-1, J the derivatives
    of the model with respect to its level, slopes and fitted breakpoints (see the module's
    docstring)."""
    n = len(t)
    if n <= fit.n_params:
        return math.nan, math.nan
    (_, formation_rate, anaphase_rate), (b1, b2) = fit.params, fit.breakpoints
    columns = [_design(t, b1, b2)]
    if math.isfinite(b1):
        columns.append(-formation_rate * (t < b1)[:, None])
    if math.isfinite(b2) and fit.free_onset:
        columns.append(-anaphase_rate * (t > b2)[:, None])
    jacobian = np.hstack(columns)
    weights = _huber_weights(fit.residuals / _scale(fit.residuals, y))  # as the IRLS's next step would weigh
    sigma = _mad(fit.residuals) * math.sqrt(n / (n - fit.n_params))
    try:
        covariance = sigma ** 2 * np.linalg.inv(jacobian.T @ (weights[:, None] * jacobian))
    except np.linalg.LinAlgError:
        return math.nan, math.nan
    sd = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    rate_sd = float(sd[1 + math.isfinite(b1)]) if math.isfinite(b2) else math.nan
    return float(sd[0]), rate_sd


def _grid_search(t, y, weights, b1_range, b2_range, max_plateau):
    """Exhaustive weighted least squares over breakpoint pairs; twice more on a grid spanning
    one cell either side of the best pair."""
    b1_lo, b1_hi = b1_range if b1_range else (math.nan, math.nan)
    b2_lo, b2_hi = b2_range if b2_range else (math.nan, math.nan)
    step1 = (b1_hi - b1_lo) / GRID_CELLS if b1_range else 0.0
    step2 = (b2_hi - b2_lo) / GRID_CELLS if b2_range else 0.0
    best = None
    for _ in range(3):
        b1s = np.linspace(b1_lo, b1_hi, GRID_CELLS + 1) if b1_range else np.array([math.nan])
        b2s = np.linspace(b2_lo, b2_hi, GRID_CELLS + 1) if b2_range else np.array([math.nan])
        found = _best_pair(t, y, weights, b1s, b2s, max_plateau)
        if found is None:
            return best
        best = found
        b1, b2 = found[1]
        if b1_range:
            b1_lo, b1_hi = max(b1 - step1, b1_range[0]), min(b1 + step1, b1_range[1])
            step1 = (b1_hi - b1_lo) / GRID_CELLS
        if b2_range:
            b2_lo, b2_hi = max(b2 - step2, b2_range[0]), min(b2 + step2, b2_range[1])
            step2 = (b2_hi - b2_lo) / GRID_CELLS
    return best


def _best_pair(t, y, weights, b1s, b2s, max_plateau) -> Optional[Tuple[np.ndarray, Tuple[float, float]]]:
    """The (coefficients, (b1, b2)) with the least weighted squared error among admissible pairs
    (b1 <= b2, enough points in each sloped segment, rising slopes, a formation's plateau no longer
    than ``max_plateau``). The normal equations of all
    pairs come from per-breakpoint columns and one matrix product, never a (pairs x points) array."""
    columns = [(0, np.ones((1, len(t))))]  # (grid axis the column varies along, rows x points)
    admissible = np.ones((len(b1s), len(b2s)), bool)
    if np.isfinite(b1s).all():
        columns.append((1, np.minimum(t[None, :] - b1s[:, None], 0.0)))
        admissible &= ((t[None, :] < b1s[:, None]).sum(1) >= MIN_FORMATION_POINTS)[:, None]
    if np.isfinite(b2s).all():
        columns.append((2, np.maximum(t[None, :] - b2s[:, None], 0.0)))
        admissible &= ((t[None, :] > b2s[:, None]).sum(1) >= MIN_ANAPHASE_POINTS)[None, :]
    if len(columns) == 3:
        admissible &= b1s[:, None] <= b2s[None, :]
    if not admissible.any():
        return None
    k, shape = len(columns), admissible.shape
    normal = np.empty(shape + (k, k))
    rhs = np.empty(shape + (k,))
    for i, a in enumerate(columns):
        rhs[..., i] = _along(a[0], (a[1] * weights * y).sum(-1), shape)
        for j, b in enumerate(columns[i:], i):
            normal[..., i, j] = normal[..., j, i] = _weighted_inner(a, b, weights, shape)
    singular = np.abs(np.linalg.det(normal)) < 1e-9 * np.abs(normal).max(axis=(-2, -1)) ** k
    normal[singular] = np.eye(k)
    beta = np.linalg.solve(normal, rhs[..., None])[..., 0]
    cost = float(weights @ y ** 2) - np.einsum("...k,...k->...", beta, rhs)
    cost[~admissible | singular | (beta[..., 1:] <= 0).any(-1)] = np.inf  # every sloped phase must rise
    if np.isfinite(b1s).all():
        cost[beta[..., 0] > max_plateau] = np.inf
    i1, i2 = np.unravel_index(int(np.argmin(cost)), shape)
    if not np.isfinite(cost[i1, i2]):
        return None
    return beta[i1, i2], (float(b1s[i1]), float(b2s[i2]))


def _along(axis: int, values: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    """Per-breakpoint values spread over the (b1, b2) grid."""
    return np.broadcast_to(values[:, None] if axis == 1 else values[None, :] if axis == 2 else values, shape)


def _weighted_inner(a, b, weights, shape) -> np.ndarray:
    """Weighted inner product of two design columns for every breakpoint pair."""
    (axis_a, rows_a), (axis_b, rows_b) = a, b
    if {axis_a, axis_b} == {1, 2}:
        product = (rows_a * weights) @ rows_b.T
        return product if axis_a == 1 else product.T
    return _along(max(axis_a, axis_b), (rows_a * rows_b * weights).sum(-1), shape)


def _design(t, b1, b2):
    """Design matrix ``(n, k)`` for one breakpoint pair: plateau level, then ``min(t - b1, 0)``
    and ``max(t - b2, 0)`` for the phases present (NaN: phase absent)."""
    columns = [np.ones_like(t)]
    if math.isfinite(b1):
        columns.append(np.minimum(t - b1, 0.0))
    if math.isfinite(b2):
        columns.append(np.maximum(t - b2, 0.0))
    return np.stack(columns, axis=-1)


def _unpack(beta: np.ndarray, formation: bool, anaphase: bool) -> Tuple[float, float, float]:
    values = list(map(float, beta))
    plateau = values.pop(0)
    formation_rate = values.pop(0) if formation else math.nan
    anaphase_rate = values.pop(0) if anaphase else math.nan
    return plateau, formation_rate, anaphase_rate


def _mad(residuals: np.ndarray) -> float:
    """Robust noise scale: the median absolute deviation, scaled to a Gaussian's sd."""
    return 1.4826 * float(np.median(np.abs(residuals - np.median(residuals)))) if len(residuals) else 0.0


def _scale(residuals: np.ndarray, y: np.ndarray) -> float:
    """:func:`_mad`, floored at 1% of the typical length so that the weights of exact data stay finite."""
    return max(_mad(residuals), 0.01 * float(np.median(np.abs(y))), 1e-9)


def _huber(z: np.ndarray) -> np.ndarray:
    a = np.abs(z)
    return np.where(a <= HUBER_C, 0.5 * a ** 2, HUBER_C * a - 0.5 * HUBER_C ** 2)


def _huber_weights(z: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, HUBER_C / np.maximum(np.abs(z), 1e-12))


def with_phases(tracks: List[Dict[str, float]], detections: List[Dict[str, float]], n_frames: int,
                pixel_size: Optional[float], frame_interval: Optional[float]) -> List[Dict[str, float]]:
    """``tracks`` (rows of ``tracks.csv``) with the :data:`PHASE_COLUMNS` added: the fit runs on
    length in px over frame index (with the pixel size, formations rise to at most
    :data:`MAX_PLATEAU_UM`); the um and min columns are NaN without pixel size or interval."""
    minutes_per_frame = frame_interval / 60.0 if frame_interval else math.nan
    um_per_px = pixel_size or math.nan
    max_plateau_px = MAX_PLATEAU_UM / pixel_size if pixel_size else math.inf
    by_track: Dict[int, List[Tuple[float, float]]] = {}
    for d in detections:
        by_track.setdefault(d["track_id"], []).append((d["frame"], d["length_px"]))
    rows = []
    for track in tracks:
        points = np.array(by_track.get(track["track_id"], []), float).reshape(-1, 2)
        fit = fit_phases(points[:, 0], points[:, 1], movie_start=0, movie_end=n_frames - 1,
                         max_plateau=max_plateau_px)
        rows.append({**track,
                     "anaphase_onset_frame": fit.anaphase_onset,
                     "formation_frames": fit.formation_duration,
                     "plateau_frames": fit.plateau_duration,
                     "anaphase_b_frames": fit.anaphase_duration,
                     "anaphase_b_points": fit.anaphase_points,
                     "plateau_length_px": fit.plateau_length,
                     "plateau_length_sd_px": fit.plateau_sd,
                     "anaphase_b_rate_px_per_frame": fit.anaphase_rate,
                     "anaphase_b_rate_sd_px_per_frame": fit.anaphase_rate_sd,
                     "formation_min": fit.formation_duration * minutes_per_frame,
                     "plateau_min": fit.plateau_duration * minutes_per_frame,
                     "anaphase_b_min": fit.anaphase_duration * minutes_per_frame,
                     "plateau_length_um": fit.plateau_length * um_per_px,
                     "plateau_length_sd_um": fit.plateau_sd * um_per_px,
                     "anaphase_b_rate_um_per_min": fit.anaphase_rate * um_per_px / minutes_per_frame,
                     "anaphase_b_rate_sd_um_per_min": fit.anaphase_rate_sd * um_per_px / minutes_per_frame})
    return rows
