"""tools/look_statistics.py: the noise estimate it rests on, and what it guards in the generator:
every raw look annotates spindles that stand above the camera noise."""
from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def stats(tool):
    return tool("look_statistics")


def test_noise_sigma_ignores_smooth_structure(stats):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:128, :128]
    structure = 100 * np.exp(-((x - 64) ** 2 + (y - 40) ** 2) / 200.0) + 2 * x  # a blob on a ramp
    assert stats.noise_sigma(100 + structure + rng.normal(0, 3, (128, 128))) == pytest.approx(3, rel=0.1)


def test_spindle_level_finds_a_line_between_its_poles(stats):
    image = np.zeros((64, 64))
    image[32, 10:50] = 50.0  # a straight bar from (10, 32) to (49, 32)
    assert stats.spindle_level(image, ((10, 32), (49, 32)), 39) == 50.0
    assert stats.spindle_level(image, ((10, 10), (49, 10)), 39) == 0.0  # nothing there


def test_raw_looks_annotate_spindles_that_stand_above_the_noise(stats):
    """At most one annotated spindle in ten under 4 sigma above background in every raw look (the
    real tubulin-only movie's long spindles stand ~7 sigma above it)."""
    from yoloxsp.synth.looks import raw_looks

    faint = {look: stats.look_statistics(look, movies=4, frames=8)["faint"] for look in raw_looks()}
    assert max(faint.values()) <= 0.1, faint
