"""tools/probe_look.py: each variant changes the one thing its name says and keeps the movie."""
from __future__ import annotations

import dataclasses

import pytest

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def probe(tool):
    return tool("probe_look")


@pytest.fixture
def crop():
    from yoloxsp.synth.sets import crop_movie_configs

    return crop_movie_configs(1, frames=4)[0]


def test_variants_change_one_knob(probe, crop):
    field = probe.full_field(crop)
    assert min(field.width, field.height) >= 256 > min(crop.width, crop.height)
    coarse = probe.coarser_pixels(crop)
    assert coarse.pixel_size == pytest.approx(2 * crop.pixel_size) and coarse.width == crop.width // 2
    bright = probe.brighter(crop)
    assert bright.spindle_peak == pytest.approx(3 * crop.spindle_peak) and bright.noise < crop.noise
    assert probe.no_clutter(crop).bright_bundles == 0 < crop.bright_bundles
    lawn = dataclasses.replace(crop, overlap=True)
    assert probe.side_by_side(lawn).overlap is False
    assert probe.undimmed(crop).length_dimming == 0 < crop.length_dimming
    dead = probe.with_dead_cells(20.0, 2.0)(crop)
    assert (dead.dead_cells, dead.dead_cell_brightness, dead.dead_cell_size) == (3, 20.0, 2.0)
    assert (crop.dead_cells, crop.dead_cell_brightness, crop.dead_cell_size) == (0, 1.0, 1.0)
    eight = probe.eight_bit(crop)
    assert eight.export == "avi8" != crop.export and eight.channels == crop.channels
    for variant in probe.VARIANTS.values():
        changed = variant(crop)
        assert (changed.seed, changed.frames, changed.channel_mode) == (crop.seed, crop.frames, crop.channel_mode)


def test_the_bundled_model_finds_the_spindle_of_a_bright_crop(probe, crop, tmp_path):
    from yoloxsp.model.backends import Predictor
    from yoloxsp.model.resolve import open_backend

    row = probe.score([probe.brighter(crop)], Predictor(open_backend("yoloxsp")), tmp_path)
    assert row["recall"] >= 0.5 and row["detections"] >= 2, row  # 4 frames, one spindle each
