"""The fine-tuning recipe's camera-noise augmentation: pixels only, empty channels left empty."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from yoloxsp.data import read_cvat
from yoloxsp.data.augment import add_noise
from yoloxsp.data.dataset import AugmentConfig, SpindleDataset
from yoloxsp.synth import SynthConfig, write_movie

pytestmark = pytest.mark.core


def test_noise_has_its_strength_and_leaves_an_empty_channel_empty():
    image = np.zeros((64, 64, 3), np.uint8)
    image[..., 0] = 100
    noisy = add_noise(image, np.random.default_rng(0), 4.0)
    assert noisy.dtype == np.uint8
    assert np.std(noisy[..., 0].astype(float)) == pytest.approx(4.0, rel=0.1)
    assert not noisy[..., 1:].any()


def test_noise_changes_the_pixels_and_nothing_else(tmp_path):
    """Two seeded datasets, with and without noise: the same crops, flips and annotations; images
    differ by noise of the configured strength on the channels that hold a signal."""
    movie = write_movie(tmp_path / "m", SynthConfig(width=160, height=160, frames=2, seed=4, pixel_size=0.12,
                                                    spindles=2, jpeg_quality=None))
    records = read_cvat(movie).records
    plain, noisy = (SpindleDataset(records, input_size=128, seed=7,
                                   augment=AugmentConfig(mosaic_prob=0.0, noise_sigma=sigma))
                    for sigma in ((0.0, 0.0), (3.0, 3.0)))
    for index in range(len(records)):
        a, b = plain[index], noisy[index]
        for key in ("gt_bboxes", "gt_poles", "gt_heatmap"):
            assert torch.equal(a[key].nan_to_num(-1), b[key].nan_to_num(-1)), key
        difference = (b["img"] - a["img"])[0]  # the tubulin channel
        assert 2.0 < float(difference.std()) < 4.0  # sigma 3, less where clipping at 0 or 255 bites
        assert torch.equal(a["img"][2] == 0, b["img"][2] == 0)  # blue holds no marker: stays empty


def test_noise_range_is_checked():
    with pytest.raises(ValueError, match="noise_sigma"):
        AugmentConfig(noise_sigma=(3.0, 1.0))
