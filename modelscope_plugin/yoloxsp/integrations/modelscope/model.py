"""YOLOX-SP in ModelScope's MODELS registry (group image-object-detection, type ``yoloxsp``).

``Model.from_pretrained(model_dir)`` reads ``configuration.json``: its ``model`` section holds
:class:`~yoloxsp.model.YoloxSpConfig` fields next to ``type``; the weights are
``pytorch_model.pt`` in the same folder (written by :func:`~yoloxsp.model.save_weights`).
"""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from modelscope.models.base import TorchModel
from modelscope.models.builder import MODELS
from modelscope.utils.constant import ModelFile, Tasks

from ...model import YoloxSp, YoloxSpConfig, load_weights
from ...metainfo import Models

CONFIG_KEYS = {f.name for f in fields(YoloxSpConfig)}


@MODELS.register_module(Tasks.image_object_detection, module_name=Models.yoloxsp)
class YoloxSpModel(TorchModel):
    """Wraps :class:`~yoloxsp.model.YoloxSp`; ``forward`` is the EasyCV-convention forward."""

    def __init__(self, model_dir: str = None, **kwargs):
        super().__init__(model_dir, **{k: v for k, v in kwargs.items() if k not in CONFIG_KEYS})
        params = {k: v for k, v in kwargs.items() if k in CONFIG_KEYS}
        config = YoloxSpConfig(**params) if params else None
        weights = Path(model_dir or ".") / ModelFile.TORCH_MODEL_FILE
        self.model = load_weights(weights, config) if model_dir and weights.exists() else YoloxSp(config)

    def forward(self, img, mode: str = "train", **kwargs):
        outputs = self.model(img, mode=mode, **kwargs)
        if mode == "train":  # ModelScope's optimizer hook reads "loss"
            outputs["loss"] = outputs["total_loss"]
        return outputs
