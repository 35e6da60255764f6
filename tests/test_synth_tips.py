"""The generator's measured spindle looks: tips blurred as a PSF blurs a bundle that stops at the
SPBs, brightness uneven along the spindle, and the look that draws them (tubulin-only-fine)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from yoloxsp.errors import InputError
from yoloxsp.analysis.ends import fit_spindle_ends, level_offset
from yoloxsp.synth import SynthConfig
from yoloxsp.synth.looks import LOOKS, look_config, training_config
from yoloxsp.synth.movie import generate
from yoloxsp.synth.render import Canvas, uneven_brightness

pytestmark = pytest.mark.core

PIXEL = 0.065  # um


def drawn(sigma_um: float = 0.2, brightness=np.ones_like) -> np.ndarray:
    """A straight 4 um spindle from (3, 4) to (7, 4) um, drawn with blurred tips, level 100."""
    canvas = Canvas(200, 130, PIXEL)
    canvas.filament(canvas.red, np.array([[3.0, 4.0], [5.0, 4.0], [7.0, 4.0]]), sigma_um, 100.0, brightness)
    return canvas.red


def value_at(layer: np.ndarray, x_um: float, y_um: float) -> float:
    return float(layer[int(y_um / PIXEL), int(x_um / PIXEL)])


def test_a_blurred_tip_is_at_half_level_at_its_end_and_fades_as_a_psf_makes_it():
    layer = drawn()
    y = (int(4.0 / PIXEL) + 0.5) * PIXEL  # a pixel centre on the axis
    middle = value_at(layer, 5.0, y)
    sigma_px = 0.2 / PIXEL
    for x_end, outward in ((3.0, -1), (7.0, 1)):
        at_end = np.interp(x_end / PIXEL, np.arange(layer.shape[1]) + 0.5, layer[int(y / PIXEL)])
        assert at_end / middle == pytest.approx(0.5, abs=0.03)
        beyond = np.interp(x_end / PIXEL + outward * 2 * sigma_px, np.arange(layer.shape[1]) + 0.5, layer[int(y / PIXEL)])
        assert beyond / middle == pytest.approx(0.5 * math.erfc(2 / math.sqrt(2)), abs=0.01)
    across = layer[:, int(5.0 / PIXEL)]
    assert np.argmax(across) == int(y / PIXEL) and across[int(y / PIXEL) + 3] / middle == pytest.approx(
        math.exp(-0.5 * (3 / sigma_px) ** 2), abs=0.02)


def test_the_end_fit_finds_the_drawn_ends():
    rng = np.random.default_rng(0)
    image = 100.0 + drawn(0.18) + rng.normal(0, 3.0, (130, 200))
    truth = np.array([[3.0, 4.0], [7.0, 4.0]]) / PIXEL
    poles = truth + np.array([[0.15, 0.0], [-0.15, 0.0]]) * (truth[1, 0] - truth[0, 0])  # well inside
    found = fit_spindle_ends(image, poles, end_level=0.5)
    assert found.source == "tubulin" and np.abs(found.ends - truth).max() < 0.6
    reported = fit_spindle_ends(image, poles)  # END_LEVEL: a little beyond the half-level point
    assert np.abs(reported.ends[:, 0] - truth[:, 0]).max() == pytest.approx(level_offset(0.18 / PIXEL, 0.4),
                                                                            abs=0.6)


def test_brightness_varies_along_the_spindle_as_drawn():
    pattern = uneven_brightness(0.4, seed=3, track_id=1)
    u = np.linspace(0, 1, 201)
    values = pattern(u)
    assert values.mean() == pytest.approx(1.0, abs=0.1) and 0.6 <= values.min() and values.max() <= 1.4
    assert np.ptp(values) > 0.1 and np.array_equal(values, uneven_brightness(0.4, 3, 1)(u))  # its own, every frame
    assert not np.allclose(values, uneven_brightness(0.4, 3, 2)(u))
    layer = drawn(brightness=pattern)
    y = 4.0 + 0.5 * PIXEL
    ratio = value_at(layer, 3.6, y) / value_at(layer, 6.4, y)
    assert ratio == pytest.approx(pattern(np.array([0.15]))[0] / pattern(np.array([0.85]))[0], rel=0.05)


def test_unevenness_needs_blurred_tips_and_stays_within_bounds():
    with pytest.raises(InputError, match="blurred tips only"):
        SynthConfig(unevenness=0.3)
    with pytest.raises(InputError, match="unevenness"):
        SynthConfig(unevenness=1.5, blurred_tips=True)


def test_the_fine_tubulin_only_look_draws_what_real_tubulin_only_movies_measure():
    configs = [look_config("tubulin-only-fine", seed, 2) for seed in range(12)]
    for config in configs:
        assert 0.05 <= config.pixel_size <= 0.08 and config.channel_mode == "tubulin-only"
        assert config.blurred_tips and 0.2 <= config.unevenness <= 0.4 and config.spindles == 1
        assert config.export == "raw16" and min(config.width, config.height) <= 160
    frame = next(iter(generate(configs[0])))
    assert frame.counts.shape[0] == 1 and frame.image.dtype == np.uint8
    # no training draws it, but every training look draws its tips and uneven brightness
    assert "tubulin-only-fine" not in LOOKS
    training = [training_config(seed, 1) for seed in range(40)]
    assert all(config.blurred_tips and 0 <= config.unevenness <= 0.4 for config in training)
    assert len({config.unevenness for config in training}) > 10
