"""Pasted unfamiliar objects stay away from the annotation and out of channels a frame lacks."""
from __future__ import annotations

import numpy as np
import pytest

from yoloxsp.data import read_cvat
from yoloxsp.data.augment import Sample
from yoloxsp.data.dataset import AugmentConfig, SpindleDataset, keep_out
from yoloxsp.data.distractors import (Blob, Distractors, add_distractors, blob_mask, changed_box, draw_blobs,
                                     paste_blobs)

pytestmark = pytest.mark.core


def _dark(hw=(128, 160), channels=(0, 1)) -> np.ndarray:
    image = np.zeros((*hw, 3), np.uint8)
    for c in channels:
        image[..., c] = 10
    return image


def test_filled_and_hollow_blobs_have_their_shape_where_pixel_centres_lie():
    filled = blob_mask((64, 64), Blob((32.5, 32.5), (10, 5), 0.0, 0.0, 0.0, (100, 100)))
    assert filled[32, 32] == 1.0 and filled[32, 40] > 0.9 and filled[32, 45] == 0 and filled[40, 32] == 0
    rows, cols = np.indices(filled.shape) + 0.5  # yoloxsp's pixel centres
    assert np.average(cols, weights=filled) == pytest.approx(32.5, abs=0.02)
    assert np.average(rows, weights=filled) == pytest.approx(32.5, abs=0.02)
    assert 0 < filled[32, 43] < 1  # anti-aliased edge
    ring = blob_mask((64, 64), Blob((32.5, 32.5), (10, 10), 0.0, 0.0, 2.0, (100, 100)))
    assert ring[32, 32] == 0 and ring[32, 42] > 0.5


def test_paste_adds_each_channel_its_peak_and_leaves_an_empty_channel_empty():
    blob = Blob((40, 40), (6, 6), 0.0, 1.0, 0.0, (120.0, 60.0))
    two_colour = paste_blobs(_dark(), [blob])
    assert two_colour[40, 40, 0] == 130 and two_colour[40, 40, 1] == 70 and two_colour[..., 2].max() == 0
    tubulin_only = paste_blobs(_dark(channels=(0,)), [blob])
    assert tubulin_only[40, 40, 0] == 130 and tubulin_only[..., 1].max() == 0


@pytest.mark.parametrize("hollow_prob", [0.0, 1.0])
def test_blobs_change_no_pixel_of_the_given_boxes_even_in_a_bright_frame(hollow_prob):
    keep = np.array([[0, 0, 80, 128], [100, 20, 130, 60]], np.float64)
    rng = np.random.default_rng(0)
    config = Distractors(prob=1.0, count=(6, 6), softness=(2.0, 2.0), hollow_prob=hollow_prob)
    image = _dark()
    image[:2, :, :2] = 200  # the frame's bright level, so the objects come out bright
    for _ in range(200):
        pasted = add_distractors(image, keep, rng, config)
        changed = np.argwhere((pasted != image).any(axis=2))
        for x1, y1, x2, y2 in keep.astype(int):
            inside = ((changed[:, 1] >= x1) & (changed[:, 1] < x2) & (changed[:, 0] >= y1) & (changed[:, 0] < y2))
            assert not inside.any()
    assert (add_distractors(image, keep, np.random.default_rng(1), config) != image).any()


def test_the_tails_of_objects_piled_on_one_place_do_not_show_in_a_box_their_extent_misses():
    blob = Blob((60.5, 60.5), (8.0, 8.0), 0.0, 2.0, 0.0, (250.0, 250.0))
    x1, y1, x2, y2 = changed_box((128, 160), blob)
    pasted = paste_blobs(_dark(), [blob] * 10)
    assert (pasted[y1:y2, x1:x2] != 10).any()
    assert (pasted[:, x2:, :2] == 10).all() and (pasted[y2:, :, :2] == 10).all()


def test_a_one_channel_frame_gets_objects_as_bright_as_a_two_colour_one():
    rng = np.random.default_rng(4)
    peaks = [max(b.peak) for b in draw_blobs(rng, (128, 160), np.zeros((0, 4)), 100.0,
                                            Distractors(prob=1.0, count=(50, 50), brightness=(1.0, 1.0)),
                                            channels=(True, False))]
    assert peaks and min(peaks) == pytest.approx(100.0)


def test_a_full_canvas_leaves_no_place_and_pastes_nothing():
    everything = np.array([[0, 0, 160, 128]], np.float64)
    assert draw_blobs(np.random.default_rng(0), (128, 160), everything, 100.0, Distractors(prob=1.0)) == []


def test_off_by_default_without_touching_the_random_stream():
    rng = np.random.default_rng(5)
    image = _dark()
    assert add_distractors(image, np.zeros((0, 4)), rng, Distractors()) is image
    assert rng.random() == np.random.default_rng(5).random()


def test_rate_and_count_follow_the_config():
    rng = np.random.default_rng(2)
    config = Distractors(prob=0.25, count=(2, 3))
    image = _dark()
    pasted = sum((add_distractors(image, np.zeros((0, 4)), rng, config) != image).any() for _ in range(400))
    assert 75 <= pasted <= 125  # 100 expected
    counts = {len(draw_blobs(rng, (128, 160), np.zeros((0, 4)), 100.0, config)) for _ in range(50)}
    assert counts == {2, 3}


@pytest.mark.parametrize("bad", [{"prob": 1.5}, {"hollow_prob": -0.1}, {"radius": [5, 2]}, {"roundness": [0.5, 1.5]},
                                 {"count": [-1, 2]}, {"count": [1, 2.5]}])
def test_bad_settings_are_refused_by_name(bad):
    with pytest.raises(ValueError, match=f"distractors.{next(iter(bad))}"):
        Distractors(**bad)


def test_keep_out_covers_spindles_ignored_regions_and_stray_poles_with_a_margin():
    sample = Sample(_dark(), np.array([[10, 10, 30, 20]], np.float32), np.full((1, 2, 2), np.nan, np.float32),
                    stray_poles=np.array([[[50, 60], [np.nan, np.nan]]], np.float32),
                    ignore=np.array([[70, 70, 90, 80]], np.float32))
    np.testing.assert_array_equal(keep_out(sample, 8.0), [[2, 2, 38, 28], [62, 62, 98, 88], [42, 52, 58, 68]])


def test_dataset_pastes_from_json_config_outside_the_spindles_only(small_movie):
    config = AugmentConfig(distractors={"prob": 1.0, "count": [8, 8]})
    assert config.distractors == Distractors(prob=1.0, count=(8, 8))
    records = read_cvat(small_movie).records
    plain = SpindleDataset(records, input_size=128, train=True, seed=3)[0]
    pasted = SpindleDataset(records, input_size=128, train=True, augment=config, seed=3)[0]
    np.testing.assert_array_equal(pasted["gt_bboxes"].numpy(), plain["gt_bboxes"].numpy())
    changed = (pasted["img"] != plain["img"]).any(dim=0).numpy()
    assert changed.any()
    for x1, y1, x2, y2 in plain["gt_bboxes"].numpy():  # nor within the poles' reach around them (8 px)
        assert not changed[max(0, int(y1) - 8):int(np.ceil(y2)) + 8, max(0, int(x1) - 8):int(np.ceil(x2)) + 8].any()
