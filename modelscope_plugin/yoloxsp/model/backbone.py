"""CSPDarknet backbone and PAFPN neck of YOLOX, scaled by depth and width multipliers."""
from __future__ import annotations

from typing import Dict, Tuple

import torch
from torch import nn

from .blocks import ConvBnAct, CSPLayer, Focus, SPPBottleneck, conv


class CSPDarknet(nn.Module):
    """Returns the stride-4/8/16/32 features ``dark2``..``dark5``."""

    def __init__(self, depth: float, width: float, in_channels: int = 3, depthwise: bool = False):
        super().__init__()
        base, n = int(width * 64), max(round(depth * 3), 1)
        Conv = conv(depthwise)
        self.stem = Focus(in_channels, base, 3)
        self.dark2 = nn.Sequential(Conv(base, base * 2, 3, 2), CSPLayer(base * 2, base * 2, n, depthwise=depthwise))
        self.dark3 = nn.Sequential(Conv(base * 2, base * 4, 3, 2),
                                   CSPLayer(base * 4, base * 4, n * 3, depthwise=depthwise))
        self.dark4 = nn.Sequential(Conv(base * 4, base * 8, 3, 2),
                                   CSPLayer(base * 8, base * 8, n * 3, depthwise=depthwise))
        self.dark5 = nn.Sequential(Conv(base * 8, base * 16, 3, 2), SPPBottleneck(base * 16, base * 16),
                                   CSPLayer(base * 16, base * 16, n, shortcut=False, depthwise=depthwise))

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        out = {}
        x = self.stem(x)
        for name in ("dark2", "dark3", "dark4", "dark5"):
            x = getattr(self, name)(x)
            out[name] = x
        return out


class PAFPN(nn.Module):
    """Top-down then bottom-up feature pyramid over dark3..dark5 (strides 8, 16, 32)."""

    def __init__(self, depth: float, width: float, depthwise: bool = False):
        super().__init__()
        c3, c4, c5 = int(256 * width), int(512 * width), int(1024 * width)
        n = round(3 * depth)
        Conv = conv(depthwise)
        self.upsample = nn.Upsample(scale_factor=2, mode="nearest")
        self.lateral_conv0 = ConvBnAct(c5, c4, 1)
        self.C3_p4 = CSPLayer(2 * c4, c4, n, False, depthwise=depthwise)
        self.reduce_conv1 = ConvBnAct(c4, c3, 1)
        self.C3_p3 = CSPLayer(2 * c3, c3, n, False, depthwise=depthwise)
        self.bu_conv2 = Conv(c3, c3, 3, 2)
        self.C3_n3 = CSPLayer(2 * c3, c4, n, False, depthwise=depthwise)
        self.bu_conv1 = Conv(c4, c4, 3, 2)
        self.C3_n4 = CSPLayer(2 * c4, c5, n, False, depthwise=depthwise)

    def forward(self, features: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x2, x1, x0 = features["dark3"], features["dark4"], features["dark5"]
        fpn_out0 = self.lateral_conv0(x0)
        f_out0 = self.C3_p4(torch.cat([self.upsample(fpn_out0), x1], 1))
        fpn_out1 = self.reduce_conv1(f_out0)
        pan_out2 = self.C3_p3(torch.cat([self.upsample(fpn_out1), x2], 1))
        pan_out1 = self.C3_n3(torch.cat([self.bu_conv2(pan_out2), fpn_out1], 1))
        pan_out0 = self.C3_n4(torch.cat([self.bu_conv1(pan_out1), fpn_out0], 1))
        return pan_out2, pan_out1, pan_out0
