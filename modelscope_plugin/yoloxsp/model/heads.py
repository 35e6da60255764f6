"""Prediction heads: YOLOX's decoupled anchor-free box head and the spindle-pole branch."""
from __future__ import annotations

import math
from typing import List, Sequence

import torch
from torch import nn

from .blocks import ConvBnAct, CSPLayer, conv

PRIOR_PROB = 0.01


def _prior_bias(layer: nn.Conv2d) -> None:
    nn.init.constant_(layer.bias, -math.log((1 - PRIOR_PROB) / PRIOR_PROB))


class YoloxHead(nn.Module):
    """Per stride: a stem, then separate class and regression towers. Raw output per level is
    ``(B, 9 + C, H, W)`` laid out as :mod:`.grid`'s ``BOX``, ``OBJ``, ``POLES``, ``CLS``. The pole
    regression (YOLO-pose style) pairs the poles with their spindle by construction and still
    separates poles closer than one heatmap cell (phase-1 spindles)."""

    def __init__(self, num_classes: int, width: float, in_channels: Sequence[int], depthwise: bool = False):
        super().__init__()
        hidden = int(256 * width)
        Conv = conv(depthwise)
        self.num_classes = num_classes
        self.stems = nn.ModuleList(ConvBnAct(c, hidden, 1) for c in in_channels)
        self.cls_convs = nn.ModuleList(nn.Sequential(Conv(hidden, hidden, 3), Conv(hidden, hidden, 3))
                                       for _ in in_channels)
        self.reg_convs = nn.ModuleList(nn.Sequential(Conv(hidden, hidden, 3), Conv(hidden, hidden, 3))
                                       for _ in in_channels)
        self.cls_preds = nn.ModuleList(nn.Conv2d(hidden, num_classes, 1) for _ in in_channels)
        self.reg_preds = nn.ModuleList(nn.Conv2d(hidden, 4, 1) for _ in in_channels)
        self.obj_preds = nn.ModuleList(nn.Conv2d(hidden, 1, 1) for _ in in_channels)
        self.pole_preds = nn.ModuleList(nn.Conv2d(hidden, 4, 1) for _ in in_channels)
        for layer in list(self.cls_preds) + list(self.obj_preds):
            _prior_bias(layer)

    def forward(self, features: Sequence[torch.Tensor]) -> List[torch.Tensor]:
        outputs = []
        for i, x in enumerate(features):
            x = self.stems[i](x)
            cls_feat, reg_feat = self.cls_convs[i](x), self.reg_convs[i](x)
            outputs.append(torch.cat([self.reg_preds[i](reg_feat), self.obj_preds[i](reg_feat),
                                      self.pole_preds[i](reg_feat), self.cls_preds[i](cls_feat)], dim=1))
        return outputs


class PoleHead(nn.Module):
    """Heatmap of spindle poles with sub-cell offsets: output ``(B, 3, H/s, W/s)`` =
    (heat logit, dx, dy), offsets in cells within +-OFFSET_RANGE after :func:`.grid.pole_offsets`.

    ``stride=4`` is upstream's design (the stride-8 top-down feature upsampled and fused with
    the backbone's stride-4 stage); ``stride=8`` works on the stride-8 PAFPN output directly and
    relies on the offsets for sub-pixel precision. Channel counts scale with the model width
    (upstream hard-coded them for width 0.5).
    """

    def __init__(self, width: float, stride: int = 4, depth: float = 0.33, depthwise: bool = False):
        super().__init__()
        if stride not in (4, 8):
            raise ValueError(f"pole stride must be 4 or 8, got {stride}")
        self.stride = stride
        c3, wide, narrow = int(256 * width), int(256 * width), int(128 * width)
        n = max(round(depth * 3), 1)
        if stride == 4:
            self.lateral = ConvBnAct(c3, wide, 1)
            self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
            self.fuse = nn.Sequential(CSPLayer(wide + int(128 * width), wide, n, False, depthwise=depthwise),
                                      CSPLayer(wide, narrow, n, False, depthwise=depthwise))
        else:
            self.fuse = CSPLayer(c3, narrow, n, False, depthwise=depthwise)
        self.pred = nn.Conv2d(narrow, 3, 1)
        nn.init.normal_(self.pred.weight, std=0.01)
        with torch.no_grad():
            self.pred.bias.zero_()
            self.pred.bias[0] = -math.log((1 - PRIOR_PROB) / PRIOR_PROB)

    def forward(self, stride8: torch.Tensor, dark2: torch.Tensor) -> torch.Tensor:
        if self.stride == 4:
            x = torch.cat([self.upsample(self.lateral(stride8)), dark2], dim=1)
        else:
            x = stride8
        return self.pred(self.fuse(x))
