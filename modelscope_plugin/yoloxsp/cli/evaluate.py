"""``yoloxsp eval``: score a model on a CVAT export; prints one JSON object on stdout.

Keys: ``bbox_AP``/``bbox_AP50``/``bbox_AP75``/``bbox_AP_small``/``bbox_AP_medium`` (COCO),
``pole_precision|recall|F1@{1,2,3}px`` (and ``@{0.1,0.2,0.3}um`` with ``--pixel-size``),
``pole_median_error_px``, ``pole_mean_error_px``, ``both_poles_rate``, ``end_median_error_px``,
``length_median_abs_error_um``, ``length_median_rel_error``, ``length_median_bias`` (spindles over
2 um; NaN without a pixel size), ``n_images``, ``n_spindles``, ``n_detections``; with ``--tracking`` also ``MOTA``,
``IDF1`` and ``id_switches`` (py-motmetrics, IoU >= 0.5) of the linked tracks; with ``--rates``
``anaphase_b_rate_median_rel_error``/``_median_bias``, ``plateau_length_median_rel_error``/``_median_bias``
and their counts (:mod:`yoloxsp.metrics.rates`). NaN is written as ``null``.
"""
from __future__ import annotations

from ..errors import InputError
from ..model.resolve import BACKENDS
from ..analysis.measure import END_METHODS


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="score a model on a CVAT export (JSON on stdout)",
                       description=__doc__.split(":", 1)[1].strip())
    p.add_argument("--model", required=True, help="weights file, model folder, .onnx, or 'yoloxsp' (bundled)")
    p.add_argument("--data", required=True,
                   help="CVAT export (task folder, zip, or folder of tasks), or 'synthetic:validation' "
                        "(the default model's validation set, regenerated from its seeds)")
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
    p.set_defaults(run=run)


def run(args) -> int:
    from ..api import SpindleDetector
    from ..metrics import evaluate_records, metrics_json  # imported here: other commands skip torch & co.
    from ..metrics.sources import open_eval_set
    from ..model.backends import Predictor
    from ..model.resolve import open_backend

    if args.pixel_size is not None and args.pixel_size <= 0:
        raise InputError(f"--pixel-size must be positive (got {args.pixel_size})")
    detector = SpindleDetector(Predictor(open_backend(args.model, args.backend)), ends=args.ends)
    with open_eval_set(args.data, args.pixel_size) as data:
        metrics = evaluate_records(lambda frames, size: [r.detections for r in detector(frames, size)],
                                   data.records, data.pixel_sizes, args.batch_size, tracking=args.tracking)
        if args.rates:
            metrics.update(_rate_scores(detector, data.records, data.pixel_sizes, args.ends))
    print(metrics_json(metrics))
    return 0


def _rate_scores(detector, records, pixel_sizes, ends: str) -> dict:
    """Each task's frames as one movie through ``predict``'s analysis (nothing written), its tracks
    scored by :mod:`yoloxsp.metrics.rates`."""
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
        analysis = analyse_movie(folder, None, detector.predictor, pixel_size=size, ends=ends, progress=False)
        errors.append(phase_errors(analysis.detections, analysis.tracks, movie, size))
    return phase_scores(errors)
