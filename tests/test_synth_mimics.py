"""Spindle look-alikes of other labs' dense fields (hard negatives, never annotated), and training
fields at the scale the model is run at."""
from __future__ import annotations

import numpy as np
import pytest

from yoloxsp.data.scale import FINEST_PIXEL_SIZE
from yoloxsp.synth import SynthConfig
from yoloxsp.synth.frames import SyntheticFrames
from yoloxsp.synth.looks import training_config
from yoloxsp.synth.movie import generate

pytestmark = pytest.mark.core


def _field(mimics: float, mode: str = "two-colour") -> SynthConfig:
    channels = ("tubulin",) if mode == "tubulin-only" else ("tubulin", "spb")
    return SynthConfig(width=256, height=256, frames=1, seed=11, spindles=0, cell_coverage=0.6, mimics=mimics,
                       channel_mode=mode, channels=channels, spindle_peak=80.0, noise=0.0, jpeg_quality=None,
                       export="raw16", debris=0, autofluorescence=0.0)


@pytest.mark.parametrize("mode", ["two-colour", "tubulin-only"])
def test_look_alikes_are_as_bright_as_spindles_and_never_annotated(mode):
    plain, mimicked = (next(iter(generate(_field(m, mode)))) for m in (0.0, 1.0))
    assert plain.truth == [] and mimicked.truth == []
    tubulin = lambda frame: frame.counts[0].astype(float) - 100.0  # background 100 counts
    # interphase bundles stay at a third of a spindle's level; look-alikes reach a spindle's
    assert np.percentile(tubulin(plain), 99.9) < 0.45 * 80.0
    assert np.percentile(tubulin(mimicked), 99.9) > 0.6 * 80.0


def test_a_look_alike_bundle_carries_an_spb_dot_at_one_end_only():
    from yoloxsp.synth.scene import _mimic

    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(60):
        bundles, dot = _mimic(rng, length=12.0, width=3.5, tubulin_only=False)
        if dot is not None:  # the bright bundle: one dot, at one of its ends
            [bundle] = bundles
            assert min(abs(dot[0] - bundle.u0), abs(dot[0] - bundle.u1)) == 0 and dot[1] == bundle.v
            assert 0.7 <= bundle.brightness <= 1.2 and bundle.u1 - bundle.u0 >= 2.5
            seen.add("bundle")
        elif len(bundles) == 2:  # crossing: slants of opposite sign
            assert bundles[0].slant * bundles[1].slant < 0
            seen.add("cross")
        else:
            assert bundles[0].u1 - bundles[0].u0 <= 2.5
            seen.add("bar")
    assert seen == {"bundle", "cross", "bar"}
    # with tubulin alone a short bar is a metaphase spindle to any eye: never drawn as a negative
    for _ in range(30):
        bundles, dot = _mimic(rng, 12.0, 3.5, tubulin_only=True)
        assert len(bundles) == 2 or dot is not None


def test_training_fields_at_finer_pixels_reach_the_model_at_its_scale():
    source = SyntheticFrames(40, first_seed=10500)
    checked = 0
    for index in range(40):
        image, record = source.load(index)
        config = training_config(int(record.task.split("-")[1]), 1)
        frame = next(iter(generate(config)))
        factor = min(config.pixel_size / FINEST_PIXEL_SIZE, 1.0)
        assert image.shape[:2] == (round(config.height * factor), round(config.width * factor))
        assert (record.height, record.width) == image.shape[:2]
        truth = np.array([row.spindle.box for row in frame.truth]).reshape(-1, 4)
        boxes = np.array([s.box for s in record.spindles]).reshape(-1, 4)
        sx, sy = image.shape[1] / config.width, image.shape[0] / config.height
        np.testing.assert_allclose(boxes, truth * [sx, sy, sx, sy], rtol=1e-6)
        checked += factor < 1
    assert checked >= 3
