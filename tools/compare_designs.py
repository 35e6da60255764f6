"""Train YOLOX-SP variants identically on synthetic data and compare them on unseen seeds.

    .venv/bin/python tools/compare_designs.py --steps 400 \
        --variant s4:pole_stride=4 --variant s8:pole_stride=8 --variant s8-fixed:pole_stride=8,loss_balance=fixed

Used to choose the pole branch (stride 4 vs 8) and the loss balancing (learned uncertainty vs
fixed). Training: AdamW + cosine, batch 8, mosaic/affine/flip augmentation, input 256. Prints
pole precision/recall/F1 at 1/2/3 px, median pole error, box F1 at IoU 0.5, and GFLOPs at 512.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch.utils.data import DataLoader
from torchvision.ops import box_iou

from benchmark import gflops
from yoloxsp.data import read_cvat
from yoloxsp.data.dataset import SpindleDataset, collate
from yoloxsp.io import read_image
from yoloxsp.metrics import pole_metrics
from yoloxsp.model import YoloxSp, YoloxSpConfig, save_weights
from yoloxsp.synth import SynthConfig, read_truth, write_movie

TRAIN = [dict(seed=s, pixel_size=ps, wells=w, noise=n) for s, ps, w, n in
         [(101, 0.10, False, 1.0), (102, 0.13, True, 0.7), (103, 0.16, True, 0.5), (104, 0.12, False, 1.3),
          (105, 0.11, False, 0.8), (106, 0.15, True, 1.0)]]
VALIDATION = [dict(seed=s, pixel_size=ps, wells=w, noise=n) for s, ps, w, n in
              [(901, 0.11, False, 1.0), (902, 0.14, True, 0.6), (903, 0.10, True, 1.2)]]


def make_movies(root: Path, specs: List[dict], frames: int) -> List[Path]:
    return [write_movie(root / f"m{spec['seed']}", SynthConfig(width=256, height=256, frames=frames, spindles=3,
                                                               frame_interval=45, **spec)) for spec in specs]


def train(variant: Dict[str, str], records, steps: int, stride_seed: int = 0,
          checkpoint: Optional[Path] = None, checkpoint_every: int = 250) -> YoloxSp:
    """AdamW + one-cycle on ``records``; ``checkpoint`` is rewritten (atomically) every few steps."""
    torch.manual_seed(stride_seed)
    config = YoloxSpConfig(**{"size": "tiny", **{k: (int(v) if v.isdigit() else v) for k, v in variant.items()}})
    model = YoloxSp(config)
    dataset = SpindleDataset(records, input_size=256, train=True, heatmap_stride=config.pole_stride, seed=stride_seed)
    loader = DataLoader(dataset, batch_size=8, shuffle=True, collate_fn=collate, num_workers=0, drop_last=True)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=5e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    step = 0
    while step < steps:
        for batch in loader:
            if step == int(steps * 0.85):  # final no-augmentation phase with L1, as YOLOX
                dataset.disable_augmentation()
                model.use_l1 = True
            model.train()
            losses = model(batch["image"], mode="train", gt_bboxes=batch["boxes"], gt_labels=batch["labels"],
                           gt_poles=batch["poles"], gt_heatmap=batch["heatmap"],
                           gt_heatmap_mask=batch["heatmap_mask"])
            optimiser.zero_grad()
            losses["total_loss"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            optimiser.step()
            schedule.step()
            step += 1
            if step % 100 == 0:
                print(f"    step {step}: loss {float(losses['total_loss']):.3f}", flush=True)
            if checkpoint and step % checkpoint_every == 0:
                save_weights(model, checkpoint)
            if step >= steps:
                break
    if checkpoint:
        save_weights(model, checkpoint)
    return model.eval()


def validation_frames(movies: List[Path]):
    """``(frames, true boxes (N, 4), true pole pairs (N, 2, 2))`` per frame of the movies."""
    frames, boxes, poles = [], [], []
    for movie in movies:
        truth = read_truth(movie / "ground_truth.csv")
        for record in read_cvat(movie).records:
            rows = [t.spindle for t in truth if t.frame == record.frame]
            frames.append(read_image(record.image_path))
            boxes.append(np.array([s.box for s in rows]).reshape(-1, 4))
            poles.append(np.array([s.poles for s in rows]).reshape(-1, 2, 2))
    return frames, boxes, poles


def evaluate(model: YoloxSp, movies: List[Path]) -> Dict[str, float]:
    frames, true_boxes, true_poles = validation_frames(movies)
    detections = model.predict(frames)
    box_tp = sum(_box_matches(d.boxes, b) for d, b in zip(detections, true_boxes))
    n_pred, n_true = sum(len(d) for d in detections), sum(len(b) for b in true_boxes)
    precision, recall = box_tp / max(n_pred, 1), box_tp / max(n_true, 1)
    metrics = pole_metrics([d.poles.reshape(-1, 2) for d in detections], [p.reshape(-1, 2) for p in true_poles])
    metrics["box_F1@0.5"] = 2 * precision * recall / max(precision + recall, 1e-9)
    return metrics


def _box_matches(pred: np.ndarray, truth: np.ndarray) -> int:
    """True positives at IoU >= 0.5 under the optimal one-to-one matching."""
    if not len(pred) or not len(truth):
        return 0
    iou = box_iou(torch.tensor(pred), torch.tensor(truth, dtype=torch.float32)).numpy()
    rows, cols = linear_sum_assignment(-iou)
    return int((iou[rows, cols] >= 0.5).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", action="append", required=True, help="name:key=value,key=value")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--frames", type=int, default=24, help="frames per training movie")
    parser.add_argument("--save", type=Path, help="folder to save each trained variant's weights in")
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        train_movies = make_movies(Path(tmp) / "train", TRAIN, args.frames)
        val_movies = make_movies(Path(tmp) / "val", VALIDATION, 8)
        records = [r for m in train_movies for r in read_cvat(m).records]
        print(f"training frames: {len(records)}, validation frames: {8 * len(val_movies)}")
        rows = []
        for spec in args.variant:
            name, _, params = spec.partition(":")
            variant = dict(kv.split("=", 1) for kv in params.split(",") if kv)
            start = time.perf_counter()
            print(f"== {name} {variant}", flush=True)
            model = train(variant, records, args.steps)
            minutes = (time.perf_counter() - start) / 60
            if args.save:
                save_weights(model, args.save / f"{name}.pt")
            rows.append((name, evaluate(model, val_movies), gflops(model, 512), minutes))
    keys = ["box_F1@0.5", "pole_F1@1px", "pole_F1@2px", "pole_F1@3px", "pole_precision@2px", "pole_recall@2px",
            "pole_median_error_px"]
    print(f"{'variant':>10} {'GFLOPs@512':>10} {'train min':>9} " + " ".join(f"{k:>20}" for k in keys))
    for name, metrics, flops, minutes in rows:
        print(f"{name:>10} {flops:>10.2f} {minutes:>9.1f} " + " ".join(f"{metrics[k]:>20.3f}" for k in keys))


if __name__ == "__main__":
    main()
