"""Speed figures for yoloxsp, printed as a table (targets live here, not in timed tests).

    .venv/bin/python tools/benchmark.py synth      # synthetic generator, frames/s per field size

Each section runs on this machine as it is; run it on an idle machine for numbers you quote.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from yoloxsp.synth import SynthConfig, generate, write_movie


def bench_synth(frames: int) -> None:
    print(f"synthetic generator, {frames} frames per row (render only / render + write all files)")
    print(f"{'size':>9} {'wells':>5} {'render fps':>10} {'write fps':>9}")
    for size in (256, 512):
        for wells in (False, True):
            config = SynthConfig(width=size, height=size, frames=frames, seed=1, wells=wells, pixel_size=0.1,
                                 spindles=4, jpeg_quality=80)
            start = time.perf_counter()
            for _ in generate(config):
                pass
            render = frames / (time.perf_counter() - start)
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                write_movie(Path(tmp) / "m", config)
                write = frames / (time.perf_counter() - start)
            print(f"{size:>4}x{size:<4} {str(wells):>5} {render:>10.1f} {write:>9.1f}")


SECTIONS = {"synth": bench_synth}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", choices=sorted(SECTIONS), default=sorted(SECTIONS))
    parser.add_argument("--frames", type=int, default=50)
    args = parser.parse_args()
    for name in args.sections:
        SECTIONS[name](args.frames)


if __name__ == "__main__":
    main()
