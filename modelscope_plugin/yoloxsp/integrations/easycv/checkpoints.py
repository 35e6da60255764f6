"""Checkpoints that a kill cannot corrupt, in the yoloxsp weights format.

ModelScope's processor writes each file in place and replaces the output folder's weights by
unlink + link, so a kill mid-save leaves a truncated or missing file. This processor writes every
file under a temporary name and renames it (atomic on POSIX), and stores the model in the
:func:`~yoloxsp.model.save_weights` format, so ``work_dir/output`` is a model folder that
``Model.from_pretrained`` and ``yoloxsp eval --model`` read directly. Output folders get the
weights the evaluation scores (:func:`~yoloxsp.integrations.easycv.hooks.scored_network`, the
moving average when there is one), while the epoch and best checkpoints beside them keep the
trained network and its optimiser state for resuming. The trainer state's numpy
random state is stored as plain lists: ModelScope loads it with ``torch.load(weights_only=True)``,
which refuses numpy arrays, so resuming its own checkpoints fails otherwise. And an end-of-epoch
save records one iteration too many (ModelScope adds 1 for the iteration in progress, but at
the end of an epoch none is), which would shift a resumed per-iteration lr schedule by one step.
"""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
from modelscope.trainers.hooks.checkpoint.checkpoint_processor import CheckpointProcessor
from modelscope.utils.checkpoint import save_checkpoint
from modelscope.utils.constant import ModelFile

from ...io.atomic import atomic_path
from ...model import save_weights
from ...model.config_file import model_folder_config
from .hooks import scored_network


def _write_model_config(config_file: str, source_file: str, record: dict) -> None:
    """The output folder's configuration.json: the config the run started from, read whole (a
    model folder others fine-tune from needs its recipes, not ModelScope's run-time rewrite of
    them), with how these weights were made (``training_record``, overrides included)."""
    # A Python config cannot be copied as JSON: then ModelScope's dump of it is kept.
    config = model_folder_config(source_file if source_file.endswith(".json") else config_file, record)
    with atomic_path(config_file) as partial, open(partial, "w", encoding="utf-8") as fh:
        json.dump(config, fh, indent=2)
        fh.write("\n")


def _plain(value):
    """numpy arrays and scalars -> lists and Python numbers, recursively (weights_only-loadable)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


class AtomicCheckpointProcessor(CheckpointProcessor):
    def prepare_output(self, trainer, output_dir):
        """Only configuration.json: ModelScope would copy every file of the starting model folder
        (a fine-tune's output then held the starting model's model.onnx, which inference prefers)."""
        os.makedirs(output_dir, exist_ok=True)
        _write_model_config(os.path.join(output_dir, ModelFile.CONFIGURATION), trainer.cfg.filename,
                            trainer.training_record())

    def save_checkpoints(self, trainer, checkpoint_path_prefix, output_dir, meta=None, save_optimizers=True):
        model = trainer.unwrap_module(trainer.model)
        model_file, train_state_file = self._get_state_file_name(checkpoint_path_prefix)
        self.save_trainer_state(trainer, model, train_state_file, meta, save_optimizers)
        self.save_model_state(model, model_file)
        scored = scored_network(trainer)
        if scored is model.model:
            self.link(model, model_file, output_dir)
        else:
            save_weights(scored, os.path.join(output_dir, ModelFile.TORCH_MODEL_FILE))
        _write_model_config(os.path.join(output_dir, ModelFile.CONFIGURATION), trainer.cfg.filename,
                            trainer.training_record())

    def save_trainer_state(self, trainer, model, train_state_file, meta, save_optimizers):
        if meta and "iter" in meta:
            meta = {**meta, "iter": min(meta["iter"], (trainer.epoch + 1) * _steps_per_epoch(trainer))}
        with atomic_path(train_state_file) as partial:
            save_checkpoint(model, str(partial), trainer.optimizer if save_optimizers else None,
                            trainer.lr_scheduler if save_optimizers else None, meta=_plain(meta), with_model=False)

    def save_model_state(self, model, model_file):
        save_weights(model.model, model_file)

    def link(self, model, src_file, output_dir):
        with atomic_path(os.path.join(output_dir, ModelFile.TORCH_MODEL_FILE)) as partial:
            try:
                os.link(src_file, partial)
            except OSError:  # no hard links on this file system
                shutil.copyfile(src_file, partial)


def _steps_per_epoch(trainer) -> int:
    """Optimiser steps in one epoch. Not ``trainer.iters_per_epoch``: after the end-of-epoch
    evaluation the trainer is still in evaluation mode when the checkpoint is saved, and that
    property then counts the evaluation loader's batches."""
    return getattr(trainer, "_train_iters_per_epoch", None) or len(trainer.train_dataloader)
