"""How a model does per microscope look, and on looks it never saw (leave-one-look-out).

    .venv/bin/python tools/looks_report.py evaluate --model yoloxsp [--score-threshold 0.3 0.4 0.5]
    .venv/bin/python tools/looks_report.py leave-one-out --epochs 4 --frames 600 [--looks dense-lawn ...] \
        [--work-dir work_dirs/leave_one_out]

``evaluate`` scores a model on the held-out set of every look of :mod:`yoloxsp.synth.looks`
(``synthetic:look:NAME``, seeds never used for training), the looks no training draws
(``UNSEEN_LOOKS``, marked with a ``*``) included, scores it per movie on held-out single-cell
tubulin-only crop movies (in how many of its frames the spindle is found, and how well its length
is measured: the goals set for a real tubulin-only movie), and counts its detections on pure-noise
movies (raw 16-bit, one and two channels: the goal is none). With ``--score-threshold`` it does
all this at each threshold given, on sets rendered once, and prints the mean detection F1 and mean
long-spindle recall over the looks: the figures by which the bundled weights and their threshold
are chosen.

``leave-one-out`` trains, through the package's trainer and ``configs/yoloxsp_nano.json``, one
model per look without that look and scores it on that look, beside a control model trained the
same way on every look: the gap estimates how the model does on a microscope it has never seen.
Each run keeps its folder under ``--work-dir`` with its settings in ``run.json`` (the generator's
fingerprint among them; reused when finished, resumed when interrupted, refused when made with
other settings), and the scores so far are kept in ``results.json``. Prints per look: detection
F1 and recall of long spindles (>= 25 px) at IoU 0.5, median pole error (px), median relative
length error.
"""
from __future__ import annotations

import argparse
import json
import re
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Collection, Dict, Iterator, Optional, Sequence, Set

import numpy as np

if TYPE_CHECKING:
    from yoloxsp.metrics.sources import EvalSet
    from yoloxsp.model.backends import Predictor

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "yoloxsp_nano.json"
RUN_FILE = "run.json"
COLUMNS = {"det_F1@0.5": "F1", "det_precision@0.5": "precision", "long_recall@0.5": "long recall",
           "n_long_spindles": "n long", "pole_median_error_px": "pole err px", "length_median_rel_error": "length err"}


def score_looks(predictor: "Predictor", looks: Sequence[str]) -> Dict[str, Dict[str, float]]:
    """Metrics of ``predictor`` on the held-out set of each look in ``looks``."""
    from yoloxsp.metrics.sources import open_look_sets

    with open_look_sets(looks) as sets:
        return score_sets(predictor, sets)


def score_sets(predictor: "Predictor", sets: Dict[str, "EvalSet"]) -> Dict[str, Dict[str, float]]:
    from yoloxsp.metrics import evaluate_records

    return {look: evaluate_records(predictor, data.records, data.pixel_sizes, progress=False)
            for look, data in sets.items()}


def noise_detections(predictor: "Predictor") -> Dict[str, int]:
    """Detections on raw 16-bit frames of camera noise only (:func:`yoloxsp.synth.render.camera_noise`)."""
    from yoloxsp.synth.render import camera_noise

    movies = {channels: camera_noise(channels) for channels in (1, 2)}
    return {f"noise {channels}ch ({len(movie)} frames)": sum(len(found) for found in predictor(movie))
            for channels, movie in movies.items()}


@contextmanager
def crop_movies(n_movies: int = 6, frames: Optional[int] = None) -> Iterator[Dict[str, "CropMovie"]]:
    """The held-out single-cell tubulin-only movies, by name, rendered once."""
    import tempfile

    from yoloxsp.metrics.sources import read_eval_set
    from yoloxsp.synth.sets import CROP_MOVIE_FRAMES, crop_movie_configs, write_crop_movies
    from yoloxsp.synth.visibility import visible_frames

    configs = crop_movie_configs(n_movies, frames or CROP_MOVIE_FRAMES)
    with tempfile.TemporaryDirectory(prefix="yoloxsp-crops-") as folder:
        yield {movie.name: CropMovie(read_eval_set(movie), set(visible_frames(config)))
               for movie, config in zip(write_crop_movies(folder, n_movies, frames or CROP_MOVIE_FRAMES), configs)}


@dataclass(frozen=True)
class CropMovie:
    """A crop movie's annotated frames, and which of them show their spindle above the noise
    (:func:`yoloxsp.synth.visibility.visible_frames`): a real movie's annotators mark a spindle
    only where they see it, so the share found over those frames is the nearer stand-in for the
    goal set for a real movie."""

    data: "EvalSet"
    visible: Set[int]

    def visible_only(self) -> "EvalSet":
        from yoloxsp.metrics.sources import EvalSet

        keep = [index for index, record in enumerate(self.data.records) if record.frame in self.visible]
        sizes = self.data.pixel_sizes
        return EvalSet([self.data.records[i] for i in keep], None if sizes is None else [sizes[i] for i in keep])


def score_crop_movies(predictor: "Predictor", movies: Dict[str, CropMovie]) -> Dict[str, Dict[str, float]]:
    """Per crop movie (:func:`crop_movies`): share of the spindle's frames where it is found
    (recall at IoU 0.5), over all its frames and over those where it stands above the noise, the
    frames where it does not, median relative length error, and detections that match no spindle."""
    rows: Dict[str, Dict[str, float]] = {}
    whole = score_sets(predictor, {name: movie.data for name, movie in movies.items()})
    visible = score_sets(predictor, {name: movie.visible_only() for name, movie in movies.items()})
    for name, metrics in whole.items():
        found = metrics["n_detections"]
        rows[name] = {
            "found in frames": metrics["det_recall@0.5"], "spindle frames": metrics["n_spindles"],
            "found where visible": visible[name]["det_recall@0.5"],
            "faint frames": sum(1 for r in movies[name].data.records
                                if r.spindles and r.frame not in movies[name].visible),
            "length err": metrics["length_median_rel_error"],
            "extra": found - round(metrics["det_precision@0.5"] * found) if found else 0}
    return rows


def print_table(rows: Dict[str, Dict[str, float]], columns: Dict[str, str] = COLUMNS) -> None:
    widths = {key: max(11, len(name)) for key, name in columns.items()}
    print(f"{'look':>22} " + " ".join(f"{name:>{widths[key]}}" for key, name in columns.items()))
    for look, metrics in rows.items():
        print(f"{look:>22} " + " ".join(f"{metrics.get(key, float('nan')):>{widths[key]}.3f}" for key in columns))


def evaluate(args) -> None:
    from yoloxsp.model.backends import Predictor
    from yoloxsp.metrics.sources import open_look_sets
    from yoloxsp.model.resolve import open_backend
    from yoloxsp.synth.looks import LOOKS, UNSEEN_LOOKS

    model = Predictor(open_backend(args.model))
    with open_look_sets(args.looks or [*LOOKS, *UNSEEN_LOOKS]) as sets, crop_movies() as crops:
        for threshold in args.score_threshold or [model.config.decode.score_threshold]:
            print(f"score threshold {threshold}")
            print_report(model.at_score_threshold(threshold), sets, crops, UNSEEN_LOOKS)


def print_report(predictor: "Predictor", sets: Dict[str, "EvalSet"], crops: Dict[str, CropMovie],
                 unseen: Collection[str]) -> None:
    """Per-look table with its means, crop movies and noise, for one decoding."""
    rows = score_sets(predictor, sets)
    print_table({f"{look}*" if look in unseen else look: metrics for look, metrics in rows.items()})
    # Four decimals: the selection rule compares these means at a 0.005 margin, which three
    # decimals can misplace (two means printed 0.945 and 0.940 may lie under 0.005 apart).
    print(f"mean over {len(rows)} looks: F1 {np.mean([r['det_F1@0.5'] for r in rows.values()]):.4f}, "
          f"long-spindle recall {np.nanmean([r['long_recall@0.5'] for r in rows.values()]):.4f}")
    print_crop_report(predictor, crops)
    for name, n in noise_detections(predictor).items():
        print(f"{name}: {n} detections")


def print_crop_report(predictor: "Predictor", crops: Dict[str, CropMovie]) -> None:
    """The crop movies' table, and the share of frames found in the median and the worst movie."""
    from yoloxsp.synth.sets import CROP_MOVIE_FRAMES
    from yoloxsp.synth.visibility import FAINT_SNR

    rows = score_crop_movies(predictor, crops)
    print(f"single-cell tubulin-only crop movies ({CROP_MOVIE_FRAMES} frames each; goal: found in >= 90% of "
          "frames, length error <= 10%)")
    print_table(rows, {key: key for key in next(iter(rows.values()))})
    found = np.array([row["found in frames"] for row in rows.values()])
    visible = np.array([row["found where visible"] for row in rows.values()])
    print(f"found in {np.median(found):.3f} of the spindle's frames (median movie), {found.min():.3f} (worst); "
          f"of the frames where it stands >= {FAINT_SNR:g} noise sigma above background {np.nanmedian(visible):.3f} "
          f"(median movie), {np.nanmin(visible):.3f} (worst; {int(np.isnan(visible).sum())} movies with no such frame)")


def write_json(path: Path, value) -> None:
    from yoloxsp.io.atomic import atomic_path

    with atomic_path(path) as partial:
        partial.write_text(json.dumps(value, indent=1))


def last_checkpoint(work: Path) -> Optional[Path]:
    """The newest epoch checkpoint in ``work``: ``epoch_N.pth`` only, not its trainer state nor a
    save that a kill left under a temporary name."""
    numbered = [(int(match.group(1)), path) for path in work.glob("epoch_*.pth")
                if (match := re.fullmatch(r"epoch_(\d+)\.pth", path.name))]
    return max(numbered)[1] if numbered else None


def claim_run(work: Path, settings: dict) -> bool:
    """Record in ``work/run.json`` the settings of the run made there; True when it already
    finished. A folder holding a run made with other settings is refused: resuming it would mix
    two recipes under one label."""
    settings = json.loads(json.dumps(settings))  # tuples -> lists, as they read back
    run_file = work / RUN_FILE
    if run_file.is_file():
        recorded = json.loads(run_file.read_text())
        if recorded["settings"] != settings:
            raise SystemExit(f"{work}: holds a run made with {recorded['settings']}, not {settings}; "
                             "remove the folder or give another --work-dir")
        return bool(recorded["finished"])
    work.mkdir(parents=True, exist_ok=True)
    write_json(run_file, {"settings": settings, "finished": False})
    return False


def trained_model(work: Path, settings: dict) -> Path:
    """The model folder of the run in ``work`` (``settings``: epochs, frames, seed, exclude): a
    finished run is reused, an interrupted one resumed from its last epoch checkpoint, so a long
    series of runs survives a stop."""
    output = work / "output"
    if claim_run(work, settings):
        return output
    import yoloxsp  # noqa: F401  (registers the trainer)
    from modelscope.trainers import build_trainer

    from yoloxsp.metainfo import Trainers

    epochs, exclude = settings["epochs"], list(settings["exclude"])
    trainer = build_trainer(Trainers.easycv, dict(
        cfg_file=str(CONFIG), work_dir=str(work), train_dataset="synthetic:train",
        eval_dataset="synthetic:look:" + (exclude[0] if exclude else "wells-avi"),
        cfg_options={"train.max_epochs": epochs, "dataset.train.synthetic.frames": settings["frames"],
                     "dataset.train.synthetic.first_seed": settings["seed"],
                     "dataset.train.synthetic.exclude_looks": exclude,
                     "train.hooks": [{"type": "EvaluationHook", "interval": epochs}]}))
    resume = last_checkpoint(work)
    trainer.train(checkpoint_path=str(resume) if resume else None)
    write_json(work / RUN_FILE, {"settings": json.loads(json.dumps(settings)), "finished": True})
    return output


def generator_fingerprint(seeds: int = 4) -> str:
    """A digest of the training looks and of the configs they draw for a few seeds: a run made
    before a look was added or redrawn is not reused as if trained on today's generator."""
    from yoloxsp.synth.looks import LOOKS, look_config

    drawn = [(name, repr(look_config(name, seed, 2))) for name in LOOKS for seed in range(seeds)]
    return f"{zlib.crc32(repr(drawn).encode()):08x}"


def leave_one_out(args) -> None:
    from yoloxsp.model.backends import Predictor
    from yoloxsp.model.resolve import open_backend
    from yoloxsp.synth.looks import LOOKS

    looks = args.looks or list(LOOKS)
    work = Path(args.work_dir)
    common = {"config": CONFIG.name, "epochs": args.epochs, "frames": args.frames, "seed": args.seed,
              "generator": generator_fingerprint()}
    results_file = work / "results.json"
    kept = json.loads(results_file.read_text()) if results_file.is_file() else {}
    scores = kept.get("scores", {}) if kept.get("settings") == common else {}
    runs = [("control", [], looks)] + [(look, [look], [look]) for look in looks]
    for name, exclude, scored in runs:
        model = trained_model(work / name, {**common, "exclude": exclude})
        scores[name] = {**scores.get(name, {}), **score_looks(Predictor(open_backend(str(model))), scored)}
        write_json(results_file, {"settings": common, "scores": scores})
        print(f"{name}: {'trained on every look' if not exclude else 'trained without ' + exclude[0]}"
              f" ({args.epochs} epochs x {args.frames} frames)", flush=True)
        print_table(scores[name])
    print("left out: each row's model was trained without that look; control: the model trained on every look")
    print_table({f"{look} (left out)": scores[look][look] for look in looks})
    print_table({f"{look} (control)": scores["control"][look] for look in looks})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("evaluate")
    p.add_argument("--model", default="yoloxsp")
    p.add_argument("--looks", nargs="*")
    p.add_argument("--score-threshold", type=float, nargs="+", help="decode at each (default: the model's own)")
    p.set_defaults(run=evaluate)
    p = sub.add_parser("leave-one-out")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--frames", type=int, default=600, help="synthetic training frames per epoch")
    p.add_argument("--seed", type=int, default=0, help="first training seed")
    p.add_argument("--looks", nargs="*")
    p.add_argument("--work-dir", default=str(ROOT / "work_dirs" / "leave_one_out"),
                   help="one run per folder; finished runs are reused and interrupted ones resumed")
    p.set_defaults(run=leave_one_out)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
