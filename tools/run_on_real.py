"""Run a model on the real annotated frame and save an overlay (smoke test on real data).

    .venv/bin/python tools/run_on_real.py ../shared/real/spombe_frame_000036.png res/real_frame_detections.png
    .venv/bin/python tools/run_on_real.py ../shared/real/spombe_frame_000036.png res/real_frame_detections.png --variants

The reference boxes are the 6 spindles annotated upstream (traced from the drawn outlines, see
../shared/real/README.md). Prints found / missed / extra at IoU >= 0.3 (the traced boxes are
approximate) with one-to-one matching; the overlay shows references in orange, detections in
cyan with their poles and score.

``--variants`` also scores the frame remade the ways other microscopes record it (tubulin alone, as
one channel or exported as grey or green RGB, raw 16-bit at low signal, a glowing SPB channel, JPEG
compression, blur, other pixel sizes): real spindle textures under other looks. Six spindles make
these smoke checks, not estimates; nothing is tuned on them.

``--ends`` measures where tubulin-only ends fall on real pixels: the SPB dots (green) mark each
found spindle's true ends; the red channel alone is then run as a tubulin-only movie, and the
network's poles and the ends fitted on the red pixels (:mod:`yoloxsp.post.ends`) are compared
with the SPB positions (end distance in px, and the signed error of the end-to-end length).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, Dict, Tuple

import cv2
import numpy as np

from yoloxsp.data.degrade import blur
from yoloxsp.io import read_image
from yoloxsp.io.images import jpeg_round_trip
from yoloxsp.metrics.boxes import matched_pairs, pairwise_iou
from yoloxsp.model.backends import Predictor
from yoloxsp.model.decode import Detections
from yoloxsp.model.resolve import open_backend
from yoloxsp.post.ends import fit_spindle_ends, spb_spot
from yoloxsp.post.overlay import draw_detections

REFERENCE = np.array([(337, 32, 351, 45), (74, 170, 94, 204), (382, 198, 418, 208), (202, 281, 230, 298),
                      (191, 382, 212, 411), (139, 434, 161, 446)], float)

Variant = Callable[[np.ndarray, np.random.Generator], Tuple[np.ndarray, float]]


def _raw16(frame: np.ndarray, rng: np.random.Generator, channels: int) -> np.ndarray:
    """A raw camera frame: offset 100 counts, the 8-bit signal mapped to 0-60 counts, shot and read noise."""
    signal = frame[..., :channels].astype(float) * (60 / 255)
    counts = 100 + rng.poisson(signal) + rng.normal(0, 3, signal.shape)
    return np.clip(counts, 0, 65535).astype(np.uint16)


def _green_glow(frame: np.ndarray) -> np.ndarray:
    """A smooth SPB-channel glow as bright as the cells' tubulin, brightest at the field's centre."""
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[:h, :w]
    glow = 60 * np.exp(-(((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2) * 2)
    out = frame.astype(float)
    out[..., 1] += glow
    return np.clip(out, 0, 255).astype(np.uint8)


def _in_green(channel: np.ndarray) -> np.ndarray:
    """One channel shown through a green colour table, as RGB."""
    out = np.zeros(channel.shape + (3,), np.uint8)
    out[..., 1] = channel
    return out


def _rescale(frame: np.ndarray, factor: float) -> np.ndarray:
    return cv2.resize(frame, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)


VARIANTS: Dict[str, Variant] = {
    "as recorded (8-bit RGB, red tubulin + green SPB)": lambda f, rng: (f, 1.0),
    "tubulin only (red channel alone)": lambda f, rng: (f[..., :1].copy(), 1.0),
    "tubulin only, exported as grey RGB": lambda f, rng: (np.repeat(f[..., :1], 3, axis=2), 1.0),
    "tubulin only, green colour table, JPEG 80": lambda f, rng: (jpeg_round_trip(_in_green(f[..., 0]), 80), 1.0),
    "raw 16-bit, two colours, ~60 counts of signal": lambda f, rng: (_raw16(f, rng, 2), 1.0),
    "raw 16-bit, tubulin only, ~60 counts of signal": lambda f, rng: (_raw16(f, rng, 1), 1.0),
    "SPB channel glowing over the field": lambda f, rng: (_green_glow(f), 1.0),
    "JPEG quality 30": lambda f, rng: (jpeg_round_trip(f, 30), 1.0),
    "blurred (z-projection, sigma 1.5 px)": lambda f, rng: (blur(f, 1.5), 1.0),
    "pixels 1.6x larger (coarser camera)": lambda f, rng: (_rescale(f, 1 / 1.6), 1 / 1.6),
    "pixels 1.6x smaller (finer camera)": lambda f, rng: (_rescale(f, 1.6), 1.6),
}


def score(detections: Detections, reference: np.ndarray) -> Tuple[list, int]:
    """One-to-one matches (detection, reference, IoU) at IoU >= 0.3 (the evaluation's matching),
    and how many have both poles."""
    iou = pairwise_iou(detections.boxes, reference)
    matched = [(r, c, iou[r, c]) for r, c in zip(*matched_pairs(iou, 0.3))]
    both = sum(int(np.isfinite(detections.poles[r]).all()) for r, _, _ in matched)
    return matched, both


def print_end_errors(frame: np.ndarray, predictor: Predictor, reference: np.ndarray) -> None:
    """Tubulin-only ends against the SPB dots, per reference spindle found in both runs."""
    two_colour = predictor([frame])[0]
    red = frame.copy()
    red[..., 1:] = 0
    tubulin_only = predictor([red])[0]
    print("\n| spindle | SPB-SPB length px | model: end errors px, length | fitted: end errors px, length |\n"
          "|---|---|---|---|")
    errors = {"model": ([], []), "fitted": ([], [])}
    for r, c, _ in score(two_colour, reference)[0]:
        spbs = [spb_spot(frame[..., 1].astype(float), pole, 5.0) for pole in two_colour.poles[r]]
        mine = [i for i, _, _ in score(tubulin_only, reference[c:c + 1])[0]]
        if any(spot is None for spot in spbs) or not mine:
            continue
        spbs = np.array(spbs)
        true_length = float(np.linalg.norm(spbs[1] - spbs[0]))
        poles = tubulin_only.poles[mine[0]]
        row = [f"{c}", f"{true_length:.1f}"]
        for name, ends in (("model", poles), ("fitted", fit_spindle_ends(red[..., 0].astype(float), poles).ends)):
            direct, swapped = np.linalg.norm(ends - spbs, axis=1), np.linalg.norm(ends[::-1] - spbs, axis=1)
            distances = direct if direct.sum() <= swapped.sum() else swapped
            bias = float(np.linalg.norm(ends[1] - ends[0])) / true_length - 1
            errors[name][0].extend(distances)
            errors[name][1].append(bias)
            row.append(f"{distances[0]:.1f}, {distances[1]:.1f}; {bias:+.1%}")
        print("| " + " | ".join(row) + " |")
    for name, (distances, biases) in errors.items():
        if biases:
            print(f"{name}: median end error {np.median(distances):.2f} px, median length error "
                  f"{np.median(biases):+.1%} ({len(biases)} spindles)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("frame", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", default="yoloxsp")
    parser.add_argument("--variants", action="store_true", help="also score the frame remade as other looks")
    parser.add_argument("--ends", action="store_true", help="also compare tubulin-only ends with the SPB dots")
    args = parser.parse_args()
    frame = read_image(args.frame)
    predictor = Predictor(open_backend(args.model))
    detections = predictor([frame])[0]
    matched, both = score(detections, REFERENCE)
    print(f"reference spindles: {len(REFERENCE)}, detections: {len(detections)}, found: {len(matched)} "
          f"(with both poles: {both}), missed: {len(REFERENCE) - len(matched)}, "
          f"extra: {len(detections) - len(matched)}")
    for r, c, iou in matched:
        print(f"  reference {c}: IoU {iou:.2f}, score {detections.scores[r]:.2f}, "
              f"poles {detections.poles[r].round(1).tolist()}")
    overlay = draw_detections(frame, detections, [f"{s:.2f}" for s in detections.scores], REFERENCE)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR))
    print(f"wrote {args.out}")
    if args.ends:
        print_end_errors(frame[..., :3], predictor, REFERENCE)
    if args.variants:
        print("\n| the real frame remade as | found (of 6) | with both poles | extra |\n|---|---|---|---|")
        for name, variant in VARIANTS.items():
            remade, factor = variant(frame[..., :3], np.random.default_rng(0))
            remade_detections = predictor([remade])[0]
            found, poles = score(remade_detections, REFERENCE * factor)
            extra = len(remade_detections) - len(found)
            print(f"| {name} | {len(found)} | {poles} | {extra} |")


if __name__ == "__main__":
    main()
