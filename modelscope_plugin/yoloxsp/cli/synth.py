"""``yoloxsp synth``: write a reproducible synthetic S. pombe time-lapse with exact ground truth."""
from __future__ import annotations

import argparse
import time

from ..synth.config import CHANNEL_MODES, CHANNEL_NAMES, EXPORTS, SynthConfig


def _channel_list(text: str):
    return tuple(part.strip().lower() for part in text.split(",") if part.strip())


def add_parser(sub) -> None:
    from ..synth.looks import LOOKS, UNSEEN_LOOKS

    p = sub.add_parser("synth", help="generate a synthetic S. pombe movie with ground truth",
                       description=__doc__.split(":", 1)[1].strip(),
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    d = SynthConfig()
    p.add_argument("out_dir", help="output folder (stack.tif, images/, annotations.xml, ground_truth.csv)")
    p.add_argument("--look", choices=[*LOOKS, *UNSEEN_LOOKS], default=None,
                   help="draw every setting from a named microscope look (seeded by --seed; "
                        "--frames still applies, other options are ignored)")
    p.add_argument("--frames", type=int, default=d.frames)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--size", type=int, nargs=2, metavar=("W", "H"), default=(d.width, d.height))
    p.add_argument("--pixel-size", type=float, default=d.pixel_size, metavar="UM", help="micrometres per pixel")
    p.add_argument("--frame-interval", type=float, default=d.frame_interval, metavar="S", help="seconds")
    p.add_argument("--spindles", type=int, default=d.spindles, metavar="K", help="mitotic cells (spindle tracks)")
    p.add_argument("--coverage", type=float, default=d.cell_coverage, help="share of the field covered by cells")
    p.add_argument("--overlap", action=argparse.BooleanOptionalAction, default=d.overlap,
                   help="cells may overlap (lawns without wells; coverage up to 0.85)")
    p.add_argument("--wells", action=argparse.BooleanOptionalAction, default=d.wells, help="micro-wells")
    p.add_argument("--well-diameter", type=float, default=d.well_diameter, metavar="UM")
    p.add_argument("--psf-sigma", type=float, default=None, metavar="UM", help="PSF sigma (default: random 0.15-0.28)")
    p.add_argument("--z-blur", type=float, default=d.z_blur,
                   help="share of the signal in an out-of-focus halo (z max-projection), 0-1")
    p.add_argument("--spindle-peak", type=float, default=None, metavar="COUNTS",
                   help="short-spindle brightness above background (default: random 30-130)")
    p.add_argument("--length-dimming", type=float, default=d.length_dimming, metavar="EXP",
                   help="elongating spindles dim as (onset / length)^EXP beyond onset = 1.5x the plateau length")
    p.add_argument("--max-bend", type=float, default=d.max_bend, help="largest sagitta / chord of a long spindle")
    p.add_argument("--hooks", type=float, default=d.hooks, help="share of long spindles that hook at one end")
    p.add_argument("--breakdowns", type=int, default=d.breakdowns,
                   help="cells after spindle breakdown (two poles, no bar; not annotated)")
    p.add_argument("--bright-bundles", type=float, default=d.bright_bundles,
                   help="share of interphase cells with a bright straight bundle (hard negatives)")
    p.add_argument("--mimics", type=float, default=d.mimics,
                   help="share of interphase cells with a spindle look-alike (a bright bundle with an SPB dot at "
                        "one end, a bar without SPB dots, a crossing pair; hard negatives)")
    p.add_argument("--blurred-tips", action="store_true",
                   help="spindle tips as a PSF blurs a bundle ending at the SPBs (as measured on real movies)")
    p.add_argument("--unevenness", type=float, default=d.unevenness,
                   help="brightness along a spindle within 1 +- this (needs --blurred-tips)")
    p.add_argument("--channel-mode", choices=CHANNEL_MODES, default=d.channel_mode,
                   help="tubulin + SPB, tubulin alone, or an SPB marker that also decorates microtubules")
    p.add_argument("--channels", type=_channel_list, default=None, metavar="LIST",
                   help=f"channel order in stack.tif, e.g. spb,tubulin (default: {','.join(CHANNEL_NAMES)}, "
                        "or tubulin for --channel-mode tubulin-only)")
    p.add_argument("--background", type=float, default=d.background, metavar="COUNTS", help="tubulin offset")
    p.add_argument("--spb-background", type=float, default=d.spb_background, metavar="COUNTS", help="SPB offset")
    p.add_argument("--crosstalk", type=float, default=d.crosstalk, help="bleed-through between channels, 0-1")
    p.add_argument("--autofluorescence", type=float, default=d.autofluorescence,
                   help="cytoplasm glow, share of the spindle brightness")
    p.add_argument("--green-glow", type=float, default=d.green_glow,
                   help="diffuse SPB-channel glow, share of the spindle brightness")
    p.add_argument("--noise", type=float, default=d.noise, help="noise scale (1: sigma ~3 counts)")
    p.add_argument("--dead-cells", type=int, default=d.dead_cells, help="bright round dead-cell blobs per field")
    p.add_argument("--dead-cell-brightness", type=float, default=d.dead_cell_brightness, metavar="X",
                   help="scales the dead cells' peaks (drawn 0.5-2.5x the spindles')")
    p.add_argument("--dead-cell-size", type=float, default=d.dead_cell_size, metavar="X",
                   help="scales the dead cells' width (drawn 1-2 um)")
    p.add_argument("--debris", type=int, default=d.debris, help="bright debris blobs per field")
    p.add_argument("--export", choices=EXPORTS, default=d.export,
                   help="what the PNG frames show: avi8 (8-bit export with fixed contrast, JPEG) "
                        "or raw16 (the 16-bit stack as yoloxsp predict converts it)")
    p.add_argument("--display-background", type=float, nargs=2, default=d.display_background,
                   metavar=("RED", "GREEN"), help="avi8: 8-bit level of the background per channel")
    p.add_argument("--jpeg-quality", type=int, default=None,
                   help=f"avi8: MJPEG-like compression of the PNG frames; 0 = none (default: {d.jpeg_quality} "
                        "for avi8, none for raw16)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def config_from_args(args) -> SynthConfig:
    """The config the options describe (a look's draw when ``--look`` is given)."""
    if args.look is not None:
        from ..synth.looks import look_config

        return look_config(args.look, args.seed, args.frames)
    channels = args.channels or (("tubulin",) if args.channel_mode == "tubulin-only" else CHANNEL_NAMES)
    if args.jpeg_quality is None:
        jpeg = SynthConfig.jpeg_quality if args.export == "avi8" else None
    else:
        jpeg = args.jpeg_quality or None
    return SynthConfig(
        width=args.size[0], height=args.size[1], frames=args.frames, seed=args.seed,
        pixel_size=args.pixel_size, frame_interval=args.frame_interval, spindles=args.spindles,
        cell_coverage=args.coverage, overlap=args.overlap, wells=args.wells, well_diameter=args.well_diameter,
        psf_sigma=args.psf_sigma, z_blur=args.z_blur, background=args.background,
        spb_background=args.spb_background, spindle_peak=args.spindle_peak, length_dimming=args.length_dimming,
        max_bend=args.max_bend, hooks=args.hooks, noise=args.noise, channel_mode=args.channel_mode,
        channels=channels, crosstalk=args.crosstalk, autofluorescence=args.autofluorescence,
        green_glow=args.green_glow, bright_bundles=args.bright_bundles, mimics=args.mimics,
        blurred_tips=args.blurred_tips, unevenness=args.unevenness, breakdowns=args.breakdowns,
        dead_cells=args.dead_cells, dead_cell_brightness=args.dead_cell_brightness,
        dead_cell_size=args.dead_cell_size, debris=args.debris, export=args.export,
        display_background=tuple(args.display_background), jpeg_quality=jpeg)


def run(args) -> int:
    from ..synth import write_movie  # here: building the CLI's parsers must not load the generator

    config = config_from_args(args)
    start = time.perf_counter()
    out = write_movie(args.out_dir, config, overwrite=args.overwrite, progress=not args.quiet)
    seconds = time.perf_counter() - start
    print(f"wrote {config.frames} frames ({config.width}x{config.height}) to {out} "
          f"in {seconds:.1f} s ({config.frames / seconds:.1f} frames/s)")
    return 0
