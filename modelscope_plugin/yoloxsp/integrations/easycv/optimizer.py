"""Learning rates per part of the network (``optimizer.constructor: "NetworkPartsConstructor"``).

A fine-tune on a handful of frames moves the parts that read the new look (the heads, the neck)
faster than the backbone, whose general features a few frames cannot improve and easily spoil
(few-shot detection fine-tunes the last layers and freezes or slows the rest, e.g. TFA, Wang et
al. 2020). ``paramwise_options`` names parts of :class:`~yoloxsp.model.YoloxSp` (``backbone``,
``neck``, ``head``, ``pole_head``, ``balance``: the loss weights) with an ``lr_mult``; a part with
``lr_mult`` 0 is frozen (no gradient is computed for it, which also saves the backward pass
through it when it is the backbone; under DistributedDataParallel it is only left out of the optimiser). EasyCV's own ``paramwise_options`` (regular expressions,
without a constructor) prints a line per parameter; this names parts and says nothing.
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional

import torch
from easycv.core.optimizer.builder import OPTIMIZER_BUILDERS


@OPTIMIZER_BUILDERS.register_module(force=True)
class NetworkPartsConstructor:
    """Parameter groups by part of the network, each at ``lr * lr_mult`` of its part (1 if unnamed)."""

    def __init__(self, optimizer_cfg: Mapping, paramwise_cfg: Optional[Mapping] = None):
        self.lr = float(optimizer_cfg["lr"])
        self.multipliers: Dict[str, float] = {}
        for part, options in dict(paramwise_cfg or {}).items():
            unknown = set(options) - {"lr_mult"}
            if unknown:
                raise ValueError(f"paramwise_options.{part}: only lr_mult is taken, got {sorted(unknown)}")
            self.multipliers[part] = float(options["lr_mult"])

    def add_params(self, params: List[dict], module: torch.nn.Module) -> None:
        """Append one group per part to ``params`` (EasyCV then builds the optimiser over them)."""
        wrapped = getattr(module, "module", module)  # the model inside DistributedDataParallel, if any
        network = getattr(wrapped, "model", wrapped)  # the YoloxSp inside ModelScope's wrapper
        parts = dict(network.named_children())
        unknown = set(self.multipliers) - set(parts)
        if unknown:
            raise ValueError(f"paramwise_options names no part of the network: {sorted(unknown)} "
                             f"(parts: {sorted(parts)})")
        # DistributedDataParallel has registered every parameter for gradients already: there a frozen
        # part is left out of the optimiser (its gradients are computed and unused) instead of losing them
        distributed = wrapped is not module
        for name, part in parts.items():
            multiplier = self.multipliers.get(name, 1.0)
            weights = list(part.parameters())
            if multiplier == 0:
                if not distributed:
                    for weight in weights:
                        weight.requires_grad_(False)
            elif weights:
                params.append({"params": weights, "lr": self.lr * multiplier})
