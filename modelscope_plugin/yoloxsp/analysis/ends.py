"""Where a spindle ends, fitted on the pixels: the detector finds the spindle and its axis, a
physical model of a blurred filament end places each end.

Why not the model's poles: on tubulin-only movies the network's poles sit well inside the
tips, while a microscopist (by eye, or Fiji's SpindleLengthPlugin) puts the end at the outer
foot of the tip. The end is a property of the signal and the optics, so it is measured there,
as filament trackers do (FIESTA fits filament ends with a PSF-blurred model).

The model. Along the spindle's ridge, a bundle of microtubules that stops at ``e`` and is blurred
by a Gaussian of ``sigma`` (PSF, z-projection, tip taper) has the profile

    I(s) = background + level * (1 + tilt * (s - e)) * erfc((s - e) / (sqrt(2) * sigma)) / 2

in its own neighbourhood: each end is fitted on its own stretch of the profile (the outer half of
its half of the spindle plus the tip and the background beyond), so a spindle brighter at one end
than the other, as anaphase B spindles often are, places both ends against their own level; the
``tilt`` lets that level change towards the tip.
The fit is least squares (scipy.optimize.leastsq, MINPACK's Levenberg-Marquardt, with the
model's derivatives); the profile is cut where it rises again past the tip, so that a neighbour
beyond the tip does not enter it.

The reported end is where the fitted end falls to :data:`END_LEVEL` of the local level above
background, ``e + sqrt(2) * sigma * erfcinv(2 * END_LEVEL)``. Measured references disagree on
the exact level and this sits between them: on real tubulin-only movies the SpindleLengthPlugin
and by-eye ends lie at 20-40% of the local level; on a real two-colour frame the SPB dots lie
inside the half-level point (docs/movies.md has both measures). Each end comes with a standard
error from the fit's covariance (residual variance times (J^T J)^-1, widened for the profile's
oversampling).

Where the frame has an SPB channel (green), the SPB dots mark the ends directly: a spot is looked
for near each of the network's poles (and, failing that, near each fitted end), its centre refined
by an intensity-weighted centroid above the local background; when both ends have a clear spot,
the SPB positions are the ends and no tubulin fit is needed. A row says
which was used: ``spb``, ``tubulin`` (the fit), or ``model`` (no fit passed its checks; the
network's poles are kept).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import cv2
import numpy as np
from scipy.ndimage import maximum_filter, uniform_filter1d
from scipy.special import erfc, erfcinv

from .lengths import path_length, ridge_length, ridge_path, sample, straight_length

END_LEVEL = 0.4            # share of the local level above background at which an end is reported
STEP = 0.5                 # px between profile samples along the ridge
ACROSS = (-1.0, 0.0, 1.0)  # px across the ridge averaged into one profile sample
OVERSAMPLING = 1.0 / STEP  # profile samples per independent pixel: widens the standard error
MIN_SNR = 4.0              # fitted level over the residual noise an end needs to be trusted
# px: the blur an end may show; sharper is a noise spike, wider is no end (a tapered or curling tip
# fades over several PSF widths, which stays within)
MIN_SIGMA, MAX_SIGMA = 0.4, 12.0
SPB_MIN_SNR = 6.0          # a spot's peak over the local noise to count as an SPB
SPB_MIN_CONTRAST = 20.0    # levels above its median an 8-bit SPB channel's dots reach at least
SPB_NOISE_FLOOR = 1.5      # levels: the least noise an 8-bit SPB channel is taken to have
SPB_SPACING = 0.25         # share of the spindle's length by which its two dots' spacing may differ
MIN_FIT_LENGTH = 3.0       # blur widths: a shorter spindle has no plateau between its ends to fit
ENDS_FROM = ("spb", "tubulin", "model")


@dataclass(frozen=True)
class SpindleEnds:
    """Both ends of one spindle: ``ends`` (2, 2) x, y in pixels; ``sd`` (2,) standard error of each
    end along the spindle (px; NaN where not fitted); ``length`` along the ridge between the ends
    (px); ``source``: one of :data:`ENDS_FROM`."""

    ends: np.ndarray
    sd: np.ndarray
    length: float
    source: str


@dataclass(frozen=True)
class EndFit:
    """One end's fit along its profile: ``end`` (arc length at :data:`END_LEVEL`), its standard
    error, and the fitted blur ``sigma`` (px)."""

    end: float
    sd: float
    sigma: float


def end_profile_model(s: np.ndarray, background: float, level: float, end: float, sigma: float,
                      tilt: float = 0.0) -> np.ndarray:
    """The blurred filament end: ``level`` above ``background`` at ``end``, where it falls through its
    half; inside, the level changes by ``tilt`` (a share of itself per px), as a spindle brighter or
    dimmer towards its tip does."""
    s = np.asarray(s, float)
    samples = s.reshape(-1)
    return _EndModel(samples, np.zeros_like(samples)).values(np.array([background, level, end, sigma, tilt],
                                                                       float)).reshape(s.shape)


class _EndModel:
    """The blurred filament end (:func:`end_profile_model`) and its derivatives by the five
    parameters on the samples ``s``, for the least-squares fit: MINPACK asks for the residuals and
    then the derivatives at the same parameters, so the terms both need are computed once per
    parameter set."""

    def __init__(self, s: np.ndarray, profile: np.ndarray):
        self.s, self.profile, self._at = s, profile, None
        self._jacobian = np.empty((5, len(s)))  # one row per parameter (MINPACK's col_deriv layout)
        self._jacobian[0] = 1.0

    def _terms(self, params: np.ndarray) -> None:
        key = params.tobytes()
        if key != self._at:
            background, level, end, sigma, tilt = params
            self._offset = self.s - end
            self._z = self._offset / (math.sqrt(2.0) * sigma)
            self._step = 0.5 * erfc(self._z)
            self._ramp = 1.0 + tilt * self._offset
            self._value = background + level * self._ramp * self._step
            self._at = key

    def values(self, params: np.ndarray) -> np.ndarray:
        self._terms(params)
        return self._value

    def residuals(self, params: np.ndarray) -> np.ndarray:
        return self.values(params) - self.profile

    def jacobian(self, params: np.ndarray) -> np.ndarray:
        self._terms(params)
        _, level, _, sigma, tilt = params
        rise = level * self._ramp * np.exp(-self._z * self._z) / math.sqrt(math.pi)
        self._jacobian[1] = self._ramp * self._step
        self._jacobian[2] = rise / (math.sqrt(2.0) * sigma) - level * tilt * self._step
        self._jacobian[3] = rise * self._z / sigma
        self._jacobian[4] = level * self._offset * self._step
        return self._jacobian


def level_offset(sigma: float, share: float) -> float:
    """How far beyond the half-level point the model falls to ``share`` of its level."""
    return math.sqrt(2.0) * sigma * float(erfcinv(2.0 * share))


def fit_end(s: np.ndarray, profile: np.ndarray, start: float, guess: float, end_level: float = END_LEVEL
            ) -> Optional[EndFit]:
    """Fit :func:`end_profile_model` to ``profile`` sampled at increasing arc lengths ``s``, using
    the samples from ``start`` outward, the end first looked for near ``guess``. None when the
    fit does not show an end: too few samples, a level lost in the noise, a blur at its bounds."""
    from scipy.optimize import leastsq  # here: building the command line must not load the optimisers
    inside = s >= start
    s, y = s[inside], profile[inside]
    cut = _rise_after_fall(y)
    s, y = s[:cut], y[:cut]
    if len(s) < 8:
        return None
    smooth = uniform_filter1d(y, 3, mode="nearest")
    head = smooth[: max(3, len(smooth) // 4)]
    high, low = float(np.median(head)), float(smooth[-max(3, len(smooth) // 6):].min())
    if high <= low:
        return None
    # the first guess from the smoothed profile's crossings: the half-level point is the end, and
    # the 75% to 25% distance of a blurred step is 1.35 sigma
    crossings = [_first_below(s, smooth, low + share * (high - low), min(guess, s[-1])) for share in (0.75, 0.5, 0.25)]
    sigma0 = float(np.clip((crossings[2] - crossings[0]) / 1.35, 2 * MIN_SIGMA, MAX_SIGMA / 2))
    x0 = np.array([low, high - low, np.clip(crossings[1], s[0], s[-1]), sigma0, 0.0])
    model = _EndModel(s, y)
    try:  # Levenberg-Marquardt (MINPACK, without least_squares' bookkeeping: most of its time)
        # a degenerate fit's covariance overflows: refused below, not warned about on the user's console
        with np.errstate(over="ignore", invalid="ignore"):
            params, covariance, _, _, status = leastsq(model.residuals, x0, full_output=True, Dfun=model.jacobian,
                                                       col_deriv=True, xtol=1e-4, ftol=1e-4)
    except (ValueError, np.linalg.LinAlgError):
        return None
    background, level, end, sigma, _ = params
    residuals = model.residuals(params)
    noise = float(np.sqrt(np.mean(residuals ** 2)))
    if status not in (1, 2, 3, 4) or covariance is None or not np.isfinite(covariance).all() \
            or level < MIN_SNR * max(noise, 1e-9) \
            or not MIN_SIGMA < sigma < MAX_SIGMA or not s[0] < end < s[-1]:
        return None
    covariance = covariance * float(residuals @ residuals) / max(len(s) - 5, 1)
    offset = level_offset(sigma, end_level)
    # the reported point moves with the end and with the blur: d(point) = d(end) + offset/sigma d(sigma)
    gradient = np.array([0.0, 0.0, 1.0, offset / sigma, 0.0])
    sd = float(np.sqrt(max(gradient @ covariance @ gradient, 0.0) * OVERSAMPLING))
    return EndFit(float(end + offset), sd, float(sigma))


def _first_below(s: np.ndarray, values: np.ndarray, level: float, after: float) -> float:
    """The first arc length from ``after`` on where ``values`` fall below ``level`` (the last if never)."""
    below = np.nonzero((s >= after) & (values < level))[0]
    return float(s[below[0]]) if len(below) else float(s[-1])


def _rise_after_fall(y: np.ndarray) -> int:
    """Where the profile, having fallen past its tip, rises again (a neighbour): the index to cut at."""
    smooth = uniform_filter1d(y, 5, mode="nearest")
    high = float(np.median(smooth[: max(3, len(smooth) // 4)]))
    low = float(smooth.min())
    fallen = np.nonzero(smooth < low + 0.25 * (high - low))[0]
    if not len(fallen):
        return len(y)
    first = fallen[0]
    rise = np.nonzero(smooth[first:] > low + 0.6 * (high - low))[0]
    return len(y) if not len(rise) else first + int(rise[0])


def _extended_path(tubulin: np.ndarray, poles: np.ndarray, reach: float) -> Tuple[np.ndarray, np.ndarray, float]:
    """The ridge between the poles, followed on beyond each pole by ``reach`` px (:func:`_follow`),
    sampled every :data:`STEP` px: points (n, 2), their arc lengths from the first point, and the
    arc length of the ridge's middle."""
    ridge = _resample(ridge_path(tubulin, poles, pin_ends=False, across_step=0.5), STEP)
    # each end's direction from the outer quarter of the ridge: a pole a pixel off the axis turns a
    # direction taken over a few pixels enough to walk off the spindle before its tip
    tangent_points = max(2, min(len(ridge) - 1, len(ridge) // 4))
    background = float(np.percentile(tubulin[::3, ::3], 10))  # every ninth pixel tells the dark level
    first = _follow(tubulin, ridge[0], _unit(ridge[0] - ridge[tangent_points]), reach, background)
    last = _follow(tubulin, ridge[-1], _unit(ridge[-1] - ridge[-1 - tangent_points]), reach, background)
    path = np.concatenate([first[::-1], ridge, last])
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    middle = len(first) * STEP + 0.5 * path_length(ridge)
    return path, arc, middle


FOLLOW_ACROSS = np.arange(-3.0, 3.01, 0.5)  # px across the path searched for the ridge's centre
FOLLOW_ALONG = np.array([-1.0, 0.0, 1.0])   # px along the path averaged, against the noise
FOLLOW_STEP = 2.0                           # px between the points of a followed tip
FOLLOW_SHIFT = 0.8                          # px the path may move sideways per step
FOLLOW_TURN = 0.6                           # weight of each step's new heading in the direction
_FOLLOW_GRID_ALONG, _FOLLOW_GRID_ACROSS = np.meshgrid(FOLLOW_ALONG, FOLLOW_ACROSS, indexing="ij")


def _follow(tubulin: np.ndarray, start: np.ndarray, direction: np.ndarray, reach: float, background: float
            ) -> np.ndarray:
    """Points every :data:`STEP` px from ``start`` along ``direction`` for ``reach`` px, bending with
    the ridge while the ridge stands out (a bowed or hooked tip) and going straight once it no
    longer does (past the tip, where only background is left to sample). The walk is a few
    two-vectors per step: plain floats, not arrays, keep it cheap."""
    def across(x: float, y: float, dx: float, dy: float) -> np.ndarray:
        grid = np.stack([x + _FOLLOW_GRID_ALONG * dx - _FOLLOW_GRID_ACROSS * dy,
                         y + _FOLLOW_GRID_ALONG * dy + _FOLLOW_GRID_ACROSS * dx], axis=-1)
        return sample(tubulin, grid).mean(axis=0)

    x, y = float(start[0]), float(start[1])
    dx, dy = float(direction[0]), float(direction[1])
    reference = float(across(x, y, dx, dy).max()) - background
    points = [(x, y)]
    while reference > 0 and len(points) * FOLLOW_STEP < reach:
        ahead_x, ahead_y = x + FOLLOW_STEP * dx, y + FOLLOW_STEP * dy
        values = across(ahead_x, ahead_y, dx, dy)
        height = float(values.max()) - background
        if height <= 0.5 * reference:
            break  # past the tip: straight on from here
        weights = np.clip(values - (background + 0.5 * height), 0, None)
        shift = min(max(float(weights @ FOLLOW_ACROSS) / float(weights.sum()), -FOLLOW_SHIFT), FOLLOW_SHIFT)
        ahead_x, ahead_y = ahead_x - shift * dy, ahead_y + shift * dx
        moved = math.hypot(ahead_x - x, ahead_y - y)
        turn_x = (1 - FOLLOW_TURN) * dx + FOLLOW_TURN * (ahead_x - x) / moved
        turn_y = (1 - FOLLOW_TURN) * dy + FOLLOW_TURN * (ahead_y - y) / moved
        dx, dy = _unit(np.array([turn_x, turn_y]))
        points.append((ahead_x, ahead_y))
        x, y = ahead_x, ahead_y
    followed = (len(points) - 1) * FOLLOW_STEP
    along = np.arange(FOLLOW_STEP, reach - followed + 1e-9, FOLLOW_STEP)
    straight = np.stack([x + along * dx, y + along * dy], axis=1)
    path = _resample(np.concatenate([np.array(points), straight]), STEP)
    return path[1:]


def _resample(path: np.ndarray, step: float) -> np.ndarray:
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    at = np.linspace(0.0, arc[-1], max(int(round(arc[-1] / step)), 1) + 1)
    return np.stack([np.interp(at, arc, path[:, 0]), np.interp(at, arc, path[:, 1])], axis=1)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else np.array([1.0, 0.0])


def _profile(tubulin: np.ndarray, path: np.ndarray) -> np.ndarray:
    """The tubulin along ``path``, averaged over :data:`ACROSS` px across it."""
    tangent = np.gradient(path, axis=0)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-9)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    offsets = np.asarray(ACROSS)
    return sample(tubulin, path[:, None, :] + offsets[None, :, None] * normal[:, None, :]).mean(axis=1)


def _point_at(path: np.ndarray, arc: np.ndarray, where: float) -> np.ndarray:
    return np.array([np.interp(where, arc, path[:, 0]), np.interp(where, arc, path[:, 1])])


def holds_dots(spb: np.ndarray) -> bool:
    """Whether an 8-bit SPB channel shows dots at all: its brightest 3x3 mean stands
    :data:`SPB_MIN_CONTRAST` levels above its median. The green of a tubulin-only frame exported
    through JPEG holds only colour bleeding a few levels high, which must not pass for dots."""
    channel = np.ascontiguousarray(spb)
    if channel.dtype != np.uint8:
        raise TypeError(f"an SPB channel as the model saw it is 8-bit, got {channel.dtype}")
    low, high = cv2.minMaxLoc(channel)[:2]
    if high - low < SPB_MIN_CONTRAST:
        return False  # no 3x3 mean stands further above the median than the brightest pixel above the darkest
    brightest = float(cv2.boxFilter(channel, cv2.CV_32F, (3, 3)).max())
    return brightest - _median_uint8(channel[::2, ::2]) >= SPB_MIN_CONTRAST


def _median_uint8(values: np.ndarray) -> float:
    """``np.median`` of 8-bit values, read off their histogram (a frame's worth takes a quarter of
    the time of numpy's partition)."""
    counts = np.cumsum(np.bincount(values.ravel(), minlength=256))
    middle = np.searchsorted(counts, [(counts[-1] - 1) // 2, counts[-1] // 2], side="right")
    return float(middle.mean())


def spb_channel(frame: np.ndarray) -> Optional[np.ndarray]:
    """The SPB marker channel (green) of ``frame`` (8-bit RGB as the model saw it), or None where
    the frame has none or it shows no dots (:func:`holds_dots`)."""
    frame = np.asarray(frame)
    return frame[..., 1] if frame.ndim == 3 and frame.shape[2] > 1 and holds_dots(frame[..., 1]) else None


@dataclass(frozen=True)
class _SpbWindow:
    """The SPB channel around a point: pixel values, their 3x3 mean, pixel coordinates, which pixels
    lie within reach, and the local background and noise."""

    values: np.ndarray
    smoothed: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    reachable: np.ndarray
    background: float
    noise: float

    def stands_out(self, level: float, min_snr: float) -> bool:
        return level - self.background >= min_snr * self.noise / 3.0  # a 3x3 mean has a third of the noise


def _spb_window(spb: np.ndarray, near: np.ndarray, radius: float) -> Optional[_SpbWindow]:
    height, width = spb.shape
    r = int(math.ceil(radius)) + 3
    cx, cy = int(math.floor(near[0])), int(math.floor(near[1]))
    x0, x1, y0, y1 = max(cx - r, 0), min(cx + r + 1, width), max(cy - r, 0), min(cy + r + 1, height)
    if x1 - x0 < 5 or y1 - y0 < 5:
        return None
    values = np.asarray(spb[y0:y1, x0:x1], float)
    background = float(np.median(values))
    # the MAD of a dark 8-bit window can be 0: a level of quantisation and compression noise is the floor
    noise = max(1.4826 * float(np.median(np.abs(values - background))), SPB_NOISE_FLOOR)
    ys, xs = np.mgrid[y0:y1, x0:x1]
    reachable = (xs + 0.5 - near[0]) ** 2 + (ys + 0.5 - near[1]) ** 2 <= radius ** 2
    smoothed = cv2.blur(values, (3, 3), borderType=cv2.BORDER_REPLICATE)
    return _SpbWindow(values, smoothed, xs, ys, reachable, background, noise)


def _brightest_peak(window: _SpbWindow) -> Optional[Tuple[int, int]]:
    """The brightest local maximum of the 3x3 mean within reach (row, column), not the brightest
    pixel of the disk (the flank of a brighter dot beyond it)."""
    peaks = window.reachable & (window.smoothed == maximum_filter(window.smoothed, 3, mode="nearest"))
    if not peaks.any():
        return None
    return np.unravel_index(np.argmax(np.where(peaks, window.smoothed, -np.inf)), window.smoothed.shape)


def spb_spot(spb: np.ndarray, near: np.ndarray, radius: float, min_snr: float = SPB_MIN_SNR) -> Optional[np.ndarray]:
    """The centre (x, y) of the brightest SPB spot (a local maximum of the 3x3 mean) within
    ``radius`` px of ``near``: the intensity-weighted centroid of its 5x5 neighbourhood above the
    local background; None when no spot stands ``min_snr`` times the local noise above
    that background."""
    window = _spb_window(spb, near, radius)
    peak = None if window is None else _brightest_peak(window)
    if peak is None or not window.stands_out(window.smoothed[peak], min_snr):
        return None
    py, px = peak
    rows, cols = slice(max(py - 2, 0), py + 3), slice(max(px - 2, 0), px + 3)
    weights = np.clip(window.values[rows, cols] - window.background, 0, None)
    if weights.sum() <= 0:
        return None
    return np.array([(weights * (window.xs[rows, cols] + 0.5)).sum() / weights.sum(),
                     (weights * (window.ys[rows, cols] + 0.5)).sum() / weights.sum()])


def shows_spb(spb: np.ndarray, near: np.ndarray, radius: float, min_snr: float) -> bool:
    """Whether the SPB channel shows a pole body at ``near``: a spot within ``radius`` px (as
    :func:`spb_spot` finds one), or SPB signal on ``near``'s own pixel standing ``min_snr`` times
    the local noise out (a dot merged into a brighter neighbour's flank has no maximum of its own)."""
    window = _spb_window(spb, near, radius)
    if window is None:
        return False
    peak = _brightest_peak(window)
    if peak is not None and window.stands_out(window.smoothed[peak], min_snr):
        return True
    at = (int(math.floor(near[1])) - int(window.ys[0, 0]), int(math.floor(near[0])) - int(window.xs[0, 0]))
    inside = 0 <= at[0] < window.smoothed.shape[0] and 0 <= at[1] < window.smoothed.shape[1]
    return inside and window.stands_out(window.smoothed[at], min_snr)


def fit_spindle_ends(tubulin: np.ndarray, poles: np.ndarray, spb: Optional[np.ndarray] = None,
                     end_level: float = END_LEVEL) -> SpindleEnds:
    """Both ends of the spindle the network found with ``poles`` (2, 2) x, y, measured on
    ``tubulin`` (H, W) and, where given and holding spots, ``spb`` (H, W); see the module docstring."""
    poles = np.asarray(poles, float)
    height, width = np.shape(tubulin)
    if not np.isfinite(poles).all():
        return SpindleEnds(poles, np.full(2, np.nan), float("nan"), "model")
    half = 0.5 * float(np.linalg.norm(poles[1] - poles[0]))
    inside = (poles >= 0).all() and (poles[:, 0] <= width).all() and (poles[:, 1] <= height).all()
    if half < 1.0 or not inside:  # nothing to follow, or poles off the frame
        return SpindleEnds(poles, np.full(2, np.nan), straight_length(poles), "model")
    reach = 0.5 * half + 10.0  # the network's poles may lie a fifth of the length inside the tips
    corner, tubulin, spb = _window(poles, half + reach + 6.0, tubulin, spb)
    poles = poles - corner
    spots = _spb_pair(spb, poles, max(3.0, 0.2 * half)) if spb is not None else None
    if spots is not None:  # the SPB dots mark the ends: nothing to fit
        return SpindleEnds(spots + corner, np.full(2, np.nan), ridge_length(tubulin, spots), "spb")
    path, arc, middle = _extended_path(tubulin, poles, reach)
    profile = _profile(tubulin, path)
    start = max(0.5 * half, 2.0)  # each end on its own outer stretch
    # arc lengths from the middle outward: end 1 walks back along the path, end 2 forward
    outward = ((middle - arc)[::-1], profile[::-1]), (arc - middle, profile)
    fits = [fit_end(s, values, start, half, end_level) for s, values in outward]
    if not all(fits):
        return SpindleEnds(poles + corner, np.full(2, np.nan), ridge_length(tubulin, poles), "model")
    along = (middle - fits[0].end, middle + fits[1].end)
    ends = np.stack([_point_at(path, arc, a) for a in along])
    blur = max(f.sigma for f in fits)
    # too short for two separate ends, or an end whose tip runs off the frame (its level would be
    # the edge pixels repeated): the network's poles stay
    margin = ends + corner
    core = along[1] - along[0] - sum(level_offset(f.sigma, end_level) for f in fits)  # half level to half level
    if core < MIN_FIT_LENGTH * blur or (margin < 2 * blur).any() or \
            (margin[:, 0] > width - 2 * blur).any() or (margin[:, 1] > height - 2 * blur).any():
        return SpindleEnds(poles + corner, np.full(2, np.nan), ridge_length(tubulin, poles), "model")
    spots = _spb_pair(spb, ends, max(3.0, 2.5 * blur)) if spb is not None else None
    if spots is not None:  # dots beside the fitted ends, where the network's poles were off
        return SpindleEnds(spots + corner, np.full(2, np.nan), ridge_length(tubulin, spots), "spb")
    return SpindleEnds(ends + corner, np.array([f.sd for f in fits]), along[1] - along[0], "tubulin")


def _spb_pair(spb: np.ndarray, near: np.ndarray, radius: float) -> Optional[np.ndarray]:
    """Two distinct SPB spots, one within ``radius`` of each of ``near`` (2, 2), as far apart as
    ``near`` are (within :data:`SPB_SPACING` of it, or 3 px), or None."""
    spots = [spb_spot(spb, point, radius) for point in near]
    if any(spot is None for spot in spots):
        return None
    spacing, expected = float(np.linalg.norm(spots[0] - spots[1])), float(np.linalg.norm(near[0] - near[1]))
    if spacing <= 1.0 or abs(spacing - expected) > max(3.0, SPB_SPACING * expected):
        return None
    return np.stack(spots)


def _window(poles: np.ndarray, margin: float, *images: Optional[np.ndarray]):
    """The (x, y) corner and float crops of ``images`` around ``poles`` grown by ``margin`` px:
    the fit never looks further, and converting whole frames would cost more than the fit."""
    height, width = images[0].shape
    low = np.clip(np.floor(poles.min(axis=0) - margin), 0, None).astype(int)
    high = np.minimum(np.ceil(poles.max(axis=0) + margin).astype(int), [width, height])
    rows, cols = slice(low[1], max(high[1], low[1] + 1)), slice(low[0], max(high[0], low[0] + 1))
    crops = [None if image is None else np.asarray(image[rows, cols], float) for image in images]
    return low.astype(float), *crops

