"""How often the track checks (``flags`` in ``tracks.csv``) fire on real spindles and on false tracks.

    .venv/bin/python tools/validate_track_checks.py [--movies 2] [--frames 40] [--model yoloxsp]

Held-out synthetic movies (the single-cell tubulin-only crop movies, and ``--movies`` movies of
every look, training and unseen) run through ``yoloxsp predict``'s job with the model. Each
predicted track is true when at least half of its detections overlap a true spindle of their
frame (IoU >= 0.5), false otherwise. Printed per set: true tracks and how many were flagged, false
tracks and how many were flagged, per flag; detections on a true spindle and others, with how
many of each lie in flagged tracks, and the detection precision over all tracks and over the
unflagged ones. A flag should fire on false tracks and rarely on true ones; the checks' limits
come from spindle biology and were not tuned on these sets.
"""
from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path
from typing import Dict, List

import numpy as np
import pandas as pd

from yoloxsp.metrics.boxes import pairwise_iou
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend
from yoloxsp.post.analyse import analyse_movie
from yoloxsp.post.checks import FLAGS, flagged, flags_of
from yoloxsp.synth import SynthConfig, read_truth, write_movie
from yoloxsp.synth.looks import LOOKS, UNSEEN_LOOKS, look_config
from yoloxsp.synth.sets import LOOK_SET_SEED, crop_movie_configs


def detection_hits(detections: pd.DataFrame, truth) -> np.ndarray:
    """Per row of ``detections``: does it overlap a true spindle of its frame (IoU >= 0.5)?"""
    boxes: Dict[int, List] = {}
    for row in truth:
        boxes.setdefault(row.frame, []).append(row.spindle.box)
    hits = []
    for d in detections.itertuples():
        true_boxes = np.asarray(boxes.get(d.frame, []), float).reshape(-1, 4)
        iou = pairwise_iou(np.array([[d.x1, d.y1, d.x2, d.y2]], float), true_boxes)
        hits.append(bool(iou.size and iou.max() >= 0.5))
    return np.array(hits, bool)


def score_movies(configs: List[SynthConfig], predictor: Predictor, root: Path) -> Dict[str, int]:
    counts: Counter = Counter()
    for config in configs:
        movie = write_movie(root / str(config.seed), config)
        analysis = analyse_movie(movie / "stack.tif", root / f"{config.seed}-out", predictor,
                                 channels=config.tubulin_first, overlay="none", progress=False)
        hits = detection_hits(analysis.detections, read_truth(movie / "ground_truth.csv"))
        track_ids = analysis.detections["track_id"].to_numpy()
        in_flagged = np.isin(track_ids, analysis.tracks["track_id"][flagged(analysis.tracks)])
        counts["spindle detections"] += int(hits.sum())
        counts["other detections"] += int((~hits).sum())
        counts["spindle detections flagged"] += int((hits & in_flagged).sum())
        counts["other detections flagged"] += int((~hits & in_flagged).sum())
        for track_id, flags in zip(analysis.tracks["track_id"], flags_of(analysis.tracks)):
            kind = "true" if hits[track_ids == track_id].mean() >= 0.5 else "false"
            counts[kind] += 1
            counts[f"{kind} flagged"] += bool(flags)
            for flag in flags:
                counts[f"{kind} {flag}"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--movies", type=int, default=2, help="movies per look")
    parser.add_argument("--frames", type=int, default=40, help="frames per look movie")
    parser.add_argument("--model", default="yoloxsp")
    args = parser.parse_args()
    predictor = Predictor(open_backend(args.model))
    columns = ["true", "true flagged", *(f"true {f}" for f in FLAGS),
               "false", "false flagged", *(f"false {f}" for f in FLAGS),
               "spindle detections", "spindle detections flagged", "other detections", "other detections flagged"]
    rows = {}
    with tempfile.TemporaryDirectory(prefix="yoloxsp-checks-") as folder:
        root = Path(folder)
        rows["tubulin-only crops"] = score_movies(crop_movie_configs(6), predictor, root / "crops")
        for look in [*LOOKS, *UNSEEN_LOOKS]:
            configs = [look_config(look, LOOK_SET_SEED + i, args.frames) for i in range(args.movies)]
            rows[look] = score_movies(configs, predictor, root / look)
    total = sum(rows.values(), Counter())
    rows["all"] = total
    table = pd.DataFrame([{"set": name, **{c: counts.get(c, 0) for c in columns}} for name, counts in rows.items()])
    kept_spindles = table["spindle detections"] - table["spindle detections flagged"]
    kept_other = table["other detections"] - table["other detections flagged"]
    table["precision"] = table["spindle detections"] / (table["spindle detections"] + table["other detections"])
    table["precision unflagged"] = kept_spindles / (kept_spindles + kept_other)
    print(table.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
