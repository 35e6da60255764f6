"""SimOTA label assignment (YOLOX): which anchors learn which ground-truth box.

For each ground truth, candidate anchors are those whose centre lies inside the box or within
``center_radius`` strides of its centre. The cost of pairing is the class cost (BCE of
sqrt(cls * obj) against the one-hot class) + 3 x the IoU cost (-log IoU), with a large penalty
for anchors not both inside the box and near its centre. Each ground truth takes its k cheapest
anchors, k = the (floored, >= 1) sum of its 10 best IoUs; an anchor claimed twice goes to the
cheaper ground truth.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Assignment:
    foreground: torch.Tensor   # (N,) bool
    gt_index: torch.Tensor     # (num_fg,) index of the matched ground truth per foreground anchor
    iou: torch.Tensor          # (num_fg,) IoU of the prediction with its ground truth

    @property
    def num_foreground(self) -> int:
        return int(self.foreground.sum())


@torch.no_grad()
def simota_assign(anchor_centres: torch.Tensor, strides: torch.Tensor, pred_boxes: torch.Tensor,
                  obj_logits: torch.Tensor, cls_logits: torch.Tensor, gt_boxes: torch.Tensor,
                  gt_classes: torch.Tensor, center_radius: float = 2.5, topk_iou: int = 10) -> Assignment:
    """Assign anchors of one image. Boxes are x1y1x2y2 pixels; ``anchor_centres`` (N, 2)."""
    from torchvision.ops import box_iou  # here, not at the top: torchvision's import costs seconds; inference skips it

    n_anchors, n_gt = anchor_centres.shape[0], gt_boxes.shape[0]
    empty = Assignment(torch.zeros(n_anchors, dtype=torch.bool, device=pred_boxes.device),
                       torch.zeros(0, dtype=torch.long, device=pred_boxes.device), pred_boxes.new_zeros(0))
    if n_gt == 0:
        return empty
    x, y = anchor_centres[:, 0], anchor_centres[:, 1]
    in_box = ((x[None] > gt_boxes[:, None, 0]) & (x[None] < gt_boxes[:, None, 2])
              & (y[None] > gt_boxes[:, None, 1]) & (y[None] < gt_boxes[:, None, 3]))          # (G, N)
    gt_centres = (gt_boxes[:, :2] + gt_boxes[:, 2:]) / 2
    radius = center_radius * strides[None]
    in_centre = ((x[None] - gt_centres[:, None, 0]).abs() < radius) & ((y[None] - gt_centres[:, None, 1]).abs() < radius)
    candidate = (in_box | in_centre).any(dim=0)                                               # (N,)
    if not candidate.any():
        return empty
    both = (in_box & in_centre)[:, candidate]                                                 # (G, Nc)

    ious = box_iou(gt_boxes, pred_boxes[candidate])                                           # (G, Nc)
    iou_cost = -torch.log(ious + 1e-8)
    scores = (cls_logits[candidate].float().sigmoid() * obj_logits[candidate, None].float().sigmoid()).sqrt()
    one_hot = F.one_hot(gt_classes.long(), cls_logits.shape[1]).float()                       # (G, C)
    cls_cost = F.binary_cross_entropy(scores[None].expand(n_gt, -1, -1).clamp(1e-6, 1 - 1e-6),
                                      one_hot[:, None].expand(-1, scores.shape[0], -1),
                                      reduction="none").sum(-1)
    cost = cls_cost + 3.0 * iou_cost + 1e5 * (~both)

    k = torch.topk(ious, min(topk_iou, ious.shape[1]), dim=1).values.sum(1).int().clamp(min=1)
    matching = torch.zeros_like(cost, dtype=torch.bool)
    for g in range(n_gt):
        idx = torch.topk(cost[g], int(min(k[g], cost.shape[1])), largest=False).indices
        matching[g, idx] = True
    claimed_twice = matching.sum(0) > 1
    if claimed_twice.any():
        best = cost[:, claimed_twice].argmin(0)
        matching[:, claimed_twice] = False
        matching[best, claimed_twice.nonzero().squeeze(1)] = True
    matched = matching.any(0)
    gt_index = matching[:, matched].float().argmax(0)
    foreground = torch.zeros(n_anchors, dtype=torch.bool, device=pred_boxes.device)
    candidate_idx = candidate.nonzero().squeeze(1)
    foreground[candidate_idx[matched]] = True
    return Assignment(foreground, gt_index, ious[:, matched][gt_index, torch.arange(int(matched.sum()))])
