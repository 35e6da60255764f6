"""How a model holds when the same frames reach it through another lab's display mapping.

    .venv/bin/python tools/probe_display.py MODEL [MODEL ...] [--looks wells-avi ...]

An 8-bit export reaches the model as it was saved, and each lab sets its channels' display range
its own way: the background at another level, spindles brighter, dimmer or clipped. Every model is
scored on the held-out set of every look (``synthetic:look:NAME``, unseen looks marked ``*``) with
each frame remapped as below (:func:`yoloxsp.data.degrade.remap_display`: the tubulin and SPB
channels, an empty channel left empty, as it is in a real tubulin-only export). Printed per model:
detection F1 at IoU 0.5 per look and variant, with the mean F1 and mean long-spindle recall over
the looks. The variants lie at or beyond the edges of the training degradation's ranges.
"""
from __future__ import annotations

import argparse
from typing import Callable, Dict

import numpy as np

from yoloxsp.data.degrade import remap_display
from yoloxsp.metrics import evaluate_records
from yoloxsp.metrics.sources import open_look_sets
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend
from yoloxsp.synth.looks import LOOKS, UNSEEN_LOOKS

Remap = Callable[[np.ndarray], np.ndarray]


def mapping(offset: float = 0.0, gain: float = 1.0, gamma: float = 1.0) -> Remap:
    """The same display change on both marker channels."""
    return lambda image: remap_display(image, np.full(2, offset), np.full(2, gain), np.full(2, gamma))


VARIANTS: Dict[str, Remap] = {
    "as exported": mapping(),
    "gamma 0.6": mapping(gamma=0.6),
    "gamma 1.6": mapping(gamma=1.6),
    "gain 0.5": mapping(gain=0.5),
    "gain 2 (clipped)": mapping(gain=2.0),
    "black level +30": mapping(offset=30.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="model folders, weights, .onnx files or 'yoloxsp'")
    parser.add_argument("--looks", nargs="+", choices=[*LOOKS, *UNSEEN_LOOKS], help="default: every look")
    args = parser.parse_args()
    looks = args.looks or [*LOOKS, *UNSEEN_LOOKS]
    names = [look + ("*" if look in UNSEEN_LOOKS else "") for look in looks]
    with open_look_sets(looks) as sets:
        for model in args.models:
            predictor = Predictor(open_backend(model))
            print(f"\n{model}: detection F1 per look")
            print(f"{'variant':>18} " + " ".join(f"{name[:12]:>12}" for name in names) + "    mean F1  mean long recall")
            for variant, remap in VARIANTS.items():
                def detect(images, pixel_size, remap=remap):
                    return predictor([remap(image) for image in images], pixel_size)

                scores = [evaluate_records(detect, sets[look].records, sets[look].pixel_sizes, progress=False)
                          for look in looks]
                f1 = [s["det_F1@0.5"] for s in scores]
                long_recall = np.nanmean([s["long_recall@0.5"] for s in scores])
                print(f"{variant:>18} " + " ".join(f"{v:>12.3f}" for v in f1)
                      + f"    {np.mean(f1):7.3f}  {long_recall:16.3f}", flush=True)


if __name__ == "__main__":
    main()
