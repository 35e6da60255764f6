"""``yoloxsp predict``: detect, track and measure spindles in an image, image folder, TIFF stack or video.

Writes into OUT: ``detections.csv`` (one row per spindle per frame), ``tracks.csv`` (one row
per track), the overlay (boxes, poles, spindle line, track ids) as ``overlay.avi`` for movies or
``overlay/frame_NNNNNN.png``, and ``lengths.png`` (length over time per track). Existing outputs
are kept unless ``--overwrite``; every file is written under a temporary name and renamed when
complete.
"""
from __future__ import annotations

import argparse

from ..analysis.measure import END_METHODS, LENGTH_METHODS
from ..analysis.tracks import CONFIRMING_DETECTIONS, TRACK_SCORE_THRESHOLD
from ..export.overlay import OVERLAYS
from ..model.resolve import BACKENDS

TRACK_THRESHOLD_HELP = (
    f"a detection scoring under the model's score threshold but at least this is reported where it continues "
    f"a track with {CONFIRMING_DETECTIONS} earlier detections at or above the threshold (a spindle dims as it "
    f"elongates); default {TRACK_SCORE_THRESHOLD}; the model's threshold or more (e.g. 1) turns this off")
# --pixel-size / --frame-interval: for the one movie of predict, a value that beats the metadata;
# for the many movies of batch, a fallback for those whose manifest row and metadata give none
CALIBRATION_HELP = {
    "given": ("um per pixel (default: from the file's metadata)", "seconds between frames (default: from the "
                                                                  "file's metadata)"),
    "fallback": ("um per pixel for movies whose manifest row and file metadata give none (a fallback: the row "
                 "beats the metadata, which beats this)", "seconds between frames, likewise a fallback")}


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="detect, track and measure spindles in images, TIFF stacks or videos",
                       description=__doc__.split(":", 1)[1].strip())
    p.add_argument("input", help="image, folder of images, (ImageJ/OME) TIFF stack, ND2/CZI/LIF/DV file, or video "
                                 "(AVI, MP4)")
    add_shared_options(p, calibration="given")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of an earlier run")
    p.set_defaults(run=run)


def add_shared_options(p: argparse.ArgumentParser, calibration: str) -> None:
    """The options ``predict`` and ``batch`` share, declared once: the output folder, the model and
    the fields of :class:`yoloxsp.movie.Settings` (read back by :func:`settings_from`).
    ``calibration``: ``given`` or ``fallback``, what ``--pixel-size`` and ``--frame-interval`` are."""
    pixel_size_help, frame_interval_help = CALIBRATION_HELP[calibration]
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--model", default="yoloxsp", help="model folder, weights, .onnx, or 'yoloxsp' (bundled)")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="auto (default): ONNX Runtime when the model has an ONNX file (the bundled one does), "
                        "else torch")
    p.add_argument("--pixel-size", type=float, help=pixel_size_help)
    p.add_argument("--frame-interval", type=float, help=frame_interval_help)
    p.add_argument("--channels", type=int, nargs="+", metavar="I",
                   help="input channels to use, tubulin first then SPB (0-based), e.g. --channels 1 0")
    p.add_argument("--axes", metavar="AXES",
                   help="how a TIFF's stored axes are read, one letter of TZCYX per stored axis (e.g. TYX: pages "
                        "are frames; CYX: pages are the channels of one frame; TCYX); default: from the metadata, "
                        "pages without metadata being frames")
    p.add_argument("--scene", help="scene (name or 0-based index) of an ND2/CZI/LIF/DV file that holds several")
    p.add_argument("--length", choices=LENGTH_METHODS, default="ridge",
                   help="ridge: along the tubulin ridge between the ends (default, follows bent spindles); "
                        "straight: end to end")
    p.add_argument("--ends", choices=END_METHODS, default="fit",
                   help="fit (default): each spindle end placed on the pixels (a PSF-blurred end fitted on the "
                        "tubulin, or the SPB spot where there is one; poles_from says which); model: the network's "
                        "poles")
    p.add_argument("--pole-check", choices=("on", "off"), default="on",
                   help="on (default): report a detection only where it shows a spindle's two ends (both in the "
                        "field; with an SPB channel showing dots, a dot at each); off: every detection of the model")
    p.add_argument("--track-threshold", type=float, default=TRACK_SCORE_THRESHOLD, metavar="SCORE",
                   help=TRACK_THRESHOLD_HELP)
    p.add_argument("--overlay", choices=OVERLAYS, default="auto",
                   help="video: overlay.avi (Motion-JPEG, opens in Fiji); frames: overlay/frame_NNNNNN.png; "
                        "auto (default): video for movies, PNG for a single image; none")


def settings_from(args: argparse.Namespace):
    """The :class:`yoloxsp.movie.Settings` the options of :func:`add_shared_options` ask for
    (refused here, before anything is opened or written)."""
    from ..movie import Settings

    return Settings(length=args.length, ends=args.ends, channels=args.channels, track_threshold=args.track_threshold,
                    axes=args.axes, scene=args.scene, overlay=args.overlay, pole_check=args.pole_check == "on")


def run(args: argparse.Namespace) -> int:
    from ..model.backends import Predictor  # imported here: other commands do not pay for the model
    from ..model.resolve import open_backend
    from ..movie import analyse_movie

    settings = settings_from(args)
    predictor = Predictor(open_backend(args.model, args.backend))
    analysis = analyse_movie(args.input, args.out, predictor, settings, pixel_size=args.pixel_size,
                             frame_interval=args.frame_interval, overwrite=args.overwrite)
    print(analysis.summary())
    return 0
