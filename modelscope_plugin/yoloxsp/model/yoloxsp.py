"""YOLOX-SP: YOLOX (CSPDarknet, PAFPN, decoupled head, SimOTA) plus a spindle-pole branch.

``forward(img, mode='train', gt_bboxes=..., gt_labels=..., img_metas=..., gt_poles=...,
gt_heatmap=..., gt_heatmap_mask=...)`` returns a dict of losses (EasyCV detector convention,
``total_loss`` included); ``mode='test'`` returns EasyCV-style detections; :meth:`YoloxSp.predict`
is the plain API for everything else. Ground truth may be lists (one tensor per image) or
padded tensors whose padding rows are all zero. Boxes are x1y1x2y2 in input pixels.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import nn

from .backbone import CSPDarknet, PAFPN
from .config import INPUT_CHANNELS, NUM_CLASSES, SIZES, YoloxSpConfig
from .decode import Detections, decode
from .grid import anchor_grid
from .heads import PoleHead, YoloxHead
from .inference import Frames, detect_frames
from .losses import LossBalance, detection_loss, pole_loss

Targets = Union[torch.Tensor, Sequence[torch.Tensor], None]


class YoloxSp(nn.Module):
    def __init__(self, config: Optional[YoloxSpConfig] = None, **overrides):
        super().__init__()
        config = config or YoloxSpConfig(**overrides)
        self.config = config
        depth, width, depthwise = SIZES[config.size]
        self.backbone = CSPDarknet(depth, width, INPUT_CHANNELS, depthwise)
        self.neck = PAFPN(depth, width, depthwise)
        self.head = YoloxHead(NUM_CLASSES, width, (int(256 * width), int(512 * width), int(1024 * width)),
                              depthwise)
        self.pole_head = PoleHead(width, config.pole_stride, depth, depthwise)
        self.balance = LossBalance(config.loss_balance, config.pole_weight)
        self.use_l1 = False  # switched on for the final no-augmentation epochs

    # ---------------------------------------------------------------------------- raw
    def forward_raw(self, img: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(box_raw (B, N, 9 + C), pole_raw (B, 3, H/s, W/s))``: what ONNX exports."""
        if not torch.jit.is_tracing() and (img.shape[-1] % 32 or img.shape[-2] % 32):
            raise ValueError(f"input height and width must be multiples of 32, got {tuple(img.shape[-2:])}")
        features = self.backbone(img)
        pyramid = self.neck(features)
        levels = self.head(pyramid)
        box_raw = torch.cat([lvl.flatten(2) for lvl in levels], dim=2).permute(0, 2, 1)
        return box_raw, self.pole_head(pyramid[0], features["dark2"])

    def raw_outputs(self, images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """:meth:`forward_raw` of a numpy batch (B, 3, H, W), without gradients, on the model's
        device, as numpy arrays: the raw outputs ONNX Runtime gives for the same batch."""
        device = next(self.parameters()).device
        with torch.no_grad():
            box_raw, pole_raw = self.forward_raw(torch.from_numpy(images).to(device))
        return box_raw.float().cpu().numpy(), pole_raw.float().cpu().numpy()

    # ---------------------------------------------------------------------------- EasyCV interface
    def forward(self, img: torch.Tensor, mode: str = "train", **kwargs):
        if mode == "train":
            return self.forward_train(img, **kwargs)
        if mode == "test":
            return self.forward_test(img, **kwargs)
        if mode == "raw":
            return self.forward_raw(img)
        raise ValueError(f"unknown mode {mode!r} (train, test or raw)")

    def forward_train(self, img: torch.Tensor, gt_bboxes: Targets, gt_labels: Targets = None, img_metas=None,
                      gt_poles: Targets = None, gt_heatmap: Optional[torch.Tensor] = None,
                      gt_heatmap_mask: Optional[torch.Tensor] = None, **_) -> Dict[str, torch.Tensor]:
        boxes = _unpad(gt_bboxes, img.shape[0], 4)
        labels = ([torch.zeros(len(b), dtype=torch.long, device=img.device) for b in boxes] if gt_labels is None
                  else [lbl.reshape(-1)[:len(b)].long() for lbl, b in zip(_as_list(gt_labels), boxes)])
        box_raw, pole_raw = self.forward_raw(img)
        grids, strides = anchor_grid(img.shape[-2:], device=img.device)
        pairs = (_unpad_poles(gt_poles, boxes) if gt_poles is not None
                 else [torch.full((len(b), 2, 2), float("nan"), device=img.device) for b in boxes])
        losses = detection_loss(box_raw, grids, strides, boxes, labels, pairs, self.use_l1)
        poles = [p.reshape(-1, 2) for p in pairs]
        if gt_heatmap is None:
            raise ValueError("YOLOX-SP training needs gt_heatmap and gt_heatmap_mask (see SpindleDataset)")
        mask = gt_heatmap_mask if gt_heatmap_mask is not None else torch.ones_like(gt_heatmap)
        losses.update(pole_loss(pole_raw, gt_heatmap, mask, poles, self.config.pole_stride))
        losses["total_loss"] = self.balance(losses["det_loss"], losses["pole_loss"])
        return losses

    @torch.no_grad()
    def forward_test(self, img: torch.Tensor, img_metas: Optional[List[dict]] = None, **_) -> dict:
        """EasyCV-style outputs; boxes/poles are divided by ``img_metas[i]['scale_factor']``."""
        box_raw, pole_raw = self.forward_raw(img)
        n = img.shape[0]
        scales = [float(np.ravel((img_metas or [{}] * n)[i].get("scale_factor", [1.0]))[0]) for i in range(n)]
        sizes = [tuple((img_metas or [{}] * n)[i].get("ori_img_shape", img.shape[-2:])[:2]) for i in range(n)]
        dets = decode(box_raw.cpu().numpy(), pole_raw.cpu().numpy(), img.shape[-2:], self.config.pole_stride,
                      scales, sizes, self.config.decode)
        return {"detection_boxes": [d.boxes for d in dets], "detection_scores": [d.scores for d in dets],
                "detection_classes": [d.labels.astype(np.int32) for d in dets],
                "detection_poles": [d.poles for d in dets], "img_metas": list(img_metas or [])}

    # ---------------------------------------------------------------------------- plain API
    def predict(self, frames: Frames, pixel_size: Optional[float] = None) -> List[Detections]:
        """Detect spindles and poles in frames (H x W [x C], 8/16-bit, 1-3 channels; ``pixel_size``
        in um, of every frame, when known)."""
        was_training = self.training
        self.eval()
        try:
            return detect_frames(self.raw_outputs, self.config, frames, pixel_size)
        finally:
            self.train(was_training)


def _as_list(targets) -> List[torch.Tensor]:
    return list(targets) if not isinstance(targets, torch.Tensor) else [t for t in targets]


def _unpad(targets: Targets, batch: int, width: int) -> List[torch.Tensor]:
    """Lists pass through; padded (B, N, width) tensors lose their all-zero rows."""
    if targets is None:
        raise ValueError("training needs gt_bboxes")
    items = _as_list(targets)
    if len(items) != batch:
        raise ValueError(f"got targets for {len(items)} images but a batch of {batch}")
    out = []
    for t in items:
        t = t.reshape(-1, width).float()
        out.append(t[(t != 0).any(1)] if isinstance(targets, torch.Tensor) else t)
    return out


def _unpad_poles(gt_poles: Targets, boxes: List[torch.Tensor]) -> List[torch.Tensor]:
    return [p.reshape(-1, 2, 2)[:len(b)] for p, b in zip(_as_list(gt_poles), boxes)]
