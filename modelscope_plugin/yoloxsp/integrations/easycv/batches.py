"""Spindle items in the form EasyCV's trainer feeds its detectors, and the dataset-side half of
EasyCV evaluation.

EasyCV's trainer collates with mmcv (``DataContainer`` decides what is stacked and what stays a
per-image list; stacked images of different sizes are padded bottom/right, as inference pads)
and evaluates by calling ``eval_dataset.evaluate(results, evaluators)`` with the model's test
outputs; :class:`MmcvSpindleItems` provides both over a
:class:`~yoloxsp.integrations.modelscope.CvatSpindleDataset`.
"""
from __future__ import annotations

from typing import Dict, Sequence

from mmcv.parallel import DataContainer
from torch.utils.data import Dataset

from ...data.dataset import STACKED
from ..modelscope.dataset import CvatSpindleDataset


class MmcvSpindleItems(Dataset):
    """Wraps a :class:`CvatSpindleDataset`; items are its items, named as the model's forward
    takes them, each in a ``DataContainer``; ``img_metas`` gains the frame's ``pixel_size``."""

    def __init__(self, dataset: CvatSpindleDataset):
        self.dataset = dataset
        self.pixel_sizes = dataset.pixel_sizes

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Dict[str, DataContainer]:
        item = self.dataset[index]
        metas = {**item.pop("img_metas"), "pixel_size": self.pixel_sizes[index] if self.pixel_sizes else None}
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
        order: Dict[int, int] = {}
        for position, meta in enumerate(results["img_metas"]):
            order.setdefault(int(meta["index"]), position)
        missing = sorted(set(range(len(self))) - set(order))
        if missing:
            raise ValueError(f"evaluation got no outputs for {len(missing)} images (e.g. index {missing[0]})")
        picked = [order[i] for i in range(len(self))]
        predictions = {key: [values[p] for p in picked] for key, values in results.items()}
        truth = {"records": records, "pixel_sizes": self.pixel_sizes}
        metrics: Dict[str, float] = {}
        for evaluator in evaluators:
            metrics.update(evaluator.evaluate(predictions, truth))
        return metrics
