"""How well the three-phase fit recovers the synthetic generator's exact phase timings.

    .venv/bin/python tools/validate_phases.py [--fields 40] [--frames 80] [--interval 30] [--predicted 4]

Spindle programs are drawn by the generator's own field builder (``yoloxsp.synth.scene``), so
their formation, plateau and anaphase B rate follow the generator's distributions. Each program
is sampled at the movie's frame times exactly as the renderer does (``SpindleProgram.state``),
then degraded as a detector would: frames missed at random, Gaussian length noise and a few
outlying lengths. The table gives the errors against the exact breakpoints and rates, per
degradation level; the test suite asserts the middle row.

``--predicted N`` also runs the whole chain: N generated 256x256 movies through ``yoloxsp batch``
(bundled model), each true spindle with an anaphase B onset in the movie matched to the predicted
track whose spindle centres stay closest to its own, and that track's phases (from ``tracks.csv``)
compared with the fit to the true lengths, which the table's first row shows to be exact.
"""
from __future__ import annotations

import argparse
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import numpy as np

from yoloxsp.post.phases import MAX_PLATEAU_UM, fit_phases
from yoloxsp.synth import SynthConfig
from yoloxsp.synth.scene import SpindleProgram, build_field


@dataclass
class Degradation:
    missed: float     # share of frames without a length
    noise_um: float   # Gaussian length noise
    outliers: float   # share of lengths off by 1-2 um


LEVELS = [Degradation(0.0, 0.0, 0.0), Degradation(0.2, 0.08, 0.05), Degradation(0.3, 0.15, 0.1)]


def programs(fields: int, frames: int, interval: float) -> List[SpindleProgram]:
    """The spindle programs of ``fields`` generator fields (seeds 0..fields-1)."""
    found = []
    for seed in range(fields):
        config = SynthConfig(width=512, height=512, frames=frames, seed=seed, frame_interval=interval, spindles=6)
        field = build_field(config, np.random.default_rng(seed))
        found += [cell.spindle for cell in field.cells if cell.spindle is not None]
    return found


def errors(program: SpindleProgram, frames: int, interval: float, level: Degradation, rng: np.random.Generator,
           pixel_size: float = 0.1) -> dict:
    """Fit one sampled program; errors in frames (breakpoints), um/min (rate) and um (plateau).
    NaN where the truth is not observable (the phase lies outside the movie)."""
    minutes = interval / 60.0
    samples = [(t, program.state(t * minutes)) for t in range(frames)]
    seen = [(t, state[1]) for t, state in samples if state is not None]
    if len(seen) < 3:
        return {}
    t, length = np.array(seen, float).T
    keep = rng.random(len(t)) >= level.missed
    t, length = t[keep], length[keep] + rng.normal(0.0, level.noise_um, keep.sum())
    outlier = rng.random(len(t)) < level.outliers
    length[outlier] += rng.choice([-1, 1], outlier.sum()) * rng.uniform(1.0, 2.0, outlier.sum())
    fit = fit_phases(t, length / pixel_size, movie_start=0, movie_end=frames - 1,
                     max_plateau=MAX_PLATEAU_UM / pixel_size)  # as yoloxsp predict fits a calibrated movie
    formation_end = (program.start + program.formation) / minutes
    onset = (program.start + program.formation + program.plateau) / minutes
    # observable: a kept frame more than half a frame before the onset (the fit's own rule)
    has_end, has_onset = 0 < formation_end < frames - 1, t[0] + 0.5 < onset < frames - 2
    plateau_seen = formation_end < frames - 1 and onset > t[0] + 0.5  # some kept frame shows the plateau
    return {"formation_end": fit.formation_end - formation_end if has_end else math.nan,
            "onset": fit.anaphase_onset - onset if has_onset else math.nan,
            "rate": fit.anaphase_rate * pixel_size / minutes - program.rate if has_onset else math.nan,
            "plateau": fit.plateau_length * pixel_size - program.plateau_length if plateau_seen else math.nan,
            "missed_onset": has_onset and not math.isfinite(fit.anaphase_onset),
            "false_onset": onset >= frames - 1 and math.isfinite(fit.anaphase_onset)}


def table(fields: int, frames: int, interval: float, level: Degradation, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    rows = [e for p in programs(fields, frames, interval) if (e := errors(p, frames, interval, level, rng))]
    stats = {"tracks": len(rows)}
    for key in ("formation_end", "onset", "rate", "plateau"):
        values = np.abs([r[key] for r in rows if math.isfinite(r[key])])
        stats[key] = (len(values), float(np.median(values)) if len(values) else math.nan,
                      float(np.percentile(values, 90)) if len(values) else math.nan)
    stats["missed_onset"] = sum(r["missed_onset"] for r in rows)
    stats["false_onset"] = sum(r["false_onset"] for r in rows)
    return stats


def predicted(movies: int, frames: int, interval: float) -> None:
    import pandas as pd

    from yoloxsp.batch.job import JobSettings
    from yoloxsp.batch.manifest import read_movies
    from yoloxsp.batch.runner import run_batch
    from yoloxsp.synth import read_truth, write_movie

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(movies):
            write_movie(root / f"m{i}", SynthConfig(width=256, height=256, frames=frames, seed=500 + i,
                                                    frame_interval=interval, spindles=4))
        entries, _ = read_movies(str(root / "m*" / "stack.tif"))
        run_batch(entries, root / "out", JobSettings(overlay="none"), progress=False)
        onset_errors, rate_errors, unmatched, no_onset = [], [], 0, 0
        for entry in entries:
            truth = read_truth(entry.path.parent / "ground_truth.csv")
            detections = pd.read_csv(root / "out" / entry.name / "detections.csv")
            tracks = pd.read_csv(root / "out" / entry.name / "tracks.csv").set_index("track_id")
            for track_id in sorted({r.spindle.track_id for r in truth}):
                mine = [r for r in truth if r.spindle.track_id == track_id]
                exact = fit_phases([r.frame for r in mine], [r.length_um for r in mine], 0, frames - 1)
                if not math.isfinite(exact.anaphase_onset):
                    continue
                match = _closest_track(mine, detections)
                if match is None:
                    unmatched += 1
                    continue
                row = tracks.loc[match]
                if not math.isfinite(row["anaphase_onset_frame"]):
                    no_onset += 1
                    continue
                onset_errors.append(abs(row["anaphase_onset_frame"] - exact.anaphase_onset))
                rate_errors.append(abs(row["anaphase_b_rate_um_per_min"] - exact.anaphase_rate * 60.0 / interval))
    print(f"\nyoloxsp batch on {movies} generated 256x256 movies ({frames} frames every {interval:g} s): "
          f"{len(onset_errors) + unmatched + no_onset} true spindles with an anaphase B onset")
    print(f"  matched with an onset: {len(onset_errors)}, matched without: {no_onset}, no matching track: {unmatched}")
    for name, values, unit in (("onset", onset_errors, "frames"), ("rate", rate_errors, "um/min")):
        if values:
            print(f"  {name} error: median {np.median(values):.3f} {unit}, 90th percentile "
                  f"{np.percentile(values, 90):.3f}, max {max(values):.3f}")


def _closest_track(truth_rows, detections) -> Optional[int]:
    """The predicted track with the most detections within 10 px (1 um at the generator's default
    pixel size) of the true spindle's centre in the same frame, if it covers half its frames."""
    centres = {r.frame: ((r.spindle.box[0] + r.spindle.box[2]) / 2, (r.spindle.box[1] + r.spindle.box[3]) / 2)
               for r in truth_rows}
    votes = {}
    for d in detections.itertuples():
        if d.frame in centres:
            cx, cy = centres[d.frame]
            if math.hypot((d.x1 + d.x2) / 2 - cx, (d.y1 + d.y2) / 2 - cy) < 10.0:
                votes[d.track_id] = votes.get(d.track_id, 0) + 1
    best = max(votes, key=votes.get, default=None)
    return best if best is not None and votes[best] >= len(truth_rows) / 2 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fields", type=int, default=40)
    parser.add_argument("--frames", type=int, default=80)
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between frames")
    parser.add_argument("--predicted", type=int, default=0, metavar="N", help="also run N movies through the model")
    args = parser.parse_args()
    print(f"{args.fields} generator fields, {args.frames} frames every {args.interval:g} s; "
          "absolute errors: n / median / 90th percentile")
    print(f"{'missed':>6} {'noise um':>8} {'outliers':>8} {'tracks':>6} | {'formation end (frames)':>24} | "
          f"{'anaphase onset (frames)':>24} | {'rate (um/min)':>24} | {'plateau (um)':>24} | onset missed / false")
    for level in LEVELS:
        s = table(args.fields, args.frames, args.interval, level)
        cells = " | ".join(f"{s[k][0]:>6d} {s[k][1]:>8.3f} {s[k][2]:>8.3f}" for k in
                           ("formation_end", "onset", "rate", "plateau"))
        print(f"{level.missed:>6.0%} {level.noise_um:>8.2f} {level.outliers:>8.0%} {s['tracks']:>6d} | {cells} | "
              f"{s['missed_onset']} / {s['false_onset']}")
    if args.predicted:
        predicted(args.predicted, args.frames, args.interval)


if __name__ == "__main__":
    main()
