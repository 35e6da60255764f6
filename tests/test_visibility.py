"""Spindle visibility (yoloxsp.synth.visibility): the noise estimate it rests on, and the guard it
keeps on the generator: every raw look annotates spindles that stand above the camera noise (a
look that annotates spindles nobody could see teaches the model to report noise)."""
from __future__ import annotations

import numpy as np
import pytest

from yoloxsp.synth.visibility import FAINT_SNR, noise_sigma, spindle_level, spindle_snrs

pytestmark = pytest.mark.core


def test_noise_sigma_ignores_smooth_structure():
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:128, :128]
    structure = 100 * np.exp(-((x - 64) ** 2 + (y - 40) ** 2) / 200.0) + 2 * x  # a blob on a ramp
    assert noise_sigma(100 + structure + rng.normal(0, 3, (128, 128))) == pytest.approx(3, rel=0.1)


def test_spindle_level_finds_a_line_between_its_poles():
    image = np.zeros((64, 64))
    image[32, 10:50] = 50.0  # a straight bar from (10, 32) to (49, 32)
    assert spindle_level(image, ((10, 32), (49, 32)), 39) == 50.0
    assert spindle_level(image, ((10, 10), (49, 10)), 39) == 0.0  # nothing there


def test_raw_looks_annotate_spindles_that_stand_above_the_noise():
    """At most one annotated spindle in ten under 4 sigma above background in every raw look (the
    real tubulin-only movie's long spindles stand ~7 sigma above it), on 4 held-out movies x 8
    frames of each."""
    from yoloxsp.synth import generate
    from yoloxsp.synth.looks import look_config, raw_looks
    from yoloxsp.synth.sets import LOOK_SET_SEED

    faint = {}
    for look in raw_looks():
        configs = [look_config(look, seed, 8) for seed in range(LOOK_SET_SEED, LOOK_SET_SEED + 4)]
        snrs = np.array([snr for config in configs for frame in generate(config)
                         for snr in spindle_snrs(frame, config)])
        faint[look] = float(np.mean(snrs[np.isfinite(snrs)] < FAINT_SNR))
    assert max(faint.values()) <= 0.1, faint
