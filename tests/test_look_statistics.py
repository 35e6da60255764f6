"""Spindle visibility (yoloxsp.synth.visibility): the noise estimate it rests on, and what
tools/look_statistics.py guards with it in the generator: every raw look annotates spindles that
stand above the camera noise."""
from __future__ import annotations

import numpy as np
import pytest

from yoloxsp.synth.visibility import noise_sigma, spindle_level

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def stats(tool):
    return tool("look_statistics")


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


def test_raw_looks_annotate_spindles_that_stand_above_the_noise(stats):
    """At most one annotated spindle in ten under 4 sigma above background in every raw look (the
    real tubulin-only movie's long spindles stand ~7 sigma above it)."""
    from yoloxsp.synth.looks import raw_looks

    faint = {look: stats.look_statistics(look, movies=4, frames=8)["faint"] for look in raw_looks()}
    assert max(faint.values()) <= 0.1, faint


def test_visible_frames_keep_a_spindle_above_the_noise_and_drop_it_when_dimmed_into_it():
    from dataclasses import replace

    from yoloxsp.synth.sets import crop_movie_configs
    from yoloxsp.synth.visibility import visible_frames

    movie = crop_movie_configs(1, frames=12)[0]  # one spindle in every frame, 8.6-20 sigma
    assert visible_frames(movie) == list(range(12))
    assert visible_frames(replace(movie, spindle_peak=2.0)) == []
    assert 0 < len(visible_frames(replace(movie, spindle_peak=10.0))) < 12  # some frames only
    with pytest.raises(ValueError, match="raw counts"):
        visible_frames(replace(movie, export="avi8"))
