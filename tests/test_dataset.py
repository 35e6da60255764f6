"""The training dataset: image, boxes, poles and heatmap stay consistent through augmentation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from yoloxsp.data import read_cvat
from yoloxsp.data.augment import Sample, dihedral_matrix, warp
from yoloxsp.data.dataset import AugmentConfig, SpindleDataset, collate
from yoloxsp.data.heatmap import pole_heatmap, pole_loss_mask

pytestmark = pytest.mark.core


def test_heatmap_peaks_at_the_exact_subpixel_pole():
    # Pole at x=41, y=22 px, stride 4: in cell units (centres at (j+0.5)*4) that is (9.75, 5.0).
    heatmap = pole_heatmap(np.array([[41.0, 22.0]]), (64, 64), stride=4, sigma=1.0)
    assert heatmap.shape == (16, 16)
    assert np.unravel_index(heatmap.argmax(), heatmap.shape) == (5, 10)
    assert heatmap[5, 10] == pytest.approx(np.exp(-0.25 ** 2 / 2), rel=1e-6)
    assert heatmap[5, 9] == pytest.approx(np.exp(-0.75 ** 2 / 2), rel=1e-6)
    assert heatmap[4, 10] == pytest.approx(np.exp(-(0.25 ** 2 + 1) / 2), rel=1e-6)
    on_centre = pole_heatmap(np.array([[38.0, 22.0]]), (64, 64))
    assert on_centre.max() == pytest.approx(1.0)


def test_heatmap_skips_missing_poles_and_mask_ignores_unknown_regions():
    assert pole_heatmap(np.array([[np.nan, np.nan]]), (32, 32)).max() == 0
    mask = pole_loss_mask([(8, 8, 16, 12)], (32, 32), stride=4)
    assert mask.sum() == 64 - 2 * 1 and mask[2, 2] == 0 and mask[0, 0] == 1


def _green_at(image: torch.Tensor, points: torch.Tensor) -> np.ndarray:
    """Max green (SPB) value within 1.5 px of each finite point."""
    green = image[1].numpy()
    values = []
    for x, y in points.reshape(-1, 2).numpy():
        if np.isfinite(x):
            i, j = int(y), int(x)
            values.append(green[max(i - 1, 0):i + 2, max(j - 1, 0):j + 2].max())
    return np.array(values)


def test_augmented_items_keep_poles_on_spb_spots_and_inside_boxes(small_movie):
    records = read_cvat(small_movie).records
    dataset = SpindleDataset(records, input_size=256, train=True, seed=1)
    background = np.median(dataset[0]["img"][1].numpy())
    checked = 0
    for index in range(12):
        item = dataset[index % len(dataset)]
        assert item["img"].shape == (3, 256, 256)
        assert item["gt_heatmap"].shape == item["gt_heatmap_mask"].shape == (1, 64, 64)
        boxes, poles = item["gt_bboxes"], item["gt_poles"]
        assert len(boxes) == len(poles) == len(item["gt_labels"])
        for box, pair in zip(boxes, poles):
            for x, y in pair:
                if torch.isfinite(x):
                    assert box[0] - 3 <= x <= box[2] + 3 and box[1] - 3 <= y <= box[3] + 3
        spots = _green_at(item["img"], poles)
        if len(spots):
            # Poles land on SPB signal in the warped image (not where the image was before).
            assert np.median(spots) > background + 40
            checked += len(spots)
        finite = poles[torch.isfinite(poles[..., 0])]
        if len(finite):
            cells = (finite / 4).long().clamp(0, 63)
            assert item["gt_heatmap"][0, cells[:, 1], cells[:, 0]].min() > 0.3
    assert checked > 20


def test_evaluation_items_are_letterboxed_exactly(small_movie):
    records = read_cvat(small_movie).records
    dataset = SpindleDataset(records, input_size=256, train=False)
    item = dataset[0]
    scale = 256 / 192
    assert item["img_metas"]["scale_factor"] == pytest.approx(scale)
    assert item["img_metas"]["ori_img_shape"] == (160, 192) and item["img_metas"]["index"] == 0
    want = torch.tensor([s.box for s in records[0].spindles]) * scale
    torch.testing.assert_close(item["gt_bboxes"], want.float(), atol=1e-3, rtol=0)
    assert item["img"][:, 214:, :].abs().max() == 0  # padding below the 160*4/3 = 213.3 px image


def test_no_augmentation_switch_and_collate(small_movie):
    records = read_cvat(small_movie).records
    dataset = SpindleDataset(records, input_size=128, train=True, augment=AugmentConfig(mosaic_prob=0.5), seed=0)
    dataset.disable_augmentation()
    a, b = dataset[1], dataset[1]
    torch.testing.assert_close(a["img"], b["img"])
    batch = collate([dataset[0], dataset[1]])
    assert batch["img"].shape == (2, 3, 128, 128) and len(batch["gt_bboxes"]) == 2
    assert batch["gt_heatmap"].shape == (2, 1, 32, 32) and [m["index"] for m in batch["img_metas"]] == [0, 1]


def reseed_like_the_trainer(worker_id: int) -> None:
    """ModelScope's worker init: every worker reseeded from the trainer's seed, the same each epoch."""
    torch.manual_seed(42 + worker_id)


@pytest.mark.parametrize("workers", [0, 2])
def test_unseeded_augmentation_repeats_with_the_seed_and_differs_between_epochs(small_movie, workers):
    # One frame four times: every difference between items is the augmentation's.
    records = read_cvat(small_movie).records[:1] * 4

    def two_epochs(torch_seed: int):
        with torch.random.fork_rng():
            torch.manual_seed(torch_seed)  # what a seeded trainer does before building its loaders
            loader = DataLoader(SpindleDataset(records, input_size=128, train=True), batch_size=1,
                                num_workers=workers, collate_fn=collate,
                                worker_init_fn=reseed_like_the_trainer if workers else None)
            return [[batch["img"][0] for batch in loader] for _ in range(2)]

    (first, second), (again, _), (other, _) = two_epochs(0), two_epochs(0), two_epochs(1)
    assert all(torch.equal(a, b) for a, b in zip(first, again))  # a seeded run augments the same way twice
    assert not any(torch.equal(a, b) for a, b in zip(first, other))
    items = first + second  # no two items share a stream: not across workers, not across epochs
    assert not any(torch.equal(items[i], items[j]) for i in range(8) for j in range(i + 1, 8))


def test_dihedral_transforms_map_boxes_exactly():
    image = np.zeros((40, 40, 3), np.uint8)
    image[10:14, 20:30] = 255
    sample = Sample(image, np.array([[20, 10, 30, 14]], np.float32), np.array([[[21, 12], [29, 12]]], np.float32))
    rng = np.random.default_rng(3)
    for _ in range(8):
        out = warp(sample, dihedral_matrix(rng, (40, 40)), (40, 40))
        x1, y1, x2, y2 = out.boxes[0].round().astype(int)
        assert out.image[y1:y2, x1:x2].min() == 255 and out.image.sum() == image.sum()


def test_input_size_must_be_multiple_of_32(small_movie):
    with pytest.raises(ValueError, match="multiple of 32"):
        SpindleDataset(read_cvat(small_movie).records, input_size=100)
