"""Export YOLOX-SP to ONNX with batch, height and width dynamic.

Inputs: ``images`` float32 (B, 3, H, W), raw 0-255, H and W multiples of 32.
Outputs (raw, undecoded; :mod:`yoloxsp.model.decode` turns them into spindles):

- ``boxes`` (B, N, 10): per anchor (dx, dy, log w, log h, objectness logit, the two
  regressed poles dx1, dy1, dx2, dy2, the spindle class logit), offsets in strides from the anchor's cell;
  anchors ordered stride 8, 16, 32, each row-major; N = sum over strides of H/s * W/s;
- ``poles`` (B, 3, H/ps, W/ps): pole heat logit and raw sub-cell offsets (ps = pole stride).

The model's :class:`YoloxSpConfig` is stored as JSON in the file's metadata (``yoloxsp_config``),
so an ONNX file alone is enough to run the model. In a model folder the folder's configuration.json
gives the settings instead (:mod:`yoloxsp.model.resolve`), and the stored network settings (size,
pole stride) only check that the export is of the folder's network.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from ..errors import PathLike
from ..io.atomic import atomic_path
from .config import INPUT_CHANNELS, METADATA_KEY

if TYPE_CHECKING:  # the network is only passed through: exporting needs no import of it
    from .yoloxsp import YoloxSp

DEFAULT_OPSET = 17


class _Raw(nn.Module):
    def __init__(self, model: YoloxSp):
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor):
        return self.model.forward_raw(images)


def export_onnx(model: YoloxSp, path: PathLike, opset: int = DEFAULT_OPSET, sample_hw=(256, 256)) -> Path:
    """Write ``model`` to ``path`` (atomically) and return the path."""
    import onnx  # here, not at the top: only an export needs it, not every run that imports this module

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial:
        model = model.eval()
        dummy = torch.zeros(1, INPUT_CHANNELS, *sample_hw)
        with torch.no_grad():
            torch.onnx.export(_Raw(model), (dummy,), str(partial), opset_version=opset, dynamo=False,
                              input_names=["images"], output_names=["boxes", "poles"],
                              dynamic_axes={"images": {0: "batch", 2: "height", 3: "width"},
                                            "boxes": {0: "batch", 1: "anchors"},
                                            "poles": {0: "batch", 2: "pole_height", 3: "pole_width"}})
        proto = onnx.load(str(partial))
        entry = proto.metadata_props.add()
        entry.key, entry.value = METADATA_KEY, json.dumps(model.config.to_dict())
        onnx.checker.check_model(proto)
        onnx.save(proto, str(partial))
    return path
