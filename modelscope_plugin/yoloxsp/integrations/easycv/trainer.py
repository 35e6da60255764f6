"""EasyCV's ModelScope trainer, made to run YOLOX-SP on machines without CUDA.

What this subclass changes, and only when it matters:

- ``train_dataset`` / ``eval_dataset`` may be CVAT paths (wrapped with
  :func:`~yoloxsp.cvat_ms_dataset`); built CVAT datasets are presented as mmcv
  ``DataContainer`` items (:class:`MmcvSpindleItems`), which EasyCV's collate expects.
- Without CUDA, EasyCV wraps the model in ``MMDataParallel(device_ids=[torch.cuda.current_device()])``,
  which raises; the device index is read as 0 for that call (mmcv then runs the model on the CPU).
- Without CUDA and with ``launcher='pytorch'`` (torchrun), ModelScope's DDP hook would call
  ``torch.cuda.set_device`` and use NCCL; the process group is created with gloo instead and
  the model wrapped in ``MMDistributedDataParallel`` for the CPU.
- MsDataset conversion errors are raised, not printed and ignored.
- Checkpoint hooks of a YOLOX-SP model save atomically in the yoloxsp weights format
  (:class:`AtomicCheckpointProcessor`).

With CUDA and another model, it behaves exactly as EasyCV's trainer. It is registered in
ModelScope's TRAINERS as ``easycv`` (replacing EasyCV's entry; see
:mod:`yoloxsp.integrations.modelscope.trainer_entry` for how ``import yoloxsp`` finds it).
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import torch
import torch.distributed as dist
from easycv.toolkit.modelscope.trainers.trainer import EasyCVEpochBasedTrainer
from modelscope.msdatasets import MsDataset
from modelscope.trainers.base import TRAINERS
from modelscope.trainers.hooks.checkpoint.checkpoint_hook import CheckpointHook

from ...metainfo import Trainers
from ..modelscope.dataset import CvatSpindleDataset, cvat_ms_dataset
from ..modelscope.model import YoloxSpModel
from . import hooks  # noqa: F401  (registers the YOLOX-SP hooks named in configs)
from .batches import MmcvSpindleItems
from .checkpoints import AtomicCheckpointProcessor


@contextlib.contextmanager
def _device_index_zero_without_cuda():
    if torch.cuda.is_available():
        yield
        return
    original = torch.cuda.current_device
    torch.cuda.current_device = lambda: 0
    try:
        yield
    finally:
        torch.cuda.current_device = original


@TRAINERS.register_module(module_name=Trainers.easycv, force=True)
class YoloxSpTrainer(EasyCVEpochBasedTrainer):
    def __init__(self, *args, train_dataset=None, eval_dataset=None, launcher=None, **kwargs):
        if isinstance(train_dataset, (str, Path)):
            train_dataset = cvat_ms_dataset(train_dataset, "train")
        if isinstance(eval_dataset, (str, Path)):
            eval_dataset = cvat_ms_dataset(eval_dataset, "validation")
        cpu_distributed = launcher is not None and not torch.cuda.is_available()
        if cpu_distributed:
            if not dist.is_initialized():
                dist.init_process_group("gloo")  # rank and world size from torchrun's environment
            launcher = None
        if launcher is not None:
            kwargs["launcher"] = launcher
        with _device_index_zero_without_cuda():
            super().__init__(*args, train_dataset=train_dataset, eval_dataset=eval_dataset, **kwargs)
        if cpu_distributed and self._dist:
            from mmcv.parallel import MMDistributedDataParallel
            self.model = MMDistributedDataParallel(self.model)  # EasyCV leaves it bare when distributed
        if isinstance(self.unwrap_module(self.model), YoloxSpModel):
            for hook in self.hooks:
                if isinstance(hook, CheckpointHook):
                    hook.set_processor(AtomicCheckpointProcessor())

    def build_dataset(self, datasets, model_cfg, mode, preprocessor=None, **kwargs):
        if isinstance(datasets, MsDataset) and not datasets.is_custom:
            # Convert here: ModelScope's build_dataset prints conversion errors and goes on
            # with the unconverted dataset, which then fails far away in the data loader.
            datasets.to_custom_dataset(custom_cfg=model_cfg, preprocessor=preprocessor, mode=mode, **kwargs)
        built = super().build_dataset(datasets, model_cfg, mode, preprocessor=preprocessor, **kwargs)
        if isinstance(built, CvatSpindleDataset):
            return MmcvSpindleItems(built)
        return built

