"""How often the track checks (``flags`` in ``tracks.csv``) fire on real spindles and on false tracks.

    .venv/bin/python tools/validate_track_checks.py [--movies 2] [--frames 40] [--model yoloxsp] \
        [--track-threshold 0.15 1] [--offset 0]

Held-out synthetic movies (the single-cell tubulin-only crop movies, and ``--movies`` movies of
every look, training and unseen) run through ``yoloxsp predict``'s job with the model. Each
predicted track is true when at least half of its detections overlap a true spindle of their
frame (IoU >= 0.5), false otherwise. Printed per set: true tracks and how many were flagged, false
tracks and how many were flagged, per flag; detections on a true spindle and others, with how
many of each lie in flagged tracks, and the detection precision over all tracks and over the
unflagged ones, and the recall of true spindles (all, and long ones >= 25 px) over the movies'
frames. A flag should fire on false tracks and rarely on true ones; the checks' limits come from
spindle biology and were not tuned on these sets. With several ``--track-threshold`` values the
movies are rendered once and each value gets its table (1: the model's detections only; see
``yoloxsp predict --track-threshold``). ``--offset N`` takes other held-out movies: the
look movies from seed ``LOOK_SET_SEED + N``, the crop movies after the first N (an offset under
``--movies``, or under 6, shares movies with the default sets).
"""
from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pandas as pd

from yoloxsp.metrics.boxes import LONG_SPINDLE_PX, pairwise_iou
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend
from yoloxsp.post.analyse import analyse_movie
from yoloxsp.post.checks import FLAGS, flagged, flags_of
from yoloxsp.post.tracks import TRACK_SCORE_THRESHOLD
from yoloxsp.synth import SynthConfig, read_truth, write_movie
from yoloxsp.synth.looks import LOOKS, UNSEEN_LOOKS, look_config
from yoloxsp.synth.sets import LOOK_SET_SEED, crop_movie_configs


def frame_ious(detections: pd.DataFrame, truth) -> Dict[int, np.ndarray]:
    """Per frame: IoU of each detection row (in table order) with each true spindle of the frame."""
    boxes: Dict[int, List] = {}
    for row in truth:
        boxes.setdefault(row.frame, []).append(row.spindle.box)
    return {frame: pairwise_iou(rows[["x1", "y1", "x2", "y2"]].to_numpy(float),
                                np.asarray(boxes.get(frame, []), float).reshape(-1, 4))
            for frame, rows in detections.groupby("frame", sort=False)}


def detection_hits(detections: pd.DataFrame, truth) -> np.ndarray:
    """Per row of ``detections``: does it overlap a true spindle of its frame (IoU >= 0.5)?"""
    hits = pd.Series(False, index=detections.index)
    for frame, iou in frame_ious(detections, truth).items():
        hits[detections.index[detections["frame"] == frame]] = iou.max(axis=1) >= 0.5 if iou.size else False
    return hits.to_numpy(bool)


def spindles_found(detections: pd.DataFrame, truth) -> Counter:
    """True spindles, and those some detection of their frame overlaps (IoU >= 0.5), all and long.
    Any overlap counts, not a one-to-one matching: these movies' spindles lie far apart, and the
    figure should say whether ``predict`` reported a spindle at all."""
    ious, counts, index = frame_ious(detections, truth), Counter(), Counter()
    for row in truth:
        iou = ious.get(row.frame)
        found = bool(iou is not None and iou.size and iou[:, index[row.frame]].max() >= 0.5)
        index[row.frame] += 1
        long = np.hypot(*np.subtract(*row.spindle.poles)) >= LONG_SPINDLE_PX
        for kind in ("spindles", *(["long spindles"] if long else [])):
            counts[kind] += 1
            counts[f"{kind} found"] += found
    return counts


def score_movies(movies: List[Tuple[Path, SynthConfig]], predictor: Predictor, root: Path,
                 track_threshold: float) -> Dict[str, int]:
    counts: Counter = Counter()
    for movie, config in movies:
        analysis = analyse_movie(movie / "stack.tif", root / f"{config.seed}-out", predictor,
                                 channels=config.tubulin_first, overlay="none", progress=False,
                                 track_score_threshold=track_threshold, overwrite=True)
        truth = read_truth(movie / "ground_truth.csv")
        counts.update(spindles_found(analysis.detections, truth))
        hits = detection_hits(analysis.detections, truth)
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


def render_sets(root: Path, movies_per_look: int, frames: int, offset: int) -> Dict[str, List[Tuple[Path, SynthConfig]]]:
    """The held-out movies by set, written once under ``root``."""
    sets = {"tubulin-only crops": crop_movie_configs(6 + offset)[offset:]}
    for look in [*LOOKS, *UNSEEN_LOOKS]:
        sets[look] = [look_config(look, LOOK_SET_SEED + offset + i, frames) for i in range(movies_per_look)]
    return {name: [(write_movie(root / name / str(config.seed), config), config) for config in configs]
            for name, configs in sets.items()}


def print_table(rows: Dict[str, Counter]) -> None:
    columns = ["true", "true flagged", *(f"true {f}" for f in FLAGS),
               "false", "false flagged", *(f"false {f}" for f in FLAGS),
               "spindle detections", "spindle detections flagged", "other detections", "other detections flagged"]
    rows = {**rows, "all": sum(rows.values(), Counter())}
    table = pd.DataFrame([{"set": name, **{c: counts.get(c, 0) for c in columns}} for name, counts in rows.items()])
    kept_spindles = table["spindle detections"] - table["spindle detections flagged"]
    kept_other = table["other detections"] - table["other detections flagged"]
    table["precision"] = table["spindle detections"] / (table["spindle detections"] + table["other detections"])
    table["precision unflagged"] = kept_spindles / (kept_spindles + kept_other)
    for column, kind in (("recall", "spindles"), ("recall long", "long spindles")):
        found, total = (pd.Series([counts.get(k, 0) for counts in rows.values()]) for k in (f"{kind} found", kind))
        table[column] = (found / total.where(total > 0)).to_numpy()
    print(table.to_string(index=False, float_format="%.3f"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--movies", type=int, default=2, help="movies per look")
    parser.add_argument("--frames", type=int, default=40, help="frames per look movie")
    parser.add_argument("--model", default="yoloxsp")
    parser.add_argument("--track-threshold", type=float, nargs="+", default=[TRACK_SCORE_THRESHOLD],
                        help="yoloxsp predict's --track-threshold, one table each")
    parser.add_argument("--offset", type=int, default=0, help="take the held-out movies after the first N")
    args = parser.parse_args()
    predictor = Predictor(open_backend(args.model))
    with tempfile.TemporaryDirectory(prefix="yoloxsp-checks-") as folder:
        root = Path(folder)
        sets = render_sets(root / "movies", args.movies, args.frames, args.offset)
        for threshold in args.track_threshold:
            print(f"track threshold {threshold} (model score threshold {predictor.config.decode.score_threshold}):")
            print_table({name: score_movies(movies, predictor, root / "out" / name, threshold)
                         for name, movies in sets.items()})


if __name__ == "__main__":
    main()
