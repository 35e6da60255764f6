"""One movie of a batch, as a worker runs it: analyse, export for Fiji, mark complete, publish.

Whatever engine runs it (this process, a local process pool, a Dask worker), a movie is analysed
into a private staging folder ``<name>.partial-<random>`` beside its final folder; the
completion marker ``done.json`` is the last file written, and the staging folder then becomes
``<name>`` by one rename. A worker killed mid-movie therefore leaves only a staging folder (the
batch removes it), never a half-filled result, and when a retried attempt races a finished one,
the rename of the second fails and its copy is discarded: every result is written once.

Errors of one movie are returned as a failed :class:`MovieResult` naming the manifest row, so the
engine sees a finished task and the batch goes on; only a dead worker makes the engine retry.
Each worker process opens the model once (one ONNX Runtime session) and reuses it for every movie.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

from ..errors import InputError, OutputExistsError
from ..io import open_movie
from ..io.atomic import atomic_path
from ..post.tracks import TRACK_SCORE_THRESHOLD
from .manifest import MovieEntry

DONE_MARKER = "done.json"
STAGING_TAG = ".partial-"
TRACKMATE_NAME = "tracks.trackmate.xml"
UNITS = ("um", "px")


@dataclass(frozen=True)
class JobSettings:
    """How every movie of a batch is analysed (picklable: it travels to the workers)."""

    model: str = "yoloxsp"
    backend: str = "auto"
    threads: Optional[int] = None        # per worker; None: the backend's default (all cores)
    units: str = "um"                    # um: a movie without pixel size and frame interval fails
    length: str = "ridge"
    overlay: str = "auto"
    channels: Optional[Tuple[int, ...]] = None
    pixel_size: Optional[float] = None   # when neither the manifest row nor the file gives one
    frame_interval: Optional[float] = None
    track_threshold: Optional[float] = TRACK_SCORE_THRESHOLD  # see analyse_movie's track_score_threshold


@dataclass
class MovieResult:
    """What became of one movie; ``status`` is done, skipped (finished earlier) or failed."""

    row: int
    path: str
    condition: str
    name: str
    status: str
    reason: str = ""
    seconds: float = 0.0
    worker: str = ""

    @property
    def where(self) -> str:
        return f"row {self.row} ({self.path})"


_PREDICTORS: Dict[tuple, object] = {}
_PREDICTORS_LOCK = threading.Lock()


def is_done(folder: Path) -> bool:
    return (folder / DONE_MARKER).is_file()


def analyse_entry(entry: MovieEntry, out_root: str, settings: JobSettings, overwrite: bool = False) -> MovieResult:
    """Analyse one movie into ``out_root/<entry.name>`` (see module docstring); never raises for
    a problem of the movie itself."""
    final = Path(out_root) / entry.name
    result = MovieResult(entry.row, str(entry.path), entry.condition, entry.name, "done",
                         worker=f"{socket.gethostname()}:{os.getpid()}")
    if is_done(final) and not overwrite:
        result.status = "skipped"
        return result
    staging = final.with_name(f"{entry.name}{STAGING_TAG}{uuid.uuid4().hex[:12]}")
    started = time.perf_counter()
    try:
        if final.exists() and not is_done(final) and not overwrite:
            raise OutputExistsError(f"{final} exists but holds no {DONE_MARKER} (not written by a batch); "
                                  "remove it or use --overwrite")
        facts = _analyse(entry, staging, settings)
        result.seconds = time.perf_counter() - started
        _write_marker(staging, entry, settings, result, facts)
        if not _publish(staging, final, overwrite):
            result.status, result.reason = "skipped", "another attempt finished it first"
    except Exception as exc:  # one movie's failure must not stop the batch
        shutil.rmtree(staging, ignore_errors=True)
        result.status = "failed"
        result.reason = str(exc) if isinstance(exc, (InputError, FileExistsError)) else f"{type(exc).__name__}: {exc}"
        result.seconds = time.perf_counter() - started
    return result


def _analyse(entry: MovieEntry, staging: Path, settings: JobSettings) -> dict:
    """Analyse into ``staging``; returns what the summary needs to know about the movie."""
    from ..post.analyse import analyse_movie
    from ..post.trackmate import write_trackmate

    movie = open_movie(entry.path)
    pixel_size = entry.pixel_size or settings.pixel_size or movie.pixel_size
    frame_interval = entry.frame_interval or settings.frame_interval or movie.frame_interval
    if settings.units == "um":
        missing = [name for name, value in (("pixel_size", pixel_size), ("frame_interval", frame_interval))
                   if not value]
        if missing:
            raise InputError(f"no {' or '.join(missing)} in the manifest row or the file's metadata, and the "
                             "summary is in um and min (add the column(s) to the manifest, or use --units px)",
                             entry.path)
    first = next(movie.frames())
    analysis = analyse_movie(entry.path, staging, _predictor(settings), pixel_size=pixel_size,
                             frame_interval=frame_interval, channels=settings.channels, length=settings.length,
                             overlay=settings.overlay, progress=False,
                             track_score_threshold=settings.track_threshold)
    write_trackmate(staging / TRACKMATE_NAME, analysis.detections.to_dict("records"), entry.path,
                    (first.shape[1], first.shape[0]), analysis.n_frames, analysis.pixel_size, analysis.frame_interval,
                    analysis.tracks.to_dict("records"))
    return {"n_frames": analysis.n_frames, "n_tracks": len(analysis.tracks), "pixel_size": analysis.pixel_size,
            "frame_interval": analysis.frame_interval}


def _predictor(settings: JobSettings):
    """This process's predictor for ``settings`` (opened once, then shared by its movies and threads)."""
    key = (settings.model, settings.backend, settings.threads)
    with _PREDICTORS_LOCK:
        if key not in _PREDICTORS:
            from ..model.backends import Predictor
            from ..model.resolve import open_backend

            if settings.backend == "torch" and settings.threads:
                import torch

                torch.set_num_threads(settings.threads)
            _PREDICTORS[key] = Predictor(open_backend(settings.model, settings.backend, threads=settings.threads))
        return _PREDICTORS[key]


def _write_marker(staging: Path, entry: MovieEntry, settings: JobSettings, result: MovieResult, facts: dict
                  ) -> None:
    """The completion marker, written last (atomically) into the staging folder."""
    marker = {"row": entry.row, "path": str(entry.path), "condition": entry.condition, **facts,
              "seconds": round(result.seconds, 3), "worker": result.worker,
              "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "settings": asdict(settings)}
    with atomic_path(staging / DONE_MARKER) as partial:
        partial.write_text(json.dumps(marker, indent=1))


def _publish(staging: Path, final: Path, overwrite: bool) -> bool:
    """Rename the finished staging folder to ``final``; False (and the copy discarded) when another
    attempt published first. With ``overwrite`` an earlier result is replaced."""
    if overwrite and final.exists():
        retired = final.with_name(f"{final.name}.replaced-{uuid.uuid4().hex[:12]}")
        os.rename(final, retired)
        os.rename(staging, final)
        shutil.rmtree(retired)
        return True
    try:
        os.rename(staging, final)  # fails when final exists and is not empty
        return True
    except OSError:
        if is_done(final):
            shutil.rmtree(staging)
            return False
        raise
