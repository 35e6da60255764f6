"""Annotated spindle frames as ModelScope datasets: CVAT exports and the synthetic sources.

ModelScope trainers turn an ``MsDataset`` into a task dataset with ``to_custom_dataset``, which
builds the class named by the config's ``dataset.train.type`` / ``dataset.val.type`` from
CUSTOM_DATASETS (group = the config's task) -- but only when the MsDataset wraps an
``ExternalDataset``; ``MsDataset.load(folder)`` instead hands the folder to Hugging Face
``datasets``, which knows nothing of CVAT. :func:`cvat_ms_dataset` builds the right kind of
MsDataset, and :class:`CvatSpindleDataset` is what it turns into.

Besides a CVAT path, the source may be ``synthetic:train`` (frames rendered on demand, see
:mod:`yoloxsp.synth.frames`) or a named synthetic evaluation set (``synthetic:validation``,
``synthetic:look:NAME``, see :mod:`yoloxsp.metrics.sources`), generated into a temporary folder
that lives as long as the dataset.
"""
from __future__ import annotations

import shutil
import tempfile
import weakref
from typing import List, Mapping, Optional, Sequence, Union

from modelscope.msdatasets import MsDataset
from modelscope.msdatasets.dataset_cls.custom_datasets import CUSTOM_DATASETS, TorchCustomDataset
from modelscope.msdatasets.dataset_cls.dataset import ExternalDataset
from modelscope.utils.constant import ModeKeys, Tasks

from ...data.cvat import CvatLabels
from ...data.dataset import AugmentConfig, RecordFrames, SpindleDataset
from ...errors import InputError, PathLike
from ...metainfo import CustomDatasets
from ...metrics.sources import is_synthetic_set, read_eval_set, write_synthetic_set

SYNTHETIC_TRAIN = "synthetic:train"


def cvat_ms_dataset(path: PathLike, split: str = "train") -> MsDataset:
    """An MsDataset for a CVAT export (task folder, zip or folder of tasks) or a synthetic source
    that a ModelScope trainer converts into :class:`CvatSpindleDataset`."""
    return MsDataset.to_ms_dataset(ExternalDataset({split: str(path)}, {}))


@CUSTOM_DATASETS.register_module(group_key=Tasks.image_object_detection, module_name=CustomDatasets.cvat_spindles)
class CvatSpindleDataset(TorchCustomDataset):
    """:class:`~yoloxsp.data.dataset.SpindleDataset` over a CVAT export or a synthetic source.

    Config keys (``dataset.train`` / ``dataset.val``): ``input_size`` (``null``: frames at their own
    resolution, as inference runs them; evaluation only), ``box_labels``, ``pole_labels``,
    ``augment`` (dict of :class:`AugmentConfig` fields), ``heatmap_stride`` (yoloxsp's trainer
    sets it to ``model.pole_stride``), ``pixel_size`` (um/px; CVAT does not store it, and
    evaluation in micrometres needs it; default: each task's ``stack.tif``), ``synthetic`` (for
    ``synthetic:train``: ``frames``, ``first_seed``, ``exclude_looks``, ``look_weights``).
    """

    def __init__(self, split_config: Optional[Mapping[str, str]] = None, mode: str = ModeKeys.TRAIN,
                 preprocessor=None, input_size: Optional[int] = 512, box_labels: Sequence[str] = ("microtubule",),
                 pole_labels: Sequence[str] = ("pole", "poles"), augment: Union[dict, None] = None,
                 heatmap_stride: int = 4, pixel_size: Optional[float] = None, synthetic: Optional[dict] = None,
                 **kwargs):
        if not split_config:
            raise InputError("no CVAT export given: wrap it with yoloxsp.cvat_ms_dataset(path)")
        source = split_config.get("train" if mode == ModeKeys.TRAIN else "validation") or next(iter(split_config.values()))
        self.source = str(source)
        self.pixel_sizes: Optional[List[float]] = None
        if self.source == SYNTHETIC_TRAIN:
            from ...synth.frames import SyntheticFrames

            options = dict(synthetic or {})
            frames = SyntheticFrames(int(options.get("frames", 1000)), int(options.get("first_seed", 0)),
                                     tuple(options.get("exclude_looks", ())), options.get("look_weights"))
        else:
            path = self.source
            if is_synthetic_set(self.source):
                path = tempfile.mkdtemp(prefix="yoloxsp-dataset-")
                weakref.finalize(self, shutil.rmtree, path, True)
                write_synthetic_set(self.source, path)
            evaluated = read_eval_set(path, pixel_size, CvatLabels(tuple(box_labels), tuple(pole_labels)))
            records, self.pixel_sizes = evaluated.records, evaluated.pixel_sizes
            frames = RecordFrames(records)
        self.frames = frames
        self.spindle_dataset = SpindleDataset(frames, input_size=input_size, train=mode == ModeKeys.TRAIN,
                                              augment=AugmentConfig(**(augment or {})), heatmap_stride=heatmap_stride)
        super().__init__(self.spindle_dataset, mode=mode, preprocessor=preprocessor)
