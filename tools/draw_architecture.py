"""Draw the YOLOX-SP architecture figure for the README and the model card (matplotlib).

    .venv/bin/python tools/draw_architecture.py res/architecture.png
"""
from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

BLOCKS = {  # name: (x, y, width, height, colour, label)
    "input": (0.2, 2.1, 1.5, 0.8, "#dddddd", "frame\n(tubulin, SPB)"),
    "backbone": (2.3, 1.6, 1.9, 1.8, "#9ecae1", "CSPDarknet\nbackbone\n(Focus, CSP, SPP)"),
    "neck": (4.8, 1.6, 1.7, 1.8, "#a1d99b", "PAFPN\nstrides 8/16/32"),
    "boxes": (7.2, 2.7, 2.5, 1.1, "#fdae6b", "decoupled YOLOX heads\nbox, objectness, class\n+ two pole offsets"),
    "poles": (7.2, 0.6, 2.5, 1.1, "#fc9272",
              "pole branch (stride 4)\nheatmap + sub-pixel offset\n(stride-8 map + dark2)"),
    "decode": (10.3, 1.6, 1.9, 1.8, "#dadaeb", "decode\nNMS, pole refinement\nby heatmap peaks"),
}
ARROWS = [("input", "backbone"), ("backbone", "neck"), ("neck", "boxes"), ("neck", "poles"),
          ("backbone", "poles"), ("boxes", "decode"), ("poles", "decode")]


def centre(name, side):
    x, y, w, h = BLOCKS[name][:4]
    return {"right": (x + w, y + h / 2), "left": (x, y + h / 2), "bottom": (x + w / 2, y)}[side]


def main(out: str) -> None:
    figure, axes = plt.subplots(figsize=(12.5, 4.2))
    for x, y, w, h, colour, label in BLOCKS.values():
        axes.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", facecolor=colour, edgecolor="#444444"))
        axes.text(x + w / 2, y + h / 2, label, ha="center", va="center", fontsize=10)
    for start, end in ARROWS:
        begin = centre(start, "bottom") if (start, end) == ("backbone", "poles") else centre(start, "right")
        axes.annotate("", xy=centre(end, "left"), xytext=begin,
                      arrowprops=dict(arrowstyle="->", color="#444444", lw=1.5,
                                      connectionstyle="arc3,rad=0.25" if start == "backbone" and end == "poles"
                                      else "arc3"))
    axes.text(12.4, 2.5, "spindles:\nbox, score,\ntwo poles,\nlength", va="center", fontsize=10)
    axes.set_xlim(0, 13.6)
    axes.set_ylim(0.2, 4.2)
    axes.axis("off")
    axes.set_title("YOLOX-SP: YOLOX with a pole heatmap branch", fontsize=12)
    figure.tight_layout()
    figure.savefig(out, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1])
