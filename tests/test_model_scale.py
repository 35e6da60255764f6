"""Frames finer than the model knows reach it at its scale (yoloxsp.model.preprocess.model_scale),
and come back in their own pixels."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

import yoloxsp
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
