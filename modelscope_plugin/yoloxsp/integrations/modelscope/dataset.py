"""CVAT exports as ModelScope datasets.

ModelScope trainers turn an ``MsDataset`` into a task dataset with ``to_custom_dataset``, which
builds the class named by the config's ``dataset.train.type`` / ``dataset.val.type`` from
CUSTOM_DATASETS (group = the config's task) -- but only when the MsDataset wraps an
``ExternalDataset``; ``MsDataset.load(folder)`` instead hands the folder to Hugging Face
``datasets``, which knows nothing of CVAT. :func:`cvat_ms_dataset` builds the right kind of
MsDataset, and :class:`CvatSpindleDataset` is what it turns into.
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence, Union

from modelscope.msdatasets import MsDataset
from modelscope.msdatasets.dataset_cls.custom_datasets import CUSTOM_DATASETS, TorchCustomDataset
from modelscope.msdatasets.dataset_cls.dataset import ExternalDataset
from modelscope.utils.constant import ModeKeys, Tasks

from ...data.cvat import CvatLabels, read_cvat
from ...data.dataset import AugmentConfig, SpindleDataset
from ...errors import InputError, PathLike
from ...metainfo import CustomDatasets


def cvat_ms_dataset(path: PathLike, split: str = "train") -> MsDataset:
    """An MsDataset for a CVAT export (task folder, zip or folder of tasks) that a ModelScope
    trainer converts into :class:`CvatSpindleDataset`."""
    return MsDataset.to_ms_dataset(ExternalDataset({split: str(path)}, {}))


@CUSTOM_DATASETS.register_module(group_key=Tasks.image_object_detection, module_name=CustomDatasets.cvat_spindles)
class CvatSpindleDataset(TorchCustomDataset):
    """:class:`~yoloxsp.data.dataset.SpindleDataset` over a CVAT export, built by ModelScope.

    Config keys (``dataset.train`` / ``dataset.val``): ``input_size``, ``box_labels``,
    ``pole_labels``, ``augment`` (dict of :class:`AugmentConfig` fields), ``heatmap_stride``,
    ``pixel_size`` (um/px; CVAT does not store it, and evaluation in micrometres needs it).
    """

    def __init__(self, split_config: Optional[Mapping[str, str]] = None, mode: str = ModeKeys.TRAIN,
                 preprocessor=None, input_size: int = 512, box_labels: Sequence[str] = ("microtubule",),
                 pole_labels: Sequence[str] = ("pole", "poles"), augment: Union[dict, None] = None,
                 heatmap_stride: int = 4, pixel_size: Optional[float] = None, **kwargs):
        if not split_config:
            raise InputError("no CVAT export given: wrap it with yoloxsp.cvat_ms_dataset(path)")
        path = split_config.get("train" if mode == ModeKeys.TRAIN else "validation") or next(iter(split_config.values()))
        export = read_cvat(path, CvatLabels(tuple(box_labels), tuple(pole_labels)))
        self.export = export
        self.pixel_size = pixel_size
        self.spindle_dataset = SpindleDataset(export.records, input_size=input_size, train=mode == ModeKeys.TRAIN,
                               augment=AugmentConfig(**(augment or {})), heatmap_stride=heatmap_stride)
        super().__init__(self.spindle_dataset, mode=mode, preprocessor=preprocessor)
