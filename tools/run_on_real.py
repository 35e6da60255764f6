"""Run a model on the real annotated frame and save an overlay (smoke test on real data).

    .venv/bin/python tools/run_on_real.py ../shared/real/spombe_frame_000036.png res/real_frame_detections.png

The reference boxes are the 6 spindles annotated upstream (traced from the drawn outlines, see
../shared/real/README.md). Prints found / missed / extra at IoU >= 0.3 (the traced boxes are
approximate) with one-to-one matching; the overlay shows references in orange, detections in
cyan with their poles and score.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torchvision.ops import box_iou

from yoloxsp.io import read_image
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend
from yoloxsp.post.overlay import draw_detections

REFERENCE = np.array([(337, 32, 351, 45), (74, 170, 94, 204), (382, 198, 418, 208), (202, 281, 230, 298),
                      (191, 382, 212, 411), (139, 434, 161, 446)], float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("frame", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", default="yoloxsp")
    args = parser.parse_args()
    frame = read_image(args.frame)
    detections = Predictor(open_backend(args.model))([frame])[0]
    iou = box_iou(torch.tensor(detections.boxes, dtype=torch.float64), torch.tensor(REFERENCE)).numpy()
    rows, cols = linear_sum_assignment(-iou) if iou.size else ([], [])
    matched = [(r, c) for r, c in zip(rows, cols) if iou[r, c] >= 0.3]
    both = sum(int(np.isfinite(detections.poles[r]).all()) for r, _ in matched)
    print(f"reference spindles: {len(REFERENCE)}, detections: {len(detections)}, found: {len(matched)} "
          f"(with both poles: {both}), missed: {len(REFERENCE) - len(matched)}, "
          f"extra: {len(detections) - len(matched)}")
    for r, c in matched:
        print(f"  reference {c}: IoU {iou[r, c]:.2f}, score {detections.scores[r]:.2f}, "
              f"poles {detections.poles[r].round(1).tolist()}")
    overlay = draw_detections(frame, detections, [f"{s:.2f}" for s in detections.scores], REFERENCE)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
