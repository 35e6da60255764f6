"""Spindle items in the form EasyCV's trainer feeds its detectors, and the dataset-side half of
EasyCV evaluation.

EasyCV's trainer collates with mmcv (``DataContainer`` decides what is stacked and what stays a
per-image list; stacked images of different sizes are padded bottom/right, as inference pads)
and evaluates by calling ``eval_dataset.evaluate(results, evaluators)`` with the model's test
outputs; :class:`MmcvSpindleItems` provides both over a
:class:`~yoloxsp.integrations.modelscope.CvatSpindleDataset`.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

from mmcv.parallel import DataContainer
from torch.utils.data import Dataset

from ...data.dataset import STACKED
from ..modelscope.dataset import CvatSpindleDataset


class MmcvSpindleItems(Dataset):
    """Wraps a :class:`CvatSpindleDataset`; items are its items, named as the model's forward
    takes them, each in a ``DataContainer``; ``img_metas`` gains the frame's ``pixel_size``.

    ``frames`` picks which of the dataset's frames this split holds (all by default): a frame held
    out of the training data for validation is in one split and not the other.
    :meth:`repeat_to` lengthens a pass over the frames to a set number of items, so that a pass
    (the trainer's epoch) is a number of optimiser steps whatever the number of frames: a
    fine-tune on five frames and one on twenty then do the same work.
    """

    def __init__(self, dataset: CvatSpindleDataset, frames: Optional[Sequence[int]] = None):
        self.dataset = dataset
        self.frames = list(range(len(dataset))) if frames is None else [int(i) for i in frames]
        sizes = dataset.pixel_sizes
        self.pixel_sizes = [sizes[i] for i in self.frames] if sizes else None
        self.length = len(self.frames)

    def repeat_to(self, length: int) -> None:
        """One pass yields ``length`` items, going round the frames (a shuffling sampler mixes them)."""
        if length < 1:
            raise ValueError(f"a pass needs at least one item, got {length}")
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> Dict[str, DataContainer]:
        position = index % len(self.frames)
        item = self.dataset[self.frames[position]]
        metas = {**item.pop("img_metas"), "index": position,
                 "pixel_size": self.pixel_sizes[position] if self.pixel_sizes else None}
        containers = {key: DataContainer(value, stack=key in STACKED) for key, value in item.items()}
        containers["img_metas"] = DataContainer(metas, cpu_only=True)
        return containers

    def disable_augmentation(self) -> None:
        self.dataset.spindle_dataset.disable_augmentation()

    def evaluate(self, results: Dict[str, list], evaluators: Sequence, logger=None) -> Dict[str, float]:
        """Score test outputs against this dataset's annotations (original image pixels).

        Outputs are put back in dataset order by ``img_metas['index']`` and duplicates dropped:
        a distributed sampler pads the last ranks with repeated images.
        """
        records = getattr(self.dataset.frames, "records", None)
        if records is None:
            raise ValueError(f"{self.dataset.source} has no fixed annotations to evaluate against")
        records = [records[i] for i in self.frames]
        order: Dict[int, int] = {}
        for position, meta in enumerate(results["img_metas"]):
            order.setdefault(int(meta["index"]), position)
        missing = sorted(set(range(len(records))) - set(order))
        if missing:
            raise ValueError(f"evaluation got no outputs for {len(missing)} images (e.g. index {missing[0]})")
        picked = [order[i] for i in range(len(records))]
        predictions = {key: [values[p] for p in picked] for key, values in results.items()}
        truth = {"records": records, "pixel_sizes": self.pixel_sizes}
        metrics: Dict[str, float] = {}
        for evaluator in evaluators:
            metrics.update(evaluator.evaluate(predictions, truth))
        return metrics
