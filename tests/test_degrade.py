"""Training degradations change pixels the way other recordings do, and only when asked to."""
from __future__ import annotations

import numpy as np
import pytest

from yoloxsp.data import read_cvat
from yoloxsp.data.dataset import AugmentConfig, SpindleDataset
from yoloxsp.data.degrade import Degradations, blur, degrade, drop_spb, remap_display
from yoloxsp.io.images import jpeg_round_trip as jpeg

pytestmark = pytest.mark.core


def _field(seed: int = 0) -> np.ndarray:
    """A dark field with a red bar and two green spots at its ends, plus noise."""
    rng = np.random.default_rng(seed)
    image = rng.integers(5, 20, (64, 96, 3)).astype(np.uint8)
    image[30:34, 20:70, 0] = 220
    image[29:35, 18:22, 1] = 200
    image[29:35, 68:72, 1] = 200
    return image


def test_drop_spb_empties_only_the_green_channel():
    image = _field()
    dropped = drop_spb(image)
    assert dropped[..., 1].max() == 0
    np.testing.assert_array_equal(dropped[..., [0, 2]], image[..., [0, 2]])
    assert image[..., 1].max() == 200  # the input is not modified


def test_blur_spreads_a_bar_without_moving_its_mass():
    image = _field()
    blurred = blur(image, 1.5)
    assert blurred[..., 0].max() < 200  # the 4 px bar is spread out
    assert abs(float(blurred[..., 0].astype(float).sum() - image[..., 0].astype(float).sum())) \
        < 0.02 * image[..., 0].sum()
    assert blurred[30:34, 20:70, 0].mean() > 4 * blurred[:10, :, 0].mean()  # still where it was


def test_jpeg_loses_detail_by_quality_and_keeps_the_channel_order():
    image = _field()
    error = {q: np.abs(jpeg(image, q).astype(int) - image).mean() for q in (25, 90)}
    assert 0 < error[90] < error[25]
    low = jpeg(image, 25)
    assert low.shape == image.shape and low.dtype == np.uint8
    assert low[30:34, 30:60, 0].mean() > 150 and low[30:34, 30:60, 2].mean() < 60  # red stays red


def test_remap_display_moves_levels_per_channel_and_leaves_empty_and_blue_channels_alone():
    image = _field()
    image[..., 2] = 7
    same = remap_display(image, np.zeros(2), np.ones(2), np.ones(2))
    np.testing.assert_array_equal(same, image)  # the identity mapping changes nothing
    out = remap_display(image, np.array([30.0, 0.0]), np.array([1.0, 2.0]), np.array([1.0, 0.5]))
    np.testing.assert_array_equal(out[..., 0].astype(int), image[..., 0].astype(int) + 30)  # a raised black level
    assert out[29:35, 18:22, 1].min() == 255  # gain 2 saturates the SPB spots
    background = image[:10, :, 1].astype(float)
    lifted = 2 * 255 * (background / 255) ** 0.5  # gamma 0.5 lifts the dark levels most
    assert np.abs(out[:10, :, 1] - lifted).max() <= 0.5 + 1e-6
    np.testing.assert_array_equal(out[..., 2], image[..., 2])  # blue holds no marker: untouched
    tubulin_only = drop_spb(image)
    assert remap_display(tubulin_only, np.full(2, 30.0), np.ones(2), np.ones(2))[..., 1].max() == 0
    assert image[30, 30, 0] == 220  # the input is not modified


def test_display_degradation_draws_nothing_when_off():
    """Configs without it keep the random streams of their other degradations."""
    image = _field()
    config = Degradations(drop_spb_prob=0.5, jpeg_prob=0.5)
    with_display_off = [degrade(image, np.random.default_rng(seed), config) for seed in range(20)]
    for seed, out in enumerate(with_display_off):
        expected = image
        rng = np.random.default_rng(seed)
        if rng.random() < 0.5:
            expected = drop_spb(expected)
        rng.random()  # blur's draw
        if rng.random() < 0.5:
            expected = jpeg(expected, int(rng.integers(25, 91)))
        np.testing.assert_array_equal(out, expected)


def test_degrade_applies_nothing_by_default_and_everything_at_probability_one():
    image = _field()
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(degrade(image, rng, Degradations()), image)
    every = Degradations(drop_spb_prob=1.0, blur_prob=1.0, blur_sigma=(1.0, 1.0), display_prob=1.0,
                         display_offset=(20.0, 20.0), display_gain=(1.0, 1.0), display_gamma=(1.0, 1.0),
                         jpeg_prob=1.0, jpeg_quality=(90, 90))
    out = degrade(image, np.random.default_rng(0), every)
    assert out[..., 1].max() < 30  # green dropped (and stays empty): only JPEG colour bleeding is left
    assert out[..., 0].max() < 235  # blurred
    raised = remap_display(blur(drop_spb(image), 1.0), np.full(2, 20.0), np.ones(2), np.ones(2))
    np.testing.assert_array_equal(out, jpeg(raised, 90))


def test_degradations_from_json_lists_are_checked_and_hashable():
    config = Degradations(blur_prob=0.5, blur_sigma=[0.5, 2.0], jpeg_quality=[30, 80])
    assert config.blur_sigma == (0.5, 2.0) and config.jpeg_quality == (30, 80) and hash(config)
    with pytest.raises(ValueError, match="jpeg_quality"):
        Degradations(jpeg_quality=[90, 30])
    with pytest.raises(ValueError, match="drop_spb_prob"):
        Degradations(drop_spb_prob=1.5)
    with pytest.raises(ValueError, match="display_gain"):
        Degradations(display_gain=[1.5, 0.5])
    with pytest.raises(ValueError, match="display_gamma"):
        Degradations(display_gamma=[0.0, 1.0])  # gamma 0 would make a channel constant


def test_degradation_rates_follow_their_probabilities():
    image = _field()
    rng = np.random.default_rng(1)
    config = Degradations(drop_spb_prob=0.3)
    dropped = sum(degrade(image, rng, config)[..., 1].max() == 0 for _ in range(400))
    assert 90 <= dropped <= 150  # 120 expected


def test_augment_config_reads_degradations_from_json_and_dataset_applies_them(small_movie):
    config = AugmentConfig(degradations={"drop_spb_prob": 1.0})
    assert config.degradations == Degradations(drop_spb_prob=1.0)
    records = read_cvat(small_movie).records
    plain = SpindleDataset(records, input_size=128, train=True, seed=3)
    dropped = SpindleDataset(records, input_size=128, train=True, augment=config, seed=3)
    assert plain[0]["img"][1].max() > 100
    assert dropped[0]["img"][1].max() == 0
    np.testing.assert_array_equal(dropped[0]["img"][0].numpy(), plain[0]["img"][0].numpy())
    dropped.disable_augmentation()  # the final plain epochs: no degradation either
    assert dropped[0]["img"][1].max() > 100
