"""Run a batch of movies on an existing engine and collect the results.

Engines: this process (one worker), a local process pool (``concurrent.futures``, spawned
processes, each with its own model session), or a Dask distributed cluster given by its scheduler
address. Scheduling, retries after a lost worker and load balancing are the engine's; this module
only submits one task per movie and gathers what comes back. With Dask the movies and the
output folder must be reachable under the same paths on every worker (a shared file system):
tasks carry absolute paths (see :mod:`.manifest`), so a worker's own working folder does not
matter. A scheduler that does not answer within :data:`DASK_CONNECT_SECONDS` is an
:class:`InputError` before anything is written.

Movies whose folder already holds this movie's current result are skipped (see
:func:`.job.previous`), so re-running the same command after a crash or a cancelled job resumes
it. Staging folders left by killed attempts are removed
before and after the batch (one batch per output folder at a time). ``movies.csv`` lists every
row with its status and reason; ``summary.csv`` and the figures cover every finished movie.
"""
from __future__ import annotations

import csv
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence, Tuple

from tqdm import tqdm

from ..errors import InputError, PathLike, note_kept
from ..io.atomic import atomic_path
from .job import CURRENT, STAGING_TAG, JobSettings, MovieResult, analyse_entry, previous
from .manifest import MovieEntry, RowProblem

if TYPE_CHECKING:  # matplotlib and pandas load with the summary, after the movies; distributed with --scheduler
    from distributed import Client

    from ..batch.summary import Summary

MOVIES_CSV = "movies.csv"
DASK_CONNECT_SECONDS = 5  # a scheduler answers in milliseconds; one that does not is not there


@dataclass
class BatchReport:
    out: Path
    results: List[MovieResult]
    summary: "Summary"
    seconds: float

    @property
    def failed(self) -> List[MovieResult]:
        return [r for r in self.results if r.status == "failed"]

    def text(self) -> str:
        counts = {s: sum(r.status == s for r in self.results) for s in ("done", "skipped", "failed")}
        lines = [f"{counts['done']} movie(s) analysed, {counts['skipped']} already finished, {counts['failed']} "
                 f"failed in {self.seconds:.1f} s -> {self.out}"]
        lines += [f"{r.status}: {r.where}: {r.reason}" for r in self.results if r.reason and r.status != "skipped"]
        if self.summary.uncalibrated:
            lines.append(f"left out of the figures (no pixel size or frame interval; analysed with --units px "
                         f"earlier?): {', '.join(self.summary.uncalibrated)}")
        return "\n".join(lines)


def run_batch(entries: Sequence[MovieEntry], out: PathLike, settings: JobSettings, problems: Sequence[RowProblem] = (),
              workers: int = 1, scheduler: Optional[str] = None, overwrite: bool = False,
              progress: bool = True, include_flagged_rates: bool = False) -> BatchReport:
    """Analyse ``entries`` into ``out/<entry.name>/`` and write ``movies.csv``, ``summary.csv``,
    ``conditions.csv`` and the figures. ``problems`` (manifest rows that cannot run) are reported
    as failed rows. ``workers`` > 1: a local process pool; ``scheduler``: a Dask scheduler address.
    ``include_flagged_rates``: the per-condition rate statistics keep the rates of short or cut
    anaphases (left out by default). Stopped by Ctrl-C, the movies finished so far keep their results and are summarised, the others
    are listed as not analysed, and the interrupt goes on."""
    if workers < 1:
        raise InputError(f"workers must be >= 1 (got {workers})")
    started = time.perf_counter()
    out = Path(out).resolve()  # the workers' working folders are not ours
    if settings.threads is None and (scheduler or workers > 1):  # share the cores among the workers
        settings = replace(settings, threads=1 if scheduler else max(1, (os.cpu_count() or 1) // workers))
    with _dask_client(scheduler) if scheduler else nullcontext() as client:
        out.mkdir(parents=True, exist_ok=True)
        _remove_staging(out)
        results = [MovieResult(p.row, p.path, "", "", "failed", p.reason) for p in problems]
        todo = []
        for entry in entries:
            if not overwrite and previous(out / entry.name, entry, settings)[0] == CURRENT:
                results.append(MovieResult(entry.row, str(entry.path), entry.condition, entry.name, "skipped"))
            else:
                todo.append(entry)
        engine = _on_dask(todo, out, settings, client, overwrite) if client else \
            _in_process(todo, out, settings, overwrite) if workers == 1 else \
            _on_pool(todo, out, settings, workers, overwrite)
        try:
            results += tqdm(engine, total=len(todo), desc="movies", unit="movie", disable=not progress)
        except KeyboardInterrupt as stop:  # what finished is kept, and said
            ran = {r.row for r in results}
            results += [MovieResult(e.row, str(e.path), e.condition, e.name, "failed",
                                    "not analysed: the batch was interrupted (run it again to resume)")
                        for e in todo if e.row not in ran]
            _finish(out, results, settings, include_flagged_rates)
            done = sum(r.status == "done" for r in results)
            vars(stop).pop("__notes__", None)  # the stopped movie's own note names its removed staging folder
            note_kept(stop, f"{done} movie(s) analysed before the stop are kept; {out / MOVIES_CSV} lists every "
                            "movie, and the same command resumes")
            raise
    results, summary = _finish(out, results, settings, include_flagged_rates)
    return BatchReport(out, results, summary, time.perf_counter() - started)


def _finish(out: Path, results: List[MovieResult], settings: JobSettings, include_flagged_rates: bool
            ) -> Tuple[List[MovieResult], "Summary"]:
    """``movies.csv`` and the summary of the finished movies; the results in manifest order."""
    from ..batch.summary import write_summary

    _remove_staging(out)
    results = sorted(results, key=lambda r: r.row)
    _write_movies_csv(out / MOVIES_CSV, results)
    finished = [(r.name, r.condition) for r in results if r.status in ("done", "skipped")]
    return results, write_summary(out, finished, settings.units, include_flagged_rates=include_flagged_rates)


@contextmanager
def _dask_client(address: str) -> Iterator["Client"]:
    """A client of the scheduler at ``address``; one that cannot be reached is an
    :class:`InputError` after :data:`DASK_CONNECT_SECONDS`, not a wait and a traceback."""
    from distributed import Client

    try:
        client = Client(address, timeout=f"{DASK_CONNECT_SECONDS}s")
    except (OSError, ValueError) as exc:  # no answer (a TimeoutError is an OSError), or not an address
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot reach the Dask scheduler at {address} ({reason}); is `dask scheduler` "
                         "running there?") from None
    with client:
        yield client


def _in_process(todo: List[MovieEntry], out: Path, settings: JobSettings, overwrite: bool) -> Iterator[MovieResult]:
    for entry in todo:
        yield analyse_entry(entry, str(out), settings, overwrite)


def _on_pool(todo: List[MovieEntry], out: Path, settings: JobSettings, workers: int, overwrite: bool
             ) -> Iterator[MovieResult]:
    """A local process pool. Spawned, not forked: a fork would copy this process's threads and
    model state. A worker that dies breaks the pool: its movies are reported failed and a re-run
    resumes them."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {pool.submit(analyse_entry, entry, str(out), settings, overwrite): entry for entry in todo}
        for future in as_completed(futures):
            yield _result(future, futures[future])


def _on_dask(todo: List[MovieEntry], out: Path, settings: JobSettings, client: "Client", overwrite: bool
             ) -> Iterator[MovieResult]:
    """A Dask distributed cluster. A task whose worker dies is rescheduled by the scheduler (up to
    its ``allowed-failures``); the job's staging and single rename keep the retry from writing
    anything twice."""
    from distributed import as_completed as dask_completed

    futures = {client.submit(analyse_entry, entry, str(out), settings, overwrite, pure=False,
                             key=f"yoloxsp-movie-{entry.name}-{os.urandom(4).hex()}"): entry for entry in todo}
    for future in dask_completed(futures):
        yield _result(future, futures[future])


def _result(future, entry: MovieEntry) -> MovieResult:
    """The task's result, or a failed result when the engine lost it (a dead worker)."""
    try:
        return future.result()
    except Exception as exc:
        return MovieResult(entry.row, str(entry.path), entry.condition, entry.name, "failed",
                           f"the worker running it was lost ({type(exc).__name__}: {exc}); re-run the batch to retry")


def _remove_staging(out: Path) -> None:
    for path in out.iterdir():
        if STAGING_TAG in path.name and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def _write_movies_csv(path: Path, results: List[MovieResult]) -> None:
    columns = [f.name for f in fields(MovieResult)]
    with atomic_path(path) as partial, open(partial, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for result in results:
            writer.writerow({c: (f"{v:.3f}" if isinstance(v, float) else v)
                             for c, v in ((c, getattr(result, c)) for c in columns)})
