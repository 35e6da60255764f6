"""YOLOX-SP training losses.

Detection (YOLOX): after SimOTA, 5 x IoU loss (1 - IoU^2) + objectness BCE over all anchors +
class BCE against IoU-scaled one-hot targets, plus L1 on the raw box outputs in the final
no-augmentation epochs; each summed and divided by the number of foreground anchors. The
foreground anchors also regress their spindle's two poles (in strides from the anchor); the L1
takes the better of the two pole orders, since the poles have no natural identity.

Poles: the heatmap uses a quality focal loss (BCE weighted by |target - p|^2, Li et al. 2020) on
the soft Gaussian target, over the loss mask and normalised by the number of poles; upstream's
summed squared error weighted every background cell equally, so the few pole cells drowned.
Offsets: L1 over the 3x3 cells around each pole.

Balancing: upstream's learned uncertainty weights (0.5 / s^2 * L + log(1 + s^2) per task) or a
fixed pole weight.
"""
from __future__ import annotations

from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import nn

from .assign import simota_assign
from .grid import BOX, CLS, OBJ, POLES, decode_boxes, encode_boxes, pole_offsets


def detection_loss(raw: torch.Tensor, grids: torch.Tensor, strides: torch.Tensor, gt_boxes: List[torch.Tensor],
                   gt_labels: List[torch.Tensor], gt_poles: List[torch.Tensor], use_l1: bool) -> Dict[str, torch.Tensor]:
    """``raw`` (B, N, 9 + C) concatenated over levels; ``grids`` (N, 2); ``strides`` (N,);
    per image ``gt_poles`` (G, 2, 2) aligned with ``gt_boxes`` (NaN where unknown)."""
    from torchvision.ops import box_iou  # here, not at the top: torchvision's import costs seconds; inference skips it

    boxes = decode_boxes(raw, grids[None], strides[None])
    obj_targets = torch.zeros_like(raw[..., OBJ])
    fg_preds, fg_targets, cls_preds, cls_targets, l1_preds, l1_targets = [], [], [], [], [], []
    pole_preds, pole_targets = [], []
    anchor_centres = (grids + 0.5) * strides[:, None]
    num_classes = raw.shape[-1] - CLS
    for b, (gtb, gtl, gtp) in enumerate(zip(gt_boxes, gt_labels, gt_poles)):
        a = simota_assign(anchor_centres, strides, boxes[b].detach(), raw[b, :, OBJ].detach(),
                          raw[b, :, CLS:].detach(), gtb, gtl)
        if a.num_foreground == 0:
            continue
        obj_targets[b, a.foreground] = 1.0
        matched = gtb[a.gt_index]
        fg_preds.append(boxes[b, a.foreground])
        fg_targets.append(matched)
        cls_preds.append(raw[b, a.foreground, CLS:])
        poles = gtp[a.gt_index]                                                   # (F, 2, 2) px
        known = torch.isfinite(poles).all(dim=(1, 2))
        if known.any():
            stride = strides[a.foreground][known][:, None, None]
            centre = anchor_centres[a.foreground][known][:, None, :]
            pole_preds.append(raw[b, a.foreground, POLES][known].reshape(-1, 2, 2))
            pole_targets.append((poles[known] - centre) / stride)
        cls_targets.append(F.one_hot(gtl[a.gt_index].long(), num_classes).float() * a.iou[:, None])
        if use_l1:
            l1_preds.append(raw[b, a.foreground, BOX])
            l1_targets.append(encode_boxes(matched, grids[a.foreground], strides[a.foreground]))
    num_fg = max(sum(len(p) for p in fg_preds), 1)
    zero = raw.sum() * 0.0
    obj = F.binary_cross_entropy_with_logits(raw[..., OBJ], obj_targets, reduction="sum") / num_fg
    if fg_preds:
        pred, target = torch.cat(fg_preds), torch.cat(fg_targets)
        iou = box_iou(pred, target).diagonal()
        iou_loss = (1 - iou ** 2).sum() / num_fg
        cls = F.binary_cross_entropy_with_logits(torch.cat(cls_preds), torch.cat(cls_targets), reduction="sum") / num_fg
        l1 = (F.l1_loss(torch.cat(l1_preds), torch.cat(l1_targets), reduction="sum") / num_fg) if use_l1 else zero
    else:
        iou_loss = cls = l1 = zero
    if pole_preds:
        pred, target = torch.cat(pole_preds), torch.cat(pole_targets)
        same = (pred - target).abs().sum(dim=(1, 2))
        swapped = (pred - target.flip(1)).abs().sum(dim=(1, 2))
        pole_reg = torch.minimum(same, swapped).sum() / num_fg
    else:
        pole_reg = zero
    total = 5.0 * iou_loss + obj + cls + l1 + pole_reg
    return {"det_loss": total, "iou_loss": iou_loss, "obj_loss": obj, "cls_loss": cls, "l1_loss": l1,
            "pole_reg_loss": pole_reg, "num_fg": torch.tensor(float(num_fg))}


def pole_loss(pole_raw: torch.Tensor, heatmap: torch.Tensor, mask: torch.Tensor, gt_poles: List[torch.Tensor],
              stride: int) -> Dict[str, torch.Tensor]:
    """``pole_raw`` (B, 3, h, w); ``heatmap``/``mask`` (B, 1, h, w); ``gt_poles`` per image (M, 2) px."""
    if heatmap.shape[-2:] != pole_raw.shape[-2:]:
        raise ValueError(f"pole target is {tuple(heatmap.shape[-2:])} but the pole head outputs "
                         f"{tuple(pole_raw.shape[-2:])}: the dataset's heatmap stride must equal the model's ({stride})")
    logits = pole_raw[:, :1]
    prob = logits.sigmoid()
    focal = F.binary_cross_entropy_with_logits(logits, heatmap, reduction="none") * (heatmap - prob).abs().pow(2)
    num_poles = max(sum(int(torch.isfinite(p).all(1).sum()) for p in gt_poles), 1)
    heat = (focal * mask).sum() / num_poles

    offsets = pole_offsets(pole_raw[:, 1:])
    h, w = pole_raw.shape[-2:]
    preds, targets = [], []
    neighbourhood = torch.tensor([(dj, di) for di in (-1, 0, 1) for dj in (-1, 0, 1)], device=pole_raw.device)
    for b, poles in enumerate(gt_poles):
        poles = poles[torch.isfinite(poles).all(1)]
        if not len(poles):
            continue
        cell_pos = poles / stride - 0.5                                       # in cell-centre units
        cells = cell_pos.round().long()[:, None, :] + neighbourhood[None]     # (M, 9, 2)
        target = cell_pos[:, None, :] - cells
        inside = (cells[..., 0] >= 0) & (cells[..., 0] < w) & (cells[..., 1] >= 0) & (cells[..., 1] < h)
        cells, target = cells[inside], target[inside]
        preds.append(offsets[b, :, cells[:, 1], cells[:, 0]].T)
        targets.append(target)
    offset = (F.l1_loss(torch.cat(preds), torch.cat(targets), reduction="mean") if preds
              else pole_raw.sum() * 0.0)
    return {"pole_loss": heat + offset, "pole_heat_loss": heat, "pole_offset_loss": offset}


class LossBalance(nn.Module):
    """Combine detection and pole losses: learned uncertainty weights or a fixed pole weight."""

    def __init__(self, mode: str = "uncertainty", pole_weight: float = 1.0):
        super().__init__()
        if mode not in ("uncertainty", "fixed"):
            raise ValueError(f"loss balance must be 'uncertainty' or 'fixed', got {mode!r}")
        self.mode, self.pole_weight = mode, pole_weight
        self.log_sigma = nn.Parameter(torch.zeros(2)) if mode == "uncertainty" else None

    def forward(self, det: torch.Tensor, pole: torch.Tensor) -> torch.Tensor:
        if self.log_sigma is None:
            return det + self.pole_weight * pole
        s2 = torch.exp(2 * self.log_sigma)
        return (0.5 / s2[0] * det + torch.log1p(s2[0])) + (0.5 / s2[1] * pole + torch.log1p(s2[1]))
