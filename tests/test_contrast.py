"""Contrast of 16-bit frames: percentile limits, and bright blobs (dead cells, debris) that would
otherwise set the range alone and press the spindles into a few grey levels."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from yoloxsp.errors import InputError
from yoloxsp.io import apply_contrast, auto_contrast, contrast_limits
from yoloxsp.metrics.boxes import matched_pairs, pairwise_iou
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend
from yoloxsp.synth.looks import LOOKS, UNSEEN_LOOKS, look_config
from yoloxsp.synth.movie import generate
from yoloxsp.synth.sets import LOOK_SET_SEED

from conftest import with_blob

pytestmark = pytest.mark.core

BACKGROUND, SPINDLE = 100.0, 60.0  # counts: a raw camera offset, and a spindle's peak above it


def _field(pixel_size: float, psf_um: float = 0.15, seed: int = 0) -> np.ndarray:
    """A raw 16-bit tubulin frame: a few thin bars (spindles) seen through a PSF, camera noise."""
    rng = np.random.default_rng(seed)
    signal = np.zeros((200, 200), np.float32)
    for row, (start, stop) in zip((40, 100, 160), ((30, 60), (80, 170), (20, 50))):
        signal[row, start:stop] = 1.0
    signal = gaussian_filter(signal, psf_um / pixel_size)
    signal *= SPINDLE / signal.max()
    return np.clip(BACKGROUND + signal + rng.normal(0, 3, signal.shape), 0, 65535).astype(np.uint16)


def _plain_percentiles(frame: np.ndarray) -> np.ndarray:
    """The limits without the blob rule: numpy's percentiles of the frame (one channel)."""
    return np.percentile(frame.astype(np.float32).ravel(), (0.5, 99.99)).astype(np.float64)


def test_auto_contrast_maps_percentiles_and_rejects_nan():
    ramp = np.arange(1000, dtype=np.uint16).reshape(10, 100)
    out = auto_contrast(ramp, 0.0, 100.0)
    assert out.min() == 0 and out.max() == 255 and out.dtype == np.uint8
    with pytest.raises(InputError, match="NaN"):
        auto_contrast(np.array([[1.0, np.nan]]))


@pytest.mark.parametrize("pixel_size", [0.06, 0.1, 0.2, None])
def test_a_frame_without_blobs_keeps_its_percentile_limits(pixel_size):
    frame = _field(pixel_size or 0.06)
    np.testing.assert_array_equal(contrast_limits(frame, pixel_size=pixel_size)[0], _plain_percentiles(frame))


@pytest.mark.parametrize("look", [*LOOKS, *UNSEEN_LOOKS])
def test_every_look_recorded_raw_keeps_its_percentile_limits(look):
    """What the model trained on and is scored on does not change: the generator's fields, each
    look recorded as a raw 16-bit stack, hold nothing the blob rule leaves out."""
    for seed in (LOOK_SET_SEED, 0):
        config = dataclasses.replace(look_config(look, seed, 3), export="raw16", jpeg_quality=None)
        for frame in generate(config):
            counts = np.moveaxis(frame.counts, 0, -1)
            limits = contrast_limits(counts, pixel_size=config.pixel_size)
            for channel in range(counts.shape[2]):
                np.testing.assert_array_equal(limits[channel], _plain_percentiles(counts[..., channel]))


@pytest.mark.parametrize("pixel_size, psf_um", [(0.06, 0.31), (0.083, 0.45)])
def test_blurred_spindles_of_a_widefield_microscope_are_not_blobs(pixel_size, psf_um):
    """A wide PSF (sigma 0.31 um in the generator's widefield look, 0.45 um far out of focus) makes
    spindles wide in pixels; they must still count as thin."""
    frame = _field(pixel_size, psf_um=psf_um)
    np.testing.assert_array_equal(contrast_limits(frame, pixel_size=pixel_size)[0], _plain_percentiles(frame))


@pytest.mark.parametrize("pixel_size", [0.1, None])
def test_a_dead_cell_far_brighter_than_the_spindles_saturates_and_leaves_their_contrast(pixel_size):
    clean = _field(0.1)
    blobbed = with_blob(clean, (150, 60), radius_px=15, brightness=20 * SPINDLE)
    low, high = contrast_limits(blobbed, pixel_size=pixel_size)[0]
    clean_low, clean_high = _plain_percentiles(clean)
    assert _plain_percentiles(blobbed)[1] > 10 * clean_high - 9 * clean_low  # what the percentile alone gives
    assert low == pytest.approx(clean_low, abs=1)
    assert high == pytest.approx(clean_high, rel=0.1)
    stretched = auto_contrast(blobbed, pixel_size=pixel_size)[..., 0]
    assert stretched[60, 150] == 255
    assert stretched[100, 80:170].mean() > 150  # the long spindle keeps most of its contrast


@pytest.mark.parametrize("channels", [1, 2, 3])
def test_sixteen_bit_frames_are_mapped_as_their_float_values_are(channels):
    """16-bit frames go through a lookup table per channel; it must give the float arithmetic's levels,
    each channel with its own limits, in the channel order given."""
    rng = np.random.default_rng(channels)
    every_value = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    frame = np.stack([np.roll(every_value, 97 * c) for c in range(channels)], axis=-1)
    for _ in range(20):
        limits = np.sort(rng.uniform(0, 65535, (channels, 2)), axis=1)
        mapped = apply_contrast(frame, limits)
        assert mapped.shape == frame.shape and mapped.dtype == np.uint8
        np.testing.assert_array_equal(mapped, apply_contrast(frame.astype(np.float64), limits))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_frames_of_other_depths_keep_numpys_percentiles_exactly(dtype):
    frame = _field(0.1).astype(dtype)
    limits = contrast_limits(frame, pixel_size=0.1)
    assert limits.dtype == np.float64
    np.testing.assert_array_equal(limits[0], _plain_percentiles(frame))


def test_a_float_frame_with_a_dead_cell_is_treated_like_a_16_bit_one():
    blobbed = with_blob(_field(0.1), (150, 60), radius_px=15, brightness=20 * SPINDLE)
    np.testing.assert_array_equal(contrast_limits(blobbed.astype(np.float32), pixel_size=0.1),
                                  contrast_limits(blobbed, pixel_size=0.1))


@pytest.mark.parametrize("pixel_size", [0.1, None])
def test_a_cell_whose_cytoplasm_glows_around_its_spindle_is_no_blob(pixel_size):
    """Its cytoplasm, above half the range, holds the core and is far brighter than the dark field
    around it, but the spindle rises above it: the cell is not flat-topped, and the spindle is
    not saturated with its cell."""
    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[:200, :300]
    cell = gaussian_filter((((xx - 150) / 60.0) ** 2 + ((yy - 100) / 18.0) ** 2 <= 1).astype(np.float32), 3)
    spindle = np.zeros_like(cell)
    spindle[100, 125:175] = 1
    spindle = gaussian_filter(spindle, 1.5)
    frame = BACKGROUND + 80 * cell + SPINDLE * spindle / spindle.max() + rng.normal(0, 3, cell.shape)
    frame = np.clip(frame, 0, 65535).astype(np.uint16)
    np.testing.assert_array_equal(contrast_limits(frame, pixel_size=pixel_size)[0], _plain_percentiles(frame))


def test_a_glowing_cell_with_one_bright_dot_is_no_blob():
    """An SPB dot of 9 pixels in a glowing cell of ten thousand: too few to reach the cell's 99.9th
    percentile, but it rises above the cell, so the cell is not flat-topped."""
    rng = np.random.default_rng(6)
    yy, xx = np.mgrid[:400, :400]
    cell = gaussian_filter((((xx - 200) / 117.0) ** 2 + ((yy - 200) / 29.0) ** 2 <= 1).astype(np.float32), 2)
    frame = BACKGROUND + 80 * cell + rng.normal(0, 3, cell.shape)
    frame[199:202, 249:252] += 120
    frame = np.clip(frame, 0, 65535).astype(np.uint16)
    np.testing.assert_array_equal(contrast_limits(frame, pixel_size=0.06)[0], _plain_percentiles(frame))


def test_a_brighter_tile_of_a_large_field_is_no_blob():
    """A stitched tile with a background 400 counts higher covers far less than a quarter of the
    field, and its spindles rise little above it, but it is far larger than a dead cell can be:
    its spindles keep their contrast."""
    frame = np.tile(_field(0.1), (5, 5)).astype(np.float32)[:1000, :1000]
    frame[200:600, 200:600] += 400
    frame = frame.astype(np.uint16)
    np.testing.assert_array_equal(contrast_limits(frame, pixel_size=0.1)[0], _plain_percentiles(frame))


def test_a_brighter_half_of_the_field_is_no_blob():
    frame = _field(0.1).astype(np.float32)
    frame[:, 100:] += 400
    frame = frame.astype(np.uint16)
    np.testing.assert_array_equal(contrast_limits(frame, pixel_size=0.1)[0], _plain_percentiles(frame))


@pytest.mark.parametrize("gap", [2, 4])
def test_a_blurred_spindle_along_the_border_is_no_blob(gap):
    """Outside the frame is dark, not a copy of the border: a spindle near it stays as thin as it is."""
    signal = np.zeros((200, 200), np.float32)
    signal[gap, 40:160] = 1
    signal = gaussian_filter(signal, 0.31 / 0.06)
    frame = BACKGROUND + SPINDLE * signal / signal.max() + np.random.default_rng(4).normal(0, 3, signal.shape)
    frame = np.clip(frame, 0, 65535).astype(np.uint16)
    np.testing.assert_array_equal(contrast_limits(frame, pixel_size=0.06)[0], _plain_percentiles(frame))


@pytest.mark.parametrize("wrong", [65.0, 352.0, 0.0, -0.1, float("nan")])
def test_an_implausible_pixel_size_is_taken_for_unknown(wrong):
    """A pixel size in nm, or a resolution tag read as one, would make every spindle a blob."""
    frame = with_blob(_field(0.2), (150, 60), radius_px=3.5, brightness=20 * SPINDLE)
    np.testing.assert_array_equal(contrast_limits(frame, pixel_size=wrong), contrast_limits(frame))


def test_a_blob_only_a_little_brighter_than_the_spindles_changes_nothing():
    frame = with_blob(_field(0.1), (150, 60), radius_px=15, brightness=2 * SPINDLE)
    np.testing.assert_array_equal(contrast_limits(frame, pixel_size=0.1)[0], _plain_percentiles(frame))


def test_the_pixel_size_sets_how_wide_a_blob_is():
    """A blob 7 px across is a dead cell at 0.2 um/px (1.4 um) and a spindle's width at 0.06."""
    frame = with_blob(_field(0.2), (150, 60), radius_px=3.5, brightness=20 * SPINDLE)
    plain = _plain_percentiles(frame)
    assert contrast_limits(frame, pixel_size=0.2)[0][1] < plain[1] / 5
    np.testing.assert_array_equal(contrast_limits(frame, pixel_size=0.06)[0], plain)


def test_a_noisy_blob_of_any_shape_is_left_out_whole():
    """A dead cell with an arm too thin to hold the core (its whole bright part goes, not just
    the disc around the core), under shot noise."""
    clean = _field(0.1)
    yy, xx = np.mgrid[:200, :200]
    shape = ((xx - 150) ** 2 + (yy - 60) ** 2 <= 12 ** 2) | ((abs(yy - 60) <= 2) & (xx >= 150) & (xx < 190))
    blob = gaussian_filter(shape.astype(np.float32), 1.5) * 20 * SPINDLE
    blob += np.random.default_rng(5).normal(0, 1, blob.shape) * np.sqrt(blob) * 2  # shot noise, gain 4
    blobbed = np.clip(clean + blob, 0, 65535).astype(np.uint16)
    assert contrast_limits(blobbed, pixel_size=0.1)[0][1] == pytest.approx(_plain_percentiles(clean)[1], rel=0.1)


def test_two_blobs_of_different_brightness_are_both_left_out():
    clean = _field(0.1)
    blobbed = with_blob(with_blob(clean, (150, 60), 15, 40 * SPINDLE), (40, 130), 12, 8 * SPINDLE)
    assert contrast_limits(blobbed, pixel_size=0.1)[0][1] == pytest.approx(_plain_percentiles(clean)[1], rel=0.1)


def test_each_channel_is_judged_on_its_own():
    tubulin, spb = _field(0.1), _field(0.1, seed=1)
    frame = np.stack([with_blob(tubulin, (150, 60), 15, 20 * SPINDLE), spb], axis=-1)
    limits = contrast_limits(frame, pixel_size=0.1)
    assert limits[0][1] == pytest.approx(_plain_percentiles(tubulin)[1], rel=0.1)
    np.testing.assert_array_equal(limits[1], _plain_percentiles(spb))


def test_the_bundled_model_finds_raw_spindles_beside_a_bright_dead_cell(dead_cell_frames):
    """Told the pixel size, the model finds beside a dead cell what it found without it; not told,
    the blob is too narrow for the pixel size assumed, and the spindles fade."""
    pixel_size, frames = dead_cell_frames
    predictor = Predictor(open_backend("yoloxsp"))
    found = {"clean": 0, "told": 0, "not told": 0}
    for clean, blobbed, truth in frames:
        for name, frame, size in (("clean", clean, pixel_size), ("told", blobbed, pixel_size),
                                  ("not told", blobbed, None)):
            detections = predictor([frame], size)[0]
            found[name] += len(matched_pairs(pairwise_iou(detections.boxes, truth), 0.5)[0])
    n_truth = sum(len(truth) for _, _, truth in frames)
    assert n_truth >= 8 and found["clean"] >= 0.9 * n_truth
    assert found["told"] >= found["clean"] - 1
    assert found["not told"] < 0.5 * found["clean"]
