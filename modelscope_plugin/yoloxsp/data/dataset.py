"""A torch Dataset over annotated frames yielding what YOLOX-SP training needs.

Frames come from a :class:`FrameSource`: annotated files (:class:`RecordFrames`, what CVAT
exports give) or frames rendered on demand (the synthetic generator's source), so training
needs no files on disk.

Each item is a dict named as :meth:`YoloxSp.forward <yoloxsp.model.YoloxSp.forward>` takes its
arguments (the EasyCV detector convention), so ``model(**collate(items))`` trains on a batch
without renaming: ``img`` (3 x H x W float32, raw 0-255 RGB as upstream: no mean/std),
``gt_bboxes`` (N x 4, input pixels), ``gt_labels`` (N, all 0: one class), ``gt_poles`` (N x 2 x 2,
NaN for an unknown pole), ``gt_heatmap`` and ``gt_heatmap_mask`` (1 x H/stride x W/stride), and
``img_metas``: ``index``, ``image_path``, ``frame``, ``task``, ``scale_factor`` (input px per
original px; NaN for an augmented item) and ``ori_img_shape`` (original height, width), what the
test forward needs to map detections back. Training items are augmented (mosaic with probability
``mosaic_prob``, then random affine, flips and right-angle rotations) on an S x S canvas, then
given unfamiliar objects away from the spindles (:mod:`.distractors`, off by default), then
degraded as other microscopes record (:mod:`.degrade`: SPB channel dropped, blur, JPEG), then
given camera noise of a random strength (``noise_sigma``, off by default; the fine-tuning recipe
varies a few frames this way).
Evaluation items, and training items once :meth:`SpindleDataset.disable_augmentation` was called
(the final no-augmentation epochs), are not augmented: with ``input_size=None`` an evaluation
item is the frame at its own resolution padded to a multiple of 32 -- exactly what inference
feeds the model -- and with an ``input_size`` it is letterboxed to S x S.

``AugmentConfig.keep_scale`` (the default) places frames at their own pixel scale instead of
stretching them to the canvas: inference runs frames at native resolution, so spindles keep the
size in pixels, and BatchNorm statistics the distribution, that the model meets in use.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Protocol, Sequence, Tuple, Union

import numpy as np
import torch
from torch.utils.data import Dataset

from ..errors import InputError
from ..io.images import read_image, to_rgb8
from .augment import Sample, add_noise, affine_matrix, dihedral_matrix, letterbox_matrix, mosaic, warp
from .degrade import Degradations, degrade
from .distractors import Distractors, add_distractors
from .heatmap import pole_heatmap, pole_loss_mask
from .records import FrameRecord, spindle_arrays


@dataclass
class AugmentConfig:
    """Augmentation ranges; the defaults are upstream YOLOX-SP's."""

    mosaic_prob: float = 1.0
    degrees: float = 10.0
    translate: float = 0.1
    scale: tuple = (0.5, 1.5)
    shear: float = 2.0
    dihedral: bool = True
    keep_scale: bool = True
    degradations: Degradations = field(default_factory=Degradations)
    distractors: Distractors = field(default_factory=Distractors)
    noise_sigma: tuple = (0.0, 0.0)  # 8-bit levels of added Gaussian noise, drawn per item; (0, 0): none

    def __post_init__(self) -> None:
        low, high = self.noise_sigma
        if not 0.0 <= low <= high:
            raise ValueError(f"augment.noise_sigma must be a range [low, high] with 0 <= low <= high, "
                             f"got {self.noise_sigma}")
        if isinstance(self.degradations, dict):  # from a JSON config
            self.degradations = Degradations(**self.degradations)
        if isinstance(self.distractors, dict):
            self.distractors = Distractors(**self.distractors)


class FrameSource(Protocol):
    """Annotated frames by index: the 8-bit RGB image the model sees and its record."""

    def __len__(self) -> int: ...

    def load(self, index: int) -> Tuple[np.ndarray, FrameRecord]: ...


class RecordFrames:
    """Frames of annotation records, read from their image files."""

    def __init__(self, records: Sequence[FrameRecord]):
        self.records = list(records)

    def __len__(self) -> int:
        return len(self.records)

    def load(self, index: int) -> Tuple[np.ndarray, FrameRecord]:
        record = self.records[index]
        image = to_rgb8(read_image(record.image_path))
        if image.shape[:2] != (record.height, record.width):
            raise InputError(f"image is {image.shape[1]}x{image.shape[0]} but the annotation says"
                             f" {record.width}x{record.height}", record.image_path, frame=record.frame)
        return image, record


class SpindleDataset(Dataset):
    """Annotated frames (records or any :class:`FrameSource`) as YOLOX-SP training/evaluation items.

    ``input_size=None`` (evaluation only) keeps every frame at its own resolution.
    """

    def __init__(self, frames: Union[FrameSource, Sequence[FrameRecord]], input_size: Optional[int] = 512,
                 train: bool = True, augment: Optional[AugmentConfig] = None, heatmap_stride: int = 4,
                 heatmap_sigma: float = 1.0, seed: Optional[int] = None):
        if input_size is None and train:
            raise ValueError("training needs an input size (the augmentation canvas)")
        if input_size is not None and input_size % 32:
            raise ValueError(f"input size must be a multiple of 32, got {input_size}")
        self.frames = frames if hasattr(frames, "load") else RecordFrames(frames)
        if not len(self.frames):
            raise ValueError("no frames to build a dataset from")
        self.input_size = input_size
        self.train = train
        self.augment = augment or AugmentConfig()
        self.heatmap_stride, self.heatmap_sigma = heatmap_stride, heatmap_sigma
        self._pole_reach = 2 * heatmap_sigma * heatmap_stride  # px where a pole's target is >= e^-2 of its peak
        self._augmenting = train
        self._seed = seed
        self._draws = 0

    def __len__(self) -> int:
        return len(self.frames)

    def disable_augmentation(self) -> None:
        """Switch to letterbox-only items (YOLOX's final no-augmentation epochs)."""
        self._augmenting = False

    def load_sample(self, index: int) -> Tuple[Sample, FrameRecord]:
        """The frame's image (8-bit RGB) and annotations, untransformed, and its record."""
        image, record = self.frames.load(index)
        boxes, poles = spindle_arrays(record, np.float32)
        stray = np.array(record.stray_poles, np.float32).reshape(-1, 2, 2)
        ignore = boxes[np.isnan(poles).all(axis=(1, 2))]  # spindles without annotated poles
        return Sample(image, boxes, poles, stray, ignore), record

    def _placement(self, hw, rng: Optional[np.random.Generator] = None) -> np.ndarray:
        """Where a frame goes on the S x S canvas: stretched to fit, or at its own scale, a
        frame larger than the canvas showing a random window (the top-left one without ``rng``)."""
        if not self.augment.keep_scale:
            return letterbox_matrix(hw, self.input_size)
        h, w = hw
        dx, dy = (0.0, 0.0) if rng is None else (rng.uniform(min(0, self.input_size - w), 0),
                                                 rng.uniform(min(0, self.input_size - h), 0))
        return np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], float)

    def _rng(self) -> np.random.Generator:
        """The next item's random stream, keyed so that a seeded training run augments the same
        way every time and no two items share a stream.

        With ``seed``: (seed, count). Otherwise, in a data-loader worker: the seed torch gives the
        worker, which it draws from the loader's generator for every pass over the data (so it
        is new each epoch when workers are rebuilt, and after a resume it continues the run, where
        a worker-init function that reseeds torch from the trainer's seed would repeat epoch one),
        then the process's rank and a count; in the main process: a draw from torch's generator,
        the rank and the count. The rank keeps distributed processes, seeded alike, apart."""
        self._draws += 1
        if self._seed is not None:
            return np.random.default_rng([self._seed, self._draws])
        worker = torch.utils.data.get_worker_info()
        base = worker.seed if worker is not None else int(torch.randint(2 ** 62, ()))
        return np.random.default_rng([base, _rank(), self._draws])

    def __getitem__(self, index: int) -> Dict:
        size = self.input_size
        sample, record = self.load_sample(index)
        if self._augmenting:
            rng = self._rng()
            if rng.random() < self.augment.mosaic_prob:
                picks = list(rng.integers(0, len(self), size=3))
                sample = mosaic([sample] + [self.load_sample(int(i))[0] for i in picks], size, rng,
                                self.augment.keep_scale)
                canvas_hw = sample.hw
            else:
                sample = warp(sample, self._placement(sample.hw, rng), (size, size))
                canvas_hw = (size, size)
            a = self.augment
            m = affine_matrix(rng, canvas_hw, a.degrees, a.translate, a.scale, a.shear)
            # The affine maps the canvas centre to the output's; for a mosaic canvas that is a crop.
            m = np.array([[1, 0, (size - canvas_hw[1]) / 2], [0, 1, (size - canvas_hw[0]) / 2], [0, 0, 1]]) @ m
            if a.dihedral:
                m = dihedral_matrix(rng, (size, size)) @ m
            sample = warp(sample, m, (size, size))
            pasted = add_distractors(sample.image, keep_out(sample, self._pole_reach), rng, a.distractors)
            image = degrade(pasted, rng, a.degradations)
            if a.noise_sigma[1] > 0:  # drawn only when switched on, so that other configs keep their random streams
                image = add_noise(image, rng, rng.uniform(*a.noise_sigma))
            sample = replace(sample, image=image)
            scale = float("nan")
        elif size is None:  # native resolution, padded bottom/right as inference pads
            padded = tuple(max(32, -(-n // 32) * 32) for n in sample.hw)
            sample = warp(sample, np.eye(3), padded)
            scale = 1.0
        else:
            placement = letterbox_matrix(sample.hw, size) if not self.train else self._placement(sample.hw)
            sample = warp(sample, placement, (size, size))
            scale = float(placement[0, 0])
        return self._to_item(sample, record, scale, index)

    def _to_item(self, sample: Sample, record: FrameRecord, scale: float, index: int) -> Dict:
        hw = sample.hw
        all_poles = np.concatenate([sample.poles.reshape(-1, 2), sample.stray_poles.reshape(-1, 2)])
        heatmap = pole_heatmap(all_poles, hw, self.heatmap_stride, self.heatmap_sigma)
        mask = pole_loss_mask(sample.ignore, hw, self.heatmap_stride)
        return {
            "img": torch.from_numpy(np.ascontiguousarray(sample.image.transpose(2, 0, 1))).float(),
            "gt_bboxes": torch.from_numpy(sample.boxes.reshape(-1, 4)),
            "gt_labels": torch.zeros(len(sample.boxes), dtype=torch.int64),
            "gt_poles": torch.from_numpy(sample.poles.reshape(-1, 2, 2)),
            "gt_heatmap": torch.from_numpy(heatmap)[None],
            "gt_heatmap_mask": torch.from_numpy(mask)[None],
            "img_metas": {"index": index, "image_path": str(record.image_path), "frame": record.frame,
                          "task": record.task, "scale_factor": scale, "ori_img_shape": (record.height, record.width)},
        }


def keep_out(sample: Sample, margin: float) -> np.ndarray:
    """Boxes (x1 y1 x2 y2) where nothing may be pasted: every spindle, every ignored region and
    every stray pole, each widened by ``margin`` px so that no pole's heatmap target is covered."""
    strays = sample.stray_poles.reshape(-1, 2)
    strays = strays[np.isfinite(strays).all(axis=1)]
    boxes = np.concatenate([sample.boxes.reshape(-1, 4), sample.ignore.reshape(-1, 4),
                            np.concatenate([strays, strays], axis=1)]).astype(np.float64)
    return boxes + np.array([-margin, -margin, margin, margin])


def _rank() -> int:
    """This process's rank in distributed training, 0 outside it."""
    distributed = torch.distributed
    return distributed.get_rank() if distributed.is_available() and distributed.is_initialized() else 0


STACKED = ("img", "gt_heatmap", "gt_heatmap_mask")  # same shape in every item of a batch


def collate(items: List[Dict]) -> Dict:
    """Stack images and heatmaps; keep per-image annotations and metas as lists (their lengths differ)."""
    return {key: torch.stack([i[key] for i in items]) if key in STACKED else [i[key] for i in items]
            for key in items[0]}
