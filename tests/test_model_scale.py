"""Frames finer than the model knows reach it at its scale (yoloxsp.model.preprocess.model_scale),
and come back in their own pixels."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

import yoloxsp
from yoloxsp.io import to_rgb8
from yoloxsp.model.preprocess import FINEST_PIXEL_SIZE, model_scale, prepare_batch
from yoloxsp.synth import SynthConfig
from yoloxsp.synth.movie import generate

pytestmark = pytest.mark.core


def test_only_known_fine_pixels_shrink_the_frame():
    assert model_scale((300, 200)) == 1.0 and model_scale((300, 200), pixel_size=0.13) == 1.0
    assert model_scale((300, 200), pixel_size=0.05) == pytest.approx(0.05 / FINEST_PIXEL_SIZE)
    assert model_scale((300, 200), input_size=150, pixel_size=0.05) == 0.5  # a letterboxing model keeps its rule
    batch = prepare_batch([np.zeros((260, 130, 3), np.uint8)], pixel_size=FINEST_PIXEL_SIZE / 2)
    assert batch.images.shape[-2:] == (160, 96) and batch.scales == [(0.5, 0.5)] and batch.sizes == [(260, 130)]
    odd = prepare_batch([np.zeros((257, 131, 3), np.uint8)], pixel_size=FINEST_PIXEL_SIZE / 2)
    assert odd.scales == [(66 / 131, 128 / 257)]  # what each axis became once rounded, to map back exactly


def test_a_fine_pixel_frame_is_found_as_at_the_models_scale_and_reported_in_its_own_pixels():
    """A field at the model's scale, and the same field with pixels half as wide: told its pixel
    size, the model finds the same spindles in the fine frame, at twice the coordinates."""
    config = SynthConfig(width=224, height=192, frames=1, seed=5, pixel_size=FINEST_PIXEL_SIZE, spindles=3)
    frame = next(iter(generate(config)))
    fine = cv2.resize(frame.image, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    detector = yoloxsp.load(ends="model")
    [native] = detector(frame.image, pixel_size=FINEST_PIXEL_SIZE)
    [told] = detector(fine, pixel_size=FINEST_PIXEL_SIZE / 2)
    assert len(native) == len(told) >= 2
    order = np.argsort(native.detections.boxes[:, 0])
    twice = native.detections.boxes[order] * 2
    assert np.abs(told.detections.boxes[np.argsort(told.detections.boxes[:, 0])] - twice).max() < 3.0
    assert told.image.shape[:2] == fine.shape[:2]  # reported on the frame as given


def test_a_frame_prepared_once_gives_the_same_batch_and_other_frames_are_refused():
    """The analysis core converts each frame to 8-bit RGB once and hands it on as such; the batch
    is the one a raw frame gives, and a frame that is not 8-bit RGB is not taken for prepared."""
    raw = (np.random.default_rng(3).random((2, 96, 128)) * 4000).astype(np.uint16)
    rgb = to_rgb8(np.moveaxis(raw, 0, -1), FINEST_PIXEL_SIZE / 2)
    once = prepare_batch([rgb], pixel_size=FINEST_PIXEL_SIZE / 2, rgb8=True)
    twice = prepare_batch([rgb], pixel_size=FINEST_PIXEL_SIZE / 2)
    from_raw = prepare_batch([np.moveaxis(raw, 0, -1)], pixel_size=FINEST_PIXEL_SIZE / 2)
    np.testing.assert_array_equal(once.images, twice.images)
    np.testing.assert_array_equal(once.images, from_raw.images)
    assert once.scales == from_raw.scales and once.sizes == from_raw.sizes
    with pytest.raises(ValueError, match="prepared frame"):
        prepare_batch([raw[0]], rgb8=True)
