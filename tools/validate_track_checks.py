"""How often the track checks (``flags`` in ``tracks.csv``) fire on real spindles and on false tracks.

    .venv/bin/python tools/validate_track_checks.py [--movies 2] [--frames 40] [--model yoloxsp]

Held-out synthetic movies (the single-cell tubulin-only crop movies, and ``--movies`` movies of
every look, training and unseen) run through ``yoloxsp predict``'s job with the model. Each
predicted track is true when most of its detections overlap a true spindle of their frame
(IoU >= 0.5), false otherwise. Printed per set: true tracks and how many were flagged, false
tracks and how many were flagged, per flag. A flag should fire on false tracks and rarely on
true ones; the checks' limits come from spindle biology and were not tuned on these sets.
"""
from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pandas as pd

from yoloxsp.metrics.boxes import pairwise_iou
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend
from yoloxsp.post.analyse import analyse_movie
from yoloxsp.post.checks import FLAGS
from yoloxsp.synth import SynthConfig, read_truth, write_movie
from yoloxsp.synth.looks import LOOKS, UNSEEN_LOOKS, look_config
from yoloxsp.synth.sets import LOOK_SET_SEED, crop_movie_configs


def track_truth(detections: pd.DataFrame, truth) -> Dict[int, bool]:
    """Per predicted track: do most of its detections overlap a true spindle (IoU >= 0.5)?"""
    boxes: Dict[int, List] = {}
    for row in truth:
        boxes.setdefault(row.frame, []).append(row.spindle.box)
    hits: Dict[int, List[bool]] = {}
    for d in detections.itertuples():
        true_boxes = np.asarray(boxes.get(d.frame, []), float).reshape(-1, 4)
        iou = pairwise_iou(np.array([[d.x1, d.y1, d.x2, d.y2]], float), true_boxes)
        hits.setdefault(d.track_id, []).append(bool(iou.size and iou.max() >= 0.5))
    return {track: np.mean(h) >= 0.5 for track, h in hits.items()}


def tubulin_first(config: SynthConfig) -> Optional[List[int]]:
    """``--channels`` as the user passes it for this movie: tubulin, then SPB."""
    if len(config.channels) == 1:
        return None
    return [config.channels.index("tubulin"), config.channels.index("spb")]


def score_movies(configs: List[SynthConfig], predictor: Predictor, root: Path) -> Dict[str, int]:
    counts: Counter = Counter()
    for config in configs:
        movie = write_movie(root / str(config.seed), config)
        analysis = analyse_movie(movie / "stack.tif", root / f"{config.seed}-out", predictor,
                                 channels=tubulin_first(config), overlay="none", progress=False)
        truth = track_truth(analysis.detections, read_truth(movie / "ground_truth.csv"))
        for track in analysis.tracks.itertuples():
            kind = "true" if truth[track.track_id] else "false"
            flags = [flag for flag in track.flags.split(";") if flag]
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
               "false", "false flagged", *(f"false {f}" for f in FLAGS)]
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
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
