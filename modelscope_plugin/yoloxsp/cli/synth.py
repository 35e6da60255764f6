"""``yoloxsp synth``: write a reproducible synthetic S. pombe time-lapse with exact ground truth."""
from __future__ import annotations

import argparse
import time

from ..synth import SynthConfig, write_movie


def add_parser(sub) -> None:
    p = sub.add_parser("synth", help="generate a synthetic S. pombe movie with ground truth",
                       description=__doc__.split(":", 1)[1].strip(),
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    d = SynthConfig()
    p.add_argument("out_dir", help="output folder (stack.tif, images/, annotations.xml, ground_truth.csv)")
    p.add_argument("--frames", type=int, default=d.frames)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--size", type=int, nargs=2, metavar=("W", "H"), default=(d.width, d.height))
    p.add_argument("--pixel-size", type=float, default=d.pixel_size, metavar="UM", help="micrometres per pixel")
    p.add_argument("--frame-interval", type=float, default=d.frame_interval, metavar="S", help="seconds")
    p.add_argument("--spindles", type=int, default=d.spindles, metavar="K", help="mitotic cells (spindle tracks)")
    p.add_argument("--coverage", type=float, default=d.cell_coverage, help="share of the field covered by cells")
    p.add_argument("--wells", action=argparse.BooleanOptionalAction, default=d.wells, help="micro-wells")
    p.add_argument("--well-diameter", type=float, default=d.well_diameter, metavar="UM")
    p.add_argument("--psf-sigma", type=float, default=None, metavar="UM", help="PSF sigma (default: random 0.15-0.28)")
    p.add_argument("--spindle-peak", type=float, default=None, metavar="COUNTS",
                   help="spindle brightness above background (default: random 30-130)")
    p.add_argument("--background", type=float, default=d.background, metavar="COUNTS")
    p.add_argument("--noise", type=float, default=d.noise, help="noise scale (1: sigma ~3 counts)")
    p.add_argument("--jpeg-quality", type=int, default=d.jpeg_quality,
                   help="MJPEG-like compression of the PNG frames; 0 = none")
    p.add_argument("--debris", type=int, default=d.debris, help="bright debris blobs per field")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args) -> int:
    config = SynthConfig(
        width=args.size[0], height=args.size[1], frames=args.frames, seed=args.seed,
        pixel_size=args.pixel_size, frame_interval=args.frame_interval, spindles=args.spindles,
        cell_coverage=args.coverage, wells=args.wells, well_diameter=args.well_diameter,
        psf_sigma=args.psf_sigma, background=args.background, spindle_peak=args.spindle_peak,
        noise=args.noise, jpeg_quality=args.jpeg_quality or None, debris=args.debris)
    start = time.perf_counter()
    out = write_movie(args.out_dir, config, overwrite=args.overwrite, progress=not args.quiet)
    seconds = time.perf_counter() - start
    print(f"wrote {config.frames} frames ({config.width}x{config.height}) to {out} "
          f"in {seconds:.1f} s ({config.frames / seconds:.1f} frames/s)")
    return 0
