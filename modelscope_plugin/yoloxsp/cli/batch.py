"""``yoloxsp batch``: analyse many movies, on this machine or a Dask cluster, and compare conditions.

INPUT is a CSV manifest (``path,condition[,pixel_size,frame_interval]``), a folder of movie files
(TIFF, AVI, MP4...; the condition is the folder's name) or a quoted glob pattern (the condition is
each movie's folder name). Each movie gets the outputs of ``yoloxsp predict`` in OUT/<name>/,
plus ``tracks.trackmate.xml`` (opens in Fiji's TrackMate) and ``done.json``, written last; <name> is
the file's name and 8 hex digits of its path (``cell01-3fa4c2d1``), so same-named movies of two
folders never share a folder. Re-running skips movies already finished with the same settings;
a movie whose file changed since is analysed again. A movie that fails is reported with its
reason and the others go on. OUT also receives ``movies.csv`` (status of every row), ``summary.csv`` (one row per
track), ``conditions.csv`` and the figures (rates and lengths per condition, length aligned at
anaphase B onset).

A command of its own rather than an option of ``predict``: ``predict`` already reads a folder of
images as one movie, and a batch has outputs (per-condition summary, status table) and options
(workers, scheduler) that a single movie has not.
"""
from __future__ import annotations

import argparse

from .predict import add_shared_options, settings_from


def add_parser(sub) -> None:
    p = sub.add_parser("batch", help="analyse many movies (process pool or Dask cluster) and summarise per condition",
                       description=__doc__.split(":", 1)[1].strip(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="manifest .csv, folder of movies, or glob pattern (quote it)")
    add_shared_options(p, calibration="fallback")
    engine = p.add_mutually_exclusive_group()
    engine.add_argument("--workers", type=int, default=1,
                        help="local worker processes, each with its own model session and a share of the cores")
    engine.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address (tcp://host:8786); movies and --out must be on a file system "
                             "every worker sees under the same paths")
    p.add_argument("--units", choices=("um", "px"), default="um",
                   help="summary units: um and min (default; every movie needs pixel size and frame interval) "
                        "or px and frames")
    p.add_argument("--include-flagged-rates", action="store_true",
                   help="keep the anaphase B rates of short or cut anaphases (flags short-anaphase-b, anaphase-b-cut) "
                        "in the per-condition statistics; default: left out and counted in conditions.csv")
    p.add_argument("--overwrite", action="store_true", help="analyse finished movies again")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..batch.job import JobSettings
    from ..batch.manifest import read_movies
    from ..batch.runner import run_batch

    settings = JobSettings(model=args.model, backend=args.backend, units=args.units, pixel_size=args.pixel_size,
                           frame_interval=args.frame_interval, analysis=settings_from(args))
    entries, problems = read_movies(args.input)
    report = run_batch(entries, args.out, settings, problems, workers=args.workers, scheduler=args.scheduler,
                       overwrite=args.overwrite, progress=not args.quiet,
                       include_flagged_rates=args.include_flagged_rates)
    print(report.text())
    return 1 if report.failed else 0
