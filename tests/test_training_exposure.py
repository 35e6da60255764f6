"""tools/training_exposure.py: a spindle counts as whole only with both poles, and a mosaic cuts
more spindles than a single field placed on the canvas (the premise the tool measures)."""
from __future__ import annotations

import numpy as np
import pytest

from yoloxsp.data.dataset import AugmentConfig, SpindleDataset
from yoloxsp.synth.frames import SyntheticFrames

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def exposure(tool):
    return tool("training_exposure")


def test_a_spindle_missing_a_pole_is_cut_not_short(exposure):
    poles = np.array([[[0, 0], [30, 40]], [[0, 0], [np.nan, np.nan]], [[5, 5], [5, 125]]], float)
    lengths = exposure.pole_lengths(poles)
    np.testing.assert_allclose(lengths[[0, 2]], [50.0, 120.0])
    assert np.isnan(lengths[1])
    assert exposure.counts(lengths, 2) == "whole 1.00 (>= 50 px 1.000, >= 70 px 0.500, >= 100 px 0.500), cut 0.50"


def test_a_mosaic_cuts_more_spindles_than_a_single_field(exposure):
    fields = SyntheticFrames(6)

    def cut_share(mosaic_prob: float) -> float:
        dataset = SpindleDataset(fields, 256, train=True, augment=AugmentConfig(mosaic_prob=mosaic_prob), seed=0)
        lengths = np.concatenate([exposure.pole_lengths(dataset[i % 6]["gt_poles"].numpy()) for i in range(24)])
        return float(np.mean(~np.isfinite(lengths)))

    assert cut_share(1.0) > cut_share(0.0)
