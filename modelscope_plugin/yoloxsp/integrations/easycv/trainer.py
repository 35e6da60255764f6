"""EasyCV's ModelScope trainer, made to run YOLOX-SP on machines without CUDA.

What this subclass changes, and only when it matters:

- ``train_dataset`` / ``eval_dataset`` may be CVAT paths (wrapped with
  :func:`~yoloxsp.cvat_ms_dataset`); built CVAT datasets are presented as mmcv
  ``DataContainer`` items (:class:`MmcvSpindleItems`), which EasyCV's collate expects.
- Without CUDA, EasyCV wraps the model in ``MMDataParallel(device_ids=[torch.cuda.current_device()])``,
  which raises; the device index is read as 0 for that call (mmcv then runs the model on the CPU).
- Without CUDA and with ``launcher='pytorch'`` (torchrun), ModelScope's DDP hook would call
  ``torch.cuda.set_device`` and use NCCL; the process group is created with gloo instead and
  the model wrapped in torch's DDP inside ``MMDataParallel``; evaluation runs on rank 0
  (ModelScope's distributed evaluation broadcasts through CUDA).
- The training data loader of a YOLOX-SP dataset keeps its workers across epochs.
- With ``train.train_iters_per_epoch`` (the fine-tuning recipe sets it), an epoch is that many
  optimiser steps whatever the number of frames: a pass over the training frames is lengthened
  to fill it (they come round again, each time augmented anew).
- Without ``eval_dataset``, when the training data is a CVAT export, its last frames with a spindle
  (one in :data:`HOLD_OUT_EVERY`, at least one) are held out as the validation data that picks the
  weights kept (``output_best``); the log and the training record say which frames.
- A local model folder that did not come from the hub is not checked against the hub.
- MsDataset conversion errors are raised, not printed and ignored.
- Checkpoint hooks of a YOLOX-SP model save atomically in the yoloxsp weights format
  (:class:`AtomicCheckpointProcessor`), and the output folders' configuration.json records how
  the weights were trained (``training_record``).
- A JSON config is read by :func:`~yoloxsp.model.config_file.read_config` (its ``_base_``
  merged; ModelScope's reader keeps it as a plain key), and each dataset's ``heatmap_stride`` is
  the model's ``pole_stride`` (:func:`~yoloxsp.model.config_file.derive_values`).
- Starting from trained weights (``model`` is a model folder with weights), the config's
  ``finetune`` section is merged over it before the caller's ``cfg_options``: a recipe made for a
  handful of annotated frames instead of the one the weights were trained from scratch with.
  ``recipe='config'`` keeps the config's own recipe instead: training goes on from the weights as
  it began (a synthetic curriculum continued when only the weights are left, not a checkpoint).

With CUDA and another model, it behaves exactly as EasyCV's trainer. Importing this module
registers it in ModelScope's TRAINERS as ``easycv``, in place of EasyCV's entry (see
:mod:`yoloxsp.integrations.modelscope.trainer_entry` for how ``build_trainer`` imports it).
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence

import torch
import torch.distributed as dist
from easycv.toolkit.modelscope.trainers.trainer import EasyCVEpochBasedTrainer
from mmcv.parallel import MMDataParallel
from modelscope.msdatasets import MsDataset
from modelscope.trainers.base import TRAINERS
from modelscope.trainers.default_config import merge_cfg
from modelscope.trainers.hooks.checkpoint.checkpoint_hook import CheckpointHook
from modelscope.trainers.parallel.utils import is_parallel
from modelscope.trainers.utils.inference import evaluate_batch
from modelscope.utils.config import Config
from modelscope.utils.constant import DistributedParallelType, ModeKeys, ModelFile, TrainerStages
from modelscope.utils.data_utils import to_device
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from ...errors import InputError
from ...metainfo import Models, Trainers
from ...metrics.sources import is_synthetic_set
from ...model.config_file import BASE_KEY, derive_values, read_config
from ..modelscope.dataset import SYNTHETIC_TRAIN, CvatSpindleDataset, cvat_ms_dataset
from ..modelscope.model import YoloxSpModel
from . import hooks  # registers the YOLOX-SP hooks named in configs
from . import optimizer  # noqa: F401  (registers the per-part learning rates named in configs)
from .batches import MmcvSpindleItems
from .checkpoints import AtomicCheckpointProcessor


@contextlib.contextmanager
def device_index_zero_for(module_name: str):
    """Inside the block, on a machine without CUDA, ``torch.cuda.current_device()`` answers 0 to
    calls made from the module ``module_name`` (EasyCV's trainer, which asks for it unconditionally
    to wrap the model in ``MMDataParallel``; mmcv then runs the model on the CPU). Every other
    caller, and every call after the block, gets torch's own function. With CUDA it does nothing."""
    if torch.cuda.is_available():
        yield
        return
    original = torch.cuda.current_device

    def current_device() -> int:
        if sys._getframe(1).f_globals.get("__name__") == module_name:
            return 0
        return original()

    torch.cuda.current_device = current_device
    try:
        yield
    finally:
        torch.cuda.current_device = original


# "auto": the config's fine-tuning recipe when starting from weights; "config": the config's own
RECIPES = ("auto", "config")


HOLD_OUT_EVERY = 5  # without validation data, one frame in this many with a spindle (at least one) is held out


def held_out_frames(has_spindles: Sequence[bool]) -> List[int]:
    """The frames (indices) held out for validation when none is given: the last of those with a
    spindle (a frame without one scores 0 at every epoch and chooses nothing), one in
    :data:`HOLD_OUT_EVERY` of them and at least one, since the spindles of one frame in twenty are
    too few to tell the starting weights from a better epoch. The last frame when none has a spindle."""
    with_spindles = [i for i, has in enumerate(has_spindles) if has] or [len(has_spindles) - 1]
    return with_spindles[-max(1, len(with_spindles) // HOLD_OUT_EVERY):]


@TRAINERS.register_module(module_name=Trainers.easycv, force=True)
class YoloxSpTrainer(EasyCVEpochBasedTrainer):
    def __init__(self, *args, train_dataset=None, eval_dataset=None, launcher=None, recipe: str = "auto", **kwargs):
        if recipe not in RECIPES:
            raise ValueError(f"recipe must be one of {RECIPES}, got {recipe!r}")
        self.recipe = recipe
        self.train_source = str(train_dataset) if isinstance(train_dataset, (str, Path)) else type(train_dataset).__name__
        self.cfg_options_given = dict(kwargs.get("cfg_options") or {})
        self.started = time.time()
        # A CVAT export without validation data gives one of its frames to validation (chosen
        # when the training set is built: see build_dataset).
        self.holding_out = (eval_dataset is None and isinstance(train_dataset, (str, Path))
                            and str(train_dataset) != SYNTHETIC_TRAIN and not is_synthetic_set(str(train_dataset)))
        self.held_out: Optional[str] = None
        if self.holding_out:
            eval_dataset = train_dataset
        elif eval_dataset is None and isinstance(train_dataset, (str, Path)):
            raise InputError(f"training on {train_dataset} needs validation data (eval_dataset, --val)")
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
        with device_index_zero_for(EasyCVEpochBasedTrainer.__module__):
            super().__init__(*args, train_dataset=train_dataset, eval_dataset=eval_dataset, **kwargs)
        if cpu_distributed:
            self.parallel_groups[DistributedParallelType.DP] = None  # what ModelScope's DDP hook records
            self._dist = dist.get_world_size() > 1
            if self._dist:
                # torch's DDP syncs the gradients over gloo; mmcv's wrapper outside it unpacks the
                # DataContainers, which mmcv's own distributed wrapper does only for CUDA devices.
                self.model = MMDataParallel(DistributedDataParallel(self.unwrap_module(self.model)))
        if isinstance(self.unwrap_module(self.model), YoloxSpModel):
            for hook in self.hooks:
                if isinstance(hook, CheckpointHook):
                    hook.set_processor(AtomicCheckpointProcessor())

    def rebuild_config(self, cfg):
        is_ours = cfg.safe_get(BASE_KEY) or cfg.safe_get("model.type") == Models.yoloxsp
        if is_ours and str(cfg.filename).endswith(".json"):
            # Read again through yoloxsp's reader: ModelScope's keeps _base_ as a plain key.
            cfg = Config(read_config(cfg.filename), filename=cfg.filename)
            merge_cfg(cfg)  # ModelScope's default hooks, as it merged them into the file it read
        cfg = super().rebuild_config(cfg)
        # model_dir is the model folder (given or downloaded), or the config file's folder.
        self.finetuning = (Path(self.model_dir) / ModelFile.TORCH_MODEL_FILE).is_file()
        recipe = cfg.get("finetune")
        if self.finetuning and recipe and self.recipe == "auto":
            cfg.merge_from_dict(recipe.to_dict() if hasattr(recipe, "to_dict") else dict(recipe))
        return cfg

    def training_record(self) -> dict:
        """How the weights of this run's output folders were made (written into their configuration.json)."""
        started = "fine-tune" if self.recipe == "auto" else "the config's, continued from weights"
        return {"recipe": started if self.finetuning else "from scratch",
                "started_from": str(self.model_dir) if self.finetuning else None,
                "config": Path(self.cfg.filename).name, "cfg_options": self.cfg_options_given,
                "train_data": self.train_source, "validation_held_out": self.held_out,
                "epochs": self.epoch + 1, "iterations": self.iter,
                "images": self.iter * self.cfg.train.dataloader.batch_size_per_gpu * max(1, self._world_size()),
                "wall_time_s": round(time.time() - self.started, 1)}

    def _world_size(self) -> int:
        """Processes training together: the process group's, or before it is set up, what the
        launcher (torchrun) says."""
        if dist.is_available() and dist.is_initialized():
            return dist.get_world_size()
        return int(os.environ.get("WORLD_SIZE", "1"))

    def unwrap_module(self, model):
        while is_parallel(model):  # the CPU-distributed model is wrapped twice
            model = model.module
        return model

    def evaluation_loop(self, data_loader, metric_classes):
        """Distributed evaluation without CUDA: ModelScope gathers and broadcasts metrics through
        CUDA tensors, so rank 0 evaluates the whole set and sends the metrics to the others."""
        if not (self._dist and not torch.cuda.is_available()):
            return super().evaluation_loop(data_loader, metric_classes)
        self.invoke_hook(TrainerStages.before_val)
        metrics = [None]
        if dist.get_rank() == 0:
            loader = self._build_dataloader_with_dataset(self.eval_dataset, dist=False,
                                                         collate_fn=self.eval_data_collator,
                                                         **self.cfg.evaluation.get("dataloader", {}))
            wrapped, self.model = self.model, MMDataParallel(self.unwrap_module(self.model))  # no DDP collectives
            try:
                for batch in tqdm(loader, desc="evaluating", unit="batch"):
                    evaluate_batch(self, to_device(batch, self.device), metric_classes, None)
            finally:
                self.model = wrapped
            metrics[0] = {name: value for metric in metric_classes for name, value in metric.evaluate().items()}
        dist.broadcast_object_list(metrics, src=0)
        self.invoke_hook(TrainerStages.after_val)
        return metrics[0]

    def get_or_download_model_dir(self, model, model_revision=None, third_party=None):
        """A local folder that did not come from the hub is used as it is: ModelScope would ask
        the hub whether model 'unknown' is up to date (seconds of retries when offline)."""
        folder = Path(model)
        if folder.is_dir() and not any((folder / name).exists() for name in (".mdl", ".msc", ".git")):
            return str(folder)
        return super().get_or_download_model_dir(model, model_revision, third_party)

    def train(self, *args, **kwargs):
        try:
            return super().train(*args, **kwargs)
        finally:  # persistent workers, and the fields they keep, end with the training
            if getattr(self, "train_dataloader", None) is not None:
                hooks.stop_workers(self.train_dataloader)

    def _build_dataloader_with_dataset(self, dataset, batch_size_per_gpu, workers_per_gpu, dist=False,
                                       shuffle=True, seed=0, persistent_workers=None, **kwargs):
        """Unless the config says (``train.dataloader.persistent_workers``), training workers of a
        YOLOX-SP dataset persist across epochs: a synthetic source renders each field once per
        worker and keeps it, and workers rebuilt every epoch would render them all again (the
        mode-switch hook restarts them when the final plain epochs begin)."""
        if persistent_workers is None:
            persistent_workers = (dataset is self.train_dataset and isinstance(dataset, MmcvSpindleItems)
                                  and workers_per_gpu > 0)
        steps = self.cfg.safe_get("train.train_iters_per_epoch")
        if steps and dataset is self.train_dataset and isinstance(dataset, MmcvSpindleItems):
            dataset.repeat_to(int(steps) * batch_size_per_gpu * self._world_size())
        return super()._build_dataloader_with_dataset(dataset, batch_size_per_gpu, workers_per_gpu, dist=dist,
                                                      shuffle=shuffle, seed=seed,
                                                      persistent_workers=persistent_workers, **kwargs)

    def build_dataset(self, datasets, model_cfg, mode, preprocessor=None, **kwargs):
        if isinstance(datasets, MsDataset) and not datasets.is_custom:
            # Convert here: ModelScope's build_dataset prints conversion errors and goes on
            # with the unconverted dataset, which then fails far away in the data loader.
            if model_cfg.safe_get("model.type") == Models.yoloxsp:
                derive_values(model_cfg, model_cfg.filename)  # after cfg_options: they may change pole_stride
            datasets.to_custom_dataset(custom_cfg=model_cfg, preprocessor=preprocessor, mode=mode, **kwargs)
        built = super().build_dataset(datasets, model_cfg, mode, preprocessor=preprocessor, **kwargs)
        if not isinstance(built, CvatSpindleDataset):
            return built
        if not self.holding_out:
            return MmcvSpindleItems(built)
        records = built.frames.records
        held = held_out_frames([bool(record.spindles) for record in records])
        if mode == ModeKeys.TRAIN:
            if len(records) < 2:
                raise InputError("one annotated frame cannot be split into training and validation: "
                                 "give validation data (eval_dataset, --val) or more frames", built.source)
            self.held_out = ", ".join(f"{records[i].image_path} (frame {records[i].frame})" for i in held)
            which = "frame" if len(held) == 1 else f"{len(held)} frames"
            self.logger.warning(f"no validation data given: the last {which} of the training data with a spindle, "
                                f"{self.held_out}, held out to score each epoch and keep the best (output_best); "
                                f"training uses the other {len(records) - len(held)} frames")
            return MmcvSpindleItems(built, [i for i in range(len(records)) if i not in held])
        return MmcvSpindleItems(built, held)

