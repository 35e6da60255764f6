"""Spindle ends fitted on the pixels (yoloxsp.analysis.ends): filaments drawn as a physical line blurred
by a Gaussian PSF (so their true ends are known exactly), found from poles placed where the network
puts them on tubulin-only movies, well inside the tips."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from yoloxsp.analysis.ends import (END_LEVEL, end_profile_model, fit_end, fit_spindle_ends, level_offset,
                                   spb_channel, spb_spot)

pytestmark = pytest.mark.core

SHAPE = (200, 260)


def filament(curve: np.ndarray, sigma: float, level: float = 60.0, shape=SHAPE,
             brightness=lambda u: 1.0) -> np.ndarray:
    """A line along ``curve`` (points x, y) of ``level`` counts at its middle, blurred by ``sigma``
    px: dense bilinear splats, then a Gaussian filter. ``brightness(u)`` scales it along the line
    (u from 0 to 1)."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))])
    at = np.arange(0.0, arc[-1] + 1e-9, 0.02)
    points = np.stack([np.interp(at, arc, curve[:, 0]), np.interp(at, arc, curve[:, 1])], axis=1) - 0.5
    image = np.zeros(shape)
    x0, y0 = np.floor(points[:, 0]).astype(int), np.floor(points[:, 1]).astype(int)
    fx, fy = points[:, 0] - x0, points[:, 1] - y0
    weight = 0.02 * np.array([brightness(u) for u in at / arc[-1]])
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(image, (y0 + dy, x0 + dx), weight * w)
    image = gaussian_filter(image, sigma)
    return level * image * math.sqrt(2 * math.pi) * sigma  # a line of unit density peaks at 1 / (sqrt(2 pi) sigma)


def noisy(image: np.ndarray, rng: np.random.Generator, background: float = 20.0, noise: float = 2.0) -> np.ndarray:
    return background + image + rng.normal(0, noise, image.shape)


def reported_ends(curve: np.ndarray, sigma: float) -> np.ndarray:
    """Where the module reports the ends of ``curve``: END_LEVEL of the way down each blurred tip."""
    out = []
    for end, inner in ((curve[0], curve[1]), (curve[-1], curve[-2])):
        direction = (end - inner) / np.linalg.norm(end - inner)
        out.append(end + level_offset(sigma, END_LEVEL) * direction)
    return np.array(out)


def inside_poles(curve: np.ndarray, share: float, rng: np.random.Generator, jitter: float = 0.7) -> np.ndarray:
    """Poles ``share`` of the length inside each tip (as the network places them), jittered."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))])
    at = np.array([share, 1 - share]) * arc[-1]
    poles = np.stack([np.interp(at, arc, curve[:, 0]), np.interp(at, arc, curve[:, 1])], axis=1)
    return poles + rng.normal(0, jitter, poles.shape)


def straight(length: float, angle: float, centre=(130.0, 100.0)) -> np.ndarray:
    half = 0.5 * length * np.array([math.cos(angle), math.sin(angle)])
    return np.stack([np.asarray(centre) - half, np.asarray(centre) + half])


def matched_error(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    direct, swapped = np.linalg.norm(found - truth, axis=1), np.linalg.norm(found[::-1] - truth, axis=1)
    return direct if direct.sum() <= swapped.sum() else swapped


def test_the_reported_level_is_where_the_model_falls_to_it():
    for sigma in (0.8, 2.5):
        at = 10.0 + level_offset(sigma, END_LEVEL)
        value = end_profile_model(np.array([at]), 5.0, 100.0, 10.0, sigma)[0]
        assert value == pytest.approx(5.0 + END_LEVEL * 100.0)
    assert level_offset(2.0, 0.5) == pytest.approx(0.0, abs=1e-12) and level_offset(2.0, 0.3) > 0


def test_one_profile_end_is_found_and_pure_noise_is_not():
    rng = np.random.default_rng(1)
    s = np.arange(-20.0, 25.0, 0.5)
    profile = end_profile_model(s, 20.0, 50.0, 6.3, 2.0) + rng.normal(0, 1.5, s.size)
    fit = fit_end(s, profile, start=-10.0, guess=0.0, end_level=0.5)
    assert fit is not None and fit.end == pytest.approx(6.3, abs=0.4) and fit.sigma == pytest.approx(2.0, rel=0.3)
    assert 0 < fit.sd < 0.5
    assert fit_end(s, 20.0 + rng.normal(0, 1.5, s.size), start=-10.0, guess=0.0) is None


def test_a_neighbour_beyond_the_tip_is_cut_off():
    rng = np.random.default_rng(2)
    s = np.arange(-20.0, 30.0, 0.5)
    neighbour = 60.0 * np.exp(-0.5 * ((s - 20.0) / 2.0) ** 2)
    profile = end_profile_model(s, 20.0, 50.0, 5.0, 1.5) + neighbour + rng.normal(0, 1.0, s.size)
    fit = fit_end(s, profile, start=-10.0, guess=0.0, end_level=0.5)
    assert fit is not None and fit.end == pytest.approx(5.0, abs=0.5)


@pytest.mark.parametrize("seed", range(6))
def test_straight_spindles_get_their_ends_from_poles_well_inside(seed):
    rng = np.random.default_rng(seed)
    length, sigma = rng.uniform(20, 140), rng.uniform(1.0, 3.0)
    curve = straight(length, rng.uniform(0, math.pi))
    image = noisy(filament(curve, sigma, rng.uniform(30, 100)), rng)
    poles = inside_poles(curve, rng.uniform(0.12, 0.2), rng)
    fitted = fit_spindle_ends(image, poles)
    truth = reported_ends(curve, sigma)
    assert fitted.source == "tubulin"
    assert matched_error(fitted.ends, truth).max() < 1.0
    assert fitted.length == pytest.approx(np.linalg.norm(truth[1] - truth[0]), rel=0.03)
    assert matched_error(poles, truth).max() > 2.5  # where it started: the fit did the work


def test_each_end_against_its_own_level():
    rng = np.random.default_rng(7)
    curve = straight(90, 0.3)
    image = noisy(filament(curve, 2.0, 70.0, brightness=lambda u: 0.45 + 1.1 * u), rng)  # 3x brighter at one end
    fitted = fit_spindle_ends(image, inside_poles(curve, 0.15, rng))
    assert fitted.source == "tubulin"
    assert matched_error(fitted.ends, reported_ends(curve, 2.0)).max() < 1.0


def test_a_tip_dimmer_or_brighter_than_the_rest_keeps_its_end():
    """Brightness that changes towards a tip (0.6-1.4x along real spindles) must not move the end."""
    rng = np.random.default_rng(16)
    curve = straight(70, 0.2)
    for brightness in (lambda u: 1.0 - 0.6 * u ** 3, lambda u: 0.7 + 0.7 * u ** 3):
        image = noisy(filament(curve, 2.0, 70.0, brightness=brightness), rng)
        fitted = fit_spindle_ends(image, inside_poles(curve, 0.15, rng))
        assert fitted.source == "tubulin"
        assert matched_error(fitted.ends, reported_ends(curve, 2.0)).max() < 1.0


def test_a_bowed_spindle_is_followed_to_its_tips():
    rng = np.random.default_rng(8)
    u = np.linspace(-1, 1, 80)
    curve = np.stack([130 + 55 * u, 100 + 14 * (1 - u ** 2)], axis=1)  # a bow 14 px deep over 110 px
    image = noisy(filament(curve, 1.8, 60.0), rng)
    fitted = fit_spindle_ends(image, inside_poles(curve, 0.15, rng))
    true_length = float(np.linalg.norm(np.diff(curve, axis=0), axis=1).sum()) + 2 * level_offset(1.8, END_LEVEL)
    assert fitted.source == "tubulin"
    assert matched_error(fitted.ends, reported_ends(curve, 1.8)).max() < 1.2
    assert fitted.length == pytest.approx(true_length, rel=0.03)


def test_the_standard_error_matches_the_scatter_over_noise():
    rng = np.random.default_rng(9)
    curve = straight(60, 1.0)
    clean = filament(curve, 2.0, 40.0)
    poles = inside_poles(curve, 0.15, rng, jitter=0.0)
    fits = [fit_spindle_ends(noisy(clean, rng, noise=4.0), poles) for _ in range(30)]
    axis = (curve[1] - curve[0]) / np.linalg.norm(curve[1] - curve[0])
    along = np.array([f.ends[0] @ axis for f in fits])  # the standard error is along the spindle
    scatter = float(np.std(along))
    reported = float(np.median([f.sd[0] for f in fits]))
    assert 0.6 < reported / scatter < 1.6


def test_spb_spots_at_the_ends_are_taken_and_a_stray_dot_is_not():
    rng = np.random.default_rng(10)
    curve = straight(50, 0.5)
    tubulin = noisy(filament(curve, 1.5, 60.0), rng)
    spb_clean = np.zeros(SHAPE)
    for x, y in curve:
        spb_clean += filament(np.array([[x, y], [x + 0.01, y]]), 1.2, 4000.0)
    spb = noisy(spb_clean, rng, background=5.0, noise=1.0)
    fitted = fit_spindle_ends(tubulin, inside_poles(curve, 0.15, rng), spb)
    assert fitted.source == "spb" and matched_error(fitted.ends, curve).max() < 0.3
    stray = noisy(filament(np.array([[10.0, 10.0], [10.01, 10.0]]), 1.2, 4000.0), rng, background=5.0, noise=1.0)
    assert fit_spindle_ends(tubulin, inside_poles(curve, 0.15, rng), stray).source == "tubulin"
    assert spb_spot(stray, np.array([10.0, 10.0]), 3.0) == pytest.approx([10.0, 10.0], abs=0.3)


def test_nothing_to_fit_keeps_the_networks_poles():
    rng = np.random.default_rng(11)
    poles = np.array([[100.0, 100.0], [140.0, 110.0]])
    fitted = fit_spindle_ends(noisy(np.zeros(SHAPE), rng), poles)
    assert fitted.source == "model" and np.array_equal(fitted.ends, poles) and np.isnan(fitted.sd).all()
    missing = fit_spindle_ends(noisy(np.zeros(SHAPE), rng), np.array([[100.0, 100.0], [np.nan, np.nan]]))
    assert missing.source == "model" and math.isnan(missing.length)


def test_a_tubulin_only_jpeg_export_has_no_spb_dots():
    """JPEG leaves a few levels of colour bleeding in the empty green of a red-only frame: not dots."""
    import cv2

    from yoloxsp.io import to_rgb8
    from yoloxsp.model.decode import Detections
    from yoloxsp.analysis.measure import measure_spindles

    rng = np.random.default_rng(12)
    curve = straight(61, 0.4)
    red = np.clip(noisy(filament(curve, 1.6, 150.0), rng), 0, 255).astype(np.uint8)
    rgb = np.zeros(red.shape + (3,), np.uint8)
    rgb[..., 0] = red
    ok, encoded = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 75])
    frame = to_rgb8(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1])
    assert frame[..., 1].any()  # the bleeding is there
    poles = inside_poles(curve, 0.15, rng)[None]
    found = Detections(np.array([[0, 0, 1, 1]], np.float32), np.ones(1), np.zeros(1, int), poles, np.ones((1, 2)))
    measured = measure_spindles(frame, found)
    assert measured.sources == ["tubulin"]
    assert measured.lengths[0] == pytest.approx(np.linalg.norm(np.diff(reported_ends(curve, 1.6), axis=0)), rel=0.04)


def test_a_brighter_dot_beyond_reach_is_not_taken_for_the_spindles_own():
    rng = np.random.default_rng(13)
    curve = straight(60, 0.0)
    tubulin = noisy(filament(curve, 1.5, 60.0), rng)
    dots = np.zeros(SHAPE)
    for (x, y), level in ((curve[0], 4000.0), (curve[1], 4000.0), (curve[1] + [0.0, 5.5], 16000.0)):
        dots += filament(np.array([[x, y], [x + 0.01, y]]), 1.2, level)
    fitted = fit_spindle_ends(tubulin, inside_poles(curve, 0.15, rng), noisy(dots, rng, background=5.0, noise=1.0))
    assert fitted.source == "spb" and matched_error(fitted.ends, curve).max() < 0.5


@pytest.mark.parametrize("poles", [[[130.0, 100.0], [130.3, 100.0]],    # one point: nothing to follow
                                   [[300.0, 100.0], [320.0, 100.0]],    # past the frame's right edge
                                   [[-20.0, 50.0], [10.0, 50.0]]])      # partly before its left edge
def test_poles_that_give_nothing_to_fit_keep_the_networks_poles(poles):
    rng = np.random.default_rng(14)
    image = noisy(filament(straight(60, 0.0), 1.5, 60.0), rng)
    fitted = fit_spindle_ends(image, np.array(poles))
    assert fitted.source == "model" and np.array_equal(fitted.ends, np.array(poles))


def test_an_end_at_the_frame_edge_or_a_spindle_shorter_than_its_blur_is_not_fitted():
    rng = np.random.default_rng(15)
    at_edge = np.array([[-2.0, 60.0], [70.0, 60.0]])  # its first tip runs off the frame
    image = noisy(filament(at_edge, 1.5, 60.0), rng)
    poles = inside_poles(at_edge, 0.15, rng)
    assert fit_spindle_ends(image, poles).source == "model"
    short = straight(4.0, 0.3)
    image = noisy(filament(short, 1.8, 60.0), rng)
    assert fit_spindle_ends(image, short + rng.normal(0, 0.3, short.shape)).source == "model"


def test_the_spb_channel_is_used_only_where_it_shows_dots():
    """A frame's green is its SPB channel only where dots stand out of it: not when it is empty (a
    tubulin-only frame), nor when it holds colour bleeding a few levels high, but with one dot."""
    rng = np.random.default_rng(3)
    frame = np.zeros((64, 80, 3), np.uint8)
    frame[..., 0] = rng.integers(20, 200, (64, 80))
    assert spb_channel(frame) is None and spb_channel(frame[..., 0]) is None
    frame[..., 1] = rng.integers(0, 6, (64, 80))  # JPEG colour bleeding
    assert spb_channel(frame) is None
    frame[30:33, 40:43, 1] = 60
    assert np.array_equal(spb_channel(frame), frame[..., 1])


def test_the_end_model_derivatives_match_finite_differences():
    """The fit's derivatives by each of the five parameters, against central differences."""
    from yoloxsp.analysis.ends import _EndModel

    s = np.linspace(-5.0, 25.0, 61)
    params = np.array([12.0, 80.0, 9.3, 1.7, 0.03])
    model = _EndModel(s, np.zeros_like(s))
    analytic = model.jacobian(params).copy()
    for k in range(5):
        step = np.zeros(5)
        step[k] = 1e-6 * max(abs(params[k]), 1.0)
        numeric = (end_profile_model(s, *(params + step)) - end_profile_model(s, *(params - step))) / (2 * step[k])
        assert np.allclose(analytic[k], numeric, rtol=1e-5, atol=1e-5), k
    assert end_profile_model(9.3, *params) == pytest.approx(12.0 + 40.0)  # half the level at the end, scalar in


def test_a_step_sharper_than_any_blur_is_refused_without_a_warning():
    """A pixel-sharp step has no blur to fit: the fit runs to a zero width, where MINPACK's covariance
    overflows. It is refused (the network's pole stays), and numpy's overflow warning does not reach
    the user's console."""
    s = np.arange(0.0, 50.0, 0.5)
    profile = 100.0 + 20.0 * (s < 20.0) + np.random.default_rng(1).normal(0, 1.0, s.size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit_end(s, profile, 5.0, 10.0) is None
