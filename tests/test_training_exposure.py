"""tools/training_exposure.py: a spindle counts as whole only with both poles, and a mosaic cuts
more spindles than a single field placed on the canvas (the premise the tool measures)."""
from __future__ import annotations

import numpy as np
import pytest

from yoloxsp.data.dataset import AugmentConfig, SpindleDataset
from yoloxsp.synth.frames import SyntheticFrames

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def tool_module(tool):
    return tool("training_exposure")


def test_a_spindle_missing_a_pole_is_cut_not_short(tool_module):
    poles = np.array([[[0, 0], [30, 40]], [[0, 0], [np.nan, np.nan]], [[5, 5], [5, 125]]], float)
    lengths = tool_module.pole_lengths(poles)
    np.testing.assert_allclose(lengths[[0, 2]], [50.0, 120.0])
    assert np.isnan(lengths[1])
    assert tool_module.exposure(lengths, 2) == {"whole": 1.0, ">= 50 px": 1.0, ">= 70 px": 0.5, ">= 100 px": 0.5,
                                                "cut": 0.5}


def test_a_mosaic_cuts_more_spindles_than_a_single_field(tool_module):
    fields = SyntheticFrames(6)

    def cut_per_item(mosaic_prob: float) -> float:
        dataset = SpindleDataset(fields, 256, train=True, augment=AugmentConfig(mosaic_prob=mosaic_prob), seed=0)
        lengths = np.concatenate([tool_module.pole_lengths(dataset[i % 6]["gt_poles"].numpy()) for i in range(24)])
        return tool_module.exposure(lengths, 24)["cut"]

    assert cut_per_item(1.0) > cut_per_item(0.0)
