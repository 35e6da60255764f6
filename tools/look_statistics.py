"""Intensity statistics of each synthetic look beside what real data show (measured on real
frames and movies outside the project), and a contact sheet of the looks.

    .venv/bin/python tools/look_statistics.py                       # statistics table
    .venv/bin/python tools/look_statistics.py --sheet res/looks.png # and the contact sheet

Measured on the held-out look sets' seeds (never used by training), on what the model sees
(``SynthFrame.image``) for 8-bit looks and on the raw tubulin counts for raw looks:

- background: per-frame median of the red (tubulin) and green (SPB) channel;
- green p99: frame-wide 99th percentile of green (the SPB marker on microtubules lifts it);
- spindle above background by arc length in px (< 15, 15-25, 25-45, 45-100): median over
  spindles of the brightest pixel across the spindle at 35/50/65% of its length, minus the
  frame's background;
- raw looks also: noise sigma and the share of annotated spindles fainter than ``FAINT_SNR``
  sigma above background (:mod:`yoloxsp.synth.visibility`; the real tubulin-only movie's long
  spindles stand ~7 sigma above it): a look that annotates spindles nobody could see teaches the
  model to report noise.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, List

import numpy as np

from yoloxsp.synth import generate
from yoloxsp.synth.looks import LOOKS, look_config
from yoloxsp.synth.sets import LOOK_SET_SEED
from yoloxsp.synth.visibility import FAINT_SNR, noise_sigma, spindle_level, spindle_snrs

LENGTH_CLASSES = ((0, 15), (15, 25), (25, 45), (45, 100))
# What real data show (measured outside the project): 8-bit from AVI unless the look is raw.
REAL = {
    "wells-avi": "bg red 14-22, green 3-7; spindle above bg ~210 / ~200 / ~134 / ~49",
    "dense-lawn": "dense field without wells (no separate figures)",
    "green-glow": "green median 20-46, red bg 18-39",
    "spb-decorates-mts": "frame-wide green p99 ~51",
    "dead-cells": "round red+green blobs ~10-20 px wide at 0.1 um/px",
    "tubulin-only-raw": "bg ~108, sigma ~3; spindle ~44 short, ~20 at 60-110 px",
    "two-colour-raw": "raw bg ~100, sigma ~3, spindle peaks 30-130 above bg",
    "tubulin-only-lawn": "raw tubulin-only field (no figures; as tubulin-only-raw)",
}


def look_statistics(look: str, movies: int, frames: int) -> Dict[str, object]:
    red_bg, green_bg, green_p99, sigmas, snr = [], [], [], [], []
    by_class: Dict[int, List[float]] = {i: [] for i in range(len(LENGTH_CLASSES))}
    raw = False
    for seed in range(LOOK_SET_SEED, LOOK_SET_SEED + movies):
        config = look_config(look, seed, frames)
        raw = config.export == "raw16"
        for frame in generate(config):
            if raw:
                red = frame.counts[config.channels.index("tubulin")].astype(np.float64)
                sigmas.append(noise_sigma(red))
                snr += [value for value in spindle_snrs(frame, config) if np.isfinite(value)]
            else:
                red = frame.image[..., 0].astype(np.float64)
                green = frame.image[..., 1].astype(np.float64)
                green_bg.append(np.median(green))
                green_p99.append(np.percentile(green, 99))
            background = float(np.median(red))
            red_bg.append(background)
            for row in frame.truth:
                length_px = row.length_um / config.pixel_size
                level = spindle_level(red, row.spindle.poles, length_px) - background
                for i, (lo, hi) in enumerate(LENGTH_CLASSES):
                    if lo <= length_px < hi:
                        by_class[i].append(level)
    return dict(raw=raw, red_bg=np.median(red_bg), green_bg=np.median(green_bg) if green_bg else None,
                green_p99=np.median(green_p99) if green_p99 else None,
                sigma=np.median(sigmas) if sigmas else None,
                faint=float(np.mean(np.array(snr) < FAINT_SNR)) if snr else None,
                spindle=[(np.median(v), len(v)) if v else (None, 0) for v in by_class.values()])


def print_table(movies: int, frames: int) -> None:
    classes = " ".join(f"{f'{lo}-{hi}px':>11}" for lo, hi in LENGTH_CLASSES)
    print(f"{movies} movies x {frames} frames per look (seeds {LOOK_SET_SEED}..); spindle = median above bg (n)")
    print(f"{'look':18} {'kind':5} {'bg red':>7} {'bg grn':>7} {'grn p99':>7} {'sigma':>6} {classes} "
          f"{'faint':>6}  | real data")
    for look in LOOKS:
        s = look_statistics(look, movies, frames)
        cells = " ".join(f"{'-':>11}" if v is None else f"{v:7.0f} ({n:2d})" for v, n in s["spindle"])

        def fmt(value):
            return f"{'-':>7}" if value is None else f"{value:7.1f}"

        sigma = "     -" if s["sigma"] is None else f"{s['sigma']:6.1f}"
        faint = "     -" if s["faint"] is None else f"{s['faint']:6.2f}"
        print(f"{look:18} {'raw16' if s['raw'] else 'avi8':5} {fmt(s['red_bg'])} {fmt(s['green_bg'])} "
              f"{fmt(s['green_p99'])} {sigma} {cells} {faint}  | {REAL[look]}")


def contact_sheet(out: Path, per_look: int, frames: int) -> None:
    """A row per look: ``per_look`` movies' middle frames as the model sees them, labelled."""
    from matplotlib.figure import Figure
    from PIL import Image

    fig = Figure(figsize=(2.6 * per_look, 2.5 * len(LOOKS)), dpi=90)
    axes = fig.subplots(len(LOOKS), per_look, squeeze=False)
    for row, look in enumerate(LOOKS):
        for column in range(per_look):
            config = look_config(look, LOOK_SET_SEED + column, frames)
            frame = list(generate(config))[frames // 2]
            ax = axes[row, column]
            ax.imshow(frame.image, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{config.width}x{config.height} {config.pixel_size} um/px, {len(frame.truth)} sp.",
                         fontsize=7)
            if column == 0:
                ax.set_ylabel(look, fontsize=9)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    png = out.with_suffix(".tmp.png")
    fig.savefig(png, dpi=90)
    # A 256-colour palette keeps the sheet small enough for the repository.
    Image.open(png).convert("RGB").quantize(256, dither=Image.Dither.NONE).save(out, optimize=True)
    png.unlink()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movies", type=int, default=4, help="movies per look")
    parser.add_argument("--frames", type=int, default=8, help="frames per movie")
    parser.add_argument("--sheet", type=Path, default=None, help="also write a contact sheet PNG here")
    args = parser.parse_args()
    print_table(args.movies, args.frames)
    if args.sheet is not None:
        contact_sheet(args.sheet, per_look=4, frames=args.frames)


if __name__ == "__main__":
    main()
