"""Convolution blocks of YOLOX (CSPDarknet family): conv-BN-SiLU, depthwise variant, CSP, SPP, Focus.

BatchNorm uses eps 1e-3 / momentum 0.03 as YOLOX does.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


class ConvBnAct(nn.Module):
    """Conv2d (no bias) -> BatchNorm -> SiLU, 'same' padding."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 1, stride: int = 1, groups: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class DepthwiseConv(nn.Module):
    """Depthwise k x k then pointwise 1 x 1 (the 'nano' size's cheap convolution)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 1, stride: int = 1):
        super().__init__()
        self.depthwise = ConvBnAct(in_channels, in_channels, kernel, stride, groups=in_channels)
        self.pointwise = ConvBnAct(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def conv(depthwise: bool):
    """The 3x3 convolution type of a model size."""
    return DepthwiseConv if depthwise else ConvBnAct


class Bottleneck(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, shortcut: bool = True, expansion: float = 1.0,
                 depthwise: bool = False):
        super().__init__()
        hidden = int(out_channels * expansion)
        self.conv1 = ConvBnAct(in_channels, hidden, 1)
        self.conv2 = conv(depthwise)(hidden, out_channels, 3)
        self.use_add = shortcut and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(self.conv1(x))
        return x + y if self.use_add else y


class CSPLayer(nn.Module):
    """Cross-stage partial block: half the channels through n bottlenecks, then merged."""

    def __init__(self, in_channels: int, out_channels: int, n: int = 1, shortcut: bool = True,
                 expansion: float = 0.5, depthwise: bool = False):
        super().__init__()
        hidden = int(out_channels * expansion)
        self.conv1 = ConvBnAct(in_channels, hidden, 1)
        self.conv2 = ConvBnAct(in_channels, hidden, 1)
        self.conv3 = ConvBnAct(2 * hidden, out_channels, 1)
        self.m = nn.Sequential(*(Bottleneck(hidden, hidden, shortcut, 1.0, depthwise) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(torch.cat([self.m(self.conv1(x)), self.conv2(x)], dim=1))


class SPPBottleneck(nn.Module):
    """Spatial pyramid pooling (max pools of several sizes, concatenated)."""

    def __init__(self, in_channels: int, out_channels: int, kernels: Sequence[int] = (5, 9, 13)):
        super().__init__()
        hidden = in_channels // 2
        self.conv1 = ConvBnAct(in_channels, hidden, 1)
        self.pools = nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in kernels)
        self.conv2 = ConvBnAct(hidden * (len(kernels) + 1), out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        return self.conv2(torch.cat([x] + [pool(x) for pool in self.pools], dim=1))


class Focus(nn.Module):
    """Space-to-depth (2x2 pixels -> 4 channels) then a convolution: the stride-2 stem."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 3):
        super().__init__()
        self.conv = ConvBnAct(in_channels * 4, out_channels, kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tl, bl = x[..., ::2, ::2], x[..., 1::2, ::2]
        tr, br = x[..., ::2, 1::2], x[..., 1::2, 1::2]
        return self.conv(torch.cat([tl, bl, tr, br], dim=1))
