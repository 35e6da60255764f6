"""Put a synthetic frame beside the real one and compare their intensity statistics.

    python tools/compare_synthetic_to_real.py ../shared/real/spombe_frame_000036.png res/synthetic_vs_real.png

The synthetic frame is a ``wells-avi`` look (micro-wells, 8-bit MJPEG-like export) at the real
frame's size and ~0.16 um/px (as implied by its spindle sizes), with its 7 spindles. Prints
per-channel percentiles of both frames; the figure shows them side by side with their histograms.
"""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from yoloxsp.io import read_image  # noqa: E402
from yoloxsp.synth import generate  # noqa: E402
from yoloxsp.synth.looks import look_config  # noqa: E402

PERCENTILES = (5, 50, 95, 99, 99.9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("real", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=36)
    args = parser.parse_args()
    real = read_image(args.real)[..., :3]
    config = replace(look_config("wells-avi", args.seed, frames=1), width=real.shape[1], height=real.shape[0],
                     pixel_size=0.16, spindles=7)
    synthetic = next(iter(generate(config))).image

    fig, axes = plt.subplots(2, 2, figsize=(12, 10), gridspec_kw={"height_ratios": [3, 1]})
    for column, (name, image) in enumerate((("real (lizhogn/YOLOX-SP, Apache-2.0)", real),
                                            (f"synthetic (wells-avi look, seed {args.seed})", synthetic))):
        axes[0, column].imshow(image)
        axes[0, column].set_title(name)
        axes[0, column].axis("off")
        for channel, colour in ((0, "red"), (1, "green")):
            axes[1, column].hist(image[..., channel].ravel(), bins=64, range=(0, 255), color=colour,
                                 alpha=0.5, log=True, label=("tubulin", "SPB")[channel])
            stats = np.percentile(image[..., channel], PERCENTILES).round(1)
            print(f"{name[:9]:9s} {('tubulin', 'SPB')[channel]:7s} percentiles {PERCENTILES}: {stats}")
        axes[1, column].set_xlabel("8-bit intensity")
        axes[1, column].legend()
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=80)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
