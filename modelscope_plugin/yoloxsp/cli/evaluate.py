"""``yoloxsp eval``: score a model on a CVAT export; prints one JSON object on stdout.

Keys: ``bbox_AP``/``bbox_AP50``/``bbox_AP75``/``bbox_AP_small``/``bbox_AP_medium`` (COCO),
``det_precision|recall|F1@0.5`` and ``long_recall@0.5`` (spindles >= 25 px) of the reported detections,
``pole_precision|recall|F1@{1,2,3}px`` (and ``@{0.1,0.2,0.3}um`` with ``--pixel-size``),
``pole_median_error_px``, ``pole_mean_error_px``, ``both_poles_rate``, ``end_median_error_px``,
``length_median_abs_error_um``, ``length_median_rel_error``, ``length_median_bias`` (spindles over
2 um; NaN without a pixel size), ``n_images``, ``n_spindles``, ``n_detections``; with ``--tracking`` also ``MOTA``,
``IDF1`` and ``id_switches`` (py-motmetrics, IoU >= 0.5) of the linked tracks; with ``--rates``
``anaphase_b_rate_median_rel_error``/``_median_bias``, ``plateau_length_median_rel_error``/``_median_bias``
and their counts (:mod:`yoloxsp.metrics.rates`). NaN is written as ``null``.

``--per-look`` scores the held-out set of each synthetic look instead (``synthetic:look:NAME``):
one JSON object per line, with ``look`` and ``unseen`` (drawn by no training) added to the keys.
``--tubulin-only`` gives the model the first (tubulin) channel alone, as a tubulin-only movie
would: on a two-colour export annotated at its SPB dots, ``end_median_error_px`` and
``length_median_bias`` then say how well ends fitted on the tubulin find the SPBs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

from ..analysis.measure import END_METHODS
from ..errors import InputError
from ..model.resolve import BACKENDS

if TYPE_CHECKING:
    import numpy as np


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="score a model on a CVAT export (JSON on stdout)",
                       description=__doc__.split(":", 1)[1].strip())
    p.add_argument("--model", required=True, help="weights file, model folder, .onnx, or 'yoloxsp' (bundled)")
    p.add_argument("--data",
                   help="CVAT export (task folder, zip, or folder of tasks), 'synthetic:validation' "
                        "(the default model's validation set, regenerated from its seeds) or 'synthetic:look:NAME'")
    p.add_argument("--per-look", nargs="*", metavar="LOOK",
                   help="instead of --data: the held-out set of each synthetic look named (default: every look, "
                        "those drawn by no training included), one JSON object per line")
    p.add_argument("--tubulin-only", action="store_true",
                   help="give the model the first (tubulin) channel alone, as a tubulin-only movie would")
    p.add_argument("--pixel-size", type=float,
                   help="um per pixel (enables um thresholds and length errors; default: each task's stack.tif "
                        "metadata when there is one)")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="auto (default): ONNX Runtime when the model has an ONNX file (the bundled one does), "
                        "else torch")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--tracking", action="store_true", help="also link tracks and add MOTA, IDF1, id_switches")
    p.add_argument("--rates", action="store_true",
                   help="also run each task as a movie through predict's analysis and score its tracks' anaphase B "
                        "rate and plateau length against the phase fit of the annotated lengths")
    p.add_argument("--ends", choices=END_METHODS, default="fit",
                   help="fit (default): spindle ends placed on the pixels, as predict does; model: the network's "
                        "poles")
    p.add_argument("--pole-check", choices=("on", "off"), default="on",
                   help="on (default): only detections that show a spindle's two ends, as predict reports them; "
                        "off: every detection of the model")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..api import SpindleDetector
    from ..metrics import evaluate_records, metrics_json  # imported here: other commands skip torch & co.
    from ..metrics.sources import open_eval_set
    from ..model.backends import Predictor
    from ..model.resolve import open_backend

    if args.pixel_size is not None and args.pixel_size <= 0:
        raise InputError(f"--pixel-size must be positive (got {args.pixel_size})")
    sets = _eval_sets(args.data, args.per_look)
    detector = SpindleDetector(Predictor(open_backend(args.model, args.backend)), ends=args.ends,
                               pole_check=args.pole_check == "on")
    detect = _detect(detector, args.tubulin_only)
    for labels, source in sets:
        with open_eval_set(source, args.pixel_size) as data:
            metrics = evaluate_records(detect, data.records, data.pixel_sizes, args.batch_size,
                                       tracking=args.tracking)
            if args.rates:
                metrics.update(_rate_scores(detector, data.records, data.pixel_sizes,
                                            [0] if args.tubulin_only else None))
        print(metrics_json({**labels, **metrics}), flush=True)
    return 0


def _eval_sets(data: Optional[str], per_look: Optional[List[str]]) -> List[Tuple[Dict[str, object], str]]:
    """(labels for the output, source) of each set to score: ``--data`` alone, or one held-out
    set per look (names checked before any is rendered, so a typo costs no scoring)."""
    from ..metrics.sources import LOOK_PREFIX
    from ..synth.looks import LOOKS, UNSEEN_LOOKS

    if (data is None) == (per_look is None):
        raise InputError("give either --data or --per-look")
    if data is not None:
        return [({}, data)]
    unknown = [look for look in per_look if look not in {**LOOKS, **UNSEEN_LOOKS}]
    if unknown:
        raise InputError(f"unknown look(s) {', '.join(unknown)}: choose from {', '.join([*LOOKS, *UNSEEN_LOOKS])}")
    return [({"look": look, "unseen": look in UNSEEN_LOOKS}, LOOK_PREFIX + look)
            for look in per_look or [*LOOKS, *UNSEEN_LOOKS]]


def _detect(detector, tubulin_only: bool) -> Callable[[List[np.ndarray], Optional[float]], list]:
    """What :func:`~yoloxsp.metrics.evaluate_records` calls: frames and their pixel size to the
    detections ``predict`` would report, from the first channel alone with ``tubulin_only``."""
    def detect(frames: List[np.ndarray], pixel_size: Optional[float]) -> list:
        if tubulin_only:
            frames = [frame if frame.ndim == 2 else frame[..., :1] for frame in frames]
        return [result.detections for result in detector(frames, pixel_size)]

    return detect


def _rate_scores(detector, records, pixel_sizes, channels: Optional[List[int]]) -> Dict[str, float]:
    """Each task's frames as one movie through ``predict``'s analysis with the detector's settings
    (nothing written; ``channels`` as ``predict --channels`` takes them), its tracks scored by
    :mod:`yoloxsp.metrics.rates`."""
    from ..metrics.rates import phase_errors, phase_scores
    from ..movie import analyse_movie

    errors = []
    for task in dict.fromkeys(r.task for r in records):
        mine = [i for i, r in enumerate(records) if r.task == task]
        movie = sorted((records[i] for i in mine), key=lambda r: r.frame)
        folder = movie[0].image_path.parent
        if any(r.image_path.parent != folder for r in movie):
            raise InputError("--rates needs each task's frames in one folder", folder)
        size = pixel_sizes[mine[0]] if pixel_sizes else None
        analysis = analyse_movie(folder, None, detector.predictor, detector.settings, pixel_size=size,
                                 channels=channels, progress=False)
        errors.append(phase_errors(analysis.detections, analysis.tracks, movie, size))
    return phase_scores(errors)
