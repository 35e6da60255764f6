"""YOLOX-SP in ModelScope's MODELS registry (group image-object-detection, type ``yoloxsp``).

``Model.from_pretrained(model_dir)`` reads ``configuration.json``: its ``model`` section holds
:class:`~yoloxsp.model.YoloxSpConfig` fields next to ``type``; the weights are
``pytorch_model.pt`` in the same folder (written by :func:`~yoloxsp.model.save_weights`).
"""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Optional

import torch

from modelscope.models.base import TorchModel
from modelscope.models.builder import MODELS
from modelscope.utils.constant import ModelFile, Tasks

from ...model import YoloxSp, YoloxSpConfig, load_weights
from ...model.config import RETIRED_KEYS
from ...metainfo import Models

CONFIG_KEYS = {f.name for f in fields(YoloxSpConfig)} | set(RETIRED_KEYS)  # older folders carry the retired ones


@MODELS.register_module(Tasks.image_object_detection, module_name=Models.yoloxsp)
class YoloxSpModel(TorchModel):
    """Wraps :class:`~yoloxsp.model.YoloxSp`; ``forward`` is the EasyCV-convention forward.

    ``state_dict``/``load_state_dict`` are the wrapped network's, so trainer checkpoints and
    :func:`~yoloxsp.model.save_weights` files are interchangeable.
    """

    def __init__(self, model_dir: str = None, **kwargs):
        super().__init__(model_dir, **{k: v for k, v in kwargs.items() if k not in CONFIG_KEYS})
        params = {k: v for k, v in kwargs.items() if k in CONFIG_KEYS}
        source = Path(model_dir) / ModelFile.CONFIGURATION if model_dir else None
        config = YoloxSpConfig.from_dict(params, source) if params else None
        weights = Path(model_dir or ".") / ModelFile.TORCH_MODEL_FILE
        self.model = load_weights(weights, config) if model_dir and weights.exists() else YoloxSp(config)

    def forward(self, img, mode: Optional[str] = None, **kwargs):
        """``mode`` defaults to the module's state: ModelScope evaluates by calling ``forward``
        on a model in eval mode without naming one."""
        mode = mode or ("train" if self.training else "test")
        outputs = self.model(img, mode=mode, **kwargs)
        if mode == "train":
            outputs["loss"] = outputs["total_loss"]  # what ModelScope's optimizer hook steps on
            # Logged as plain numbers: ModelScope would otherwise all-reduce them through CUDA.
            outputs["log_vars"] = {k: float(v.detach()) for k, v in outputs.items() if k != "total_loss"}
        return outputs

    frozen_norm = False  # set by the fine-tuning recipe's FrozenNormHook

    def train(self, mode: bool = True):
        """With ``frozen_norm``, BatchNorm layers stay in evaluation mode while the rest trains:
        they normalise with, and keep, the statistics the weights were trained with (a handful of
        fine-tuning frames would otherwise replace them with noisy ones)."""
        super().train(mode)
        if mode and self.frozen_norm:
            for module in self.modules():
                if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def state_dict(self, *args, **kwargs):
        return self.model.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        return self.model.load_state_dict(state_dict, strict=strict, assign=assign)
