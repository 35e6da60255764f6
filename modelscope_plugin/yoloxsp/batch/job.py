"""One movie of a batch, as a worker runs it: analyse, export for Fiji, mark complete, publish.

Whatever engine runs it (this process, a local process pool, a Dask worker), a movie is analysed
into a private staging folder ``<name>.partial-<random>`` beside its final folder; the
completion marker ``done.json`` is the last file written, and the staging folder then becomes
``<name>`` by one rename. A worker killed mid-movie therefore leaves only a staging folder (the
batch removes it), never a half-filled result, and when a retried attempt races a finished one,
the rename of the second fails and its copy is discarded: every result is written once.

A finished movie is known by its content, not its folder name: ``done.json`` records the movie's
absolute path, its :func:`fingerprint` (size, modification time in ns, and the SHA-1 of its
first and last MiB: cheap on a 10 GB stack, and a re-export, an edit or a copy over it changes
at least the time), the settings that change results (:data:`RESULT_SETTINGS`) and where its
pixel size and frame interval came from. A folder is reused only when all of these match
(:func:`previous`). A folder that holds another movie's results, or none written by a batch, is
refused by name (``--overwrite`` replaces it). A movie that changed, or whose settings did, is
analysed again and replaces its earlier result; ``movies.csv`` says why in ``reason``.

Calibration: the manifest row beats the file's metadata, which beats the batch's fallback
(``--pixel-size``/``--frame-interval``), decided where every entry point decides it
(:func:`yoloxsp.analysis.inputs.open_input`).

Errors of one movie are returned as a failed :class:`MovieResult` naming the manifest row, so the
engine sees a finished task and the batch goes on; only a dead worker makes the engine retry.
Each worker process opens the model once (one ONNX Runtime session) and reuses it for every movie.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..analysis.inputs import GIVEN, MovieInput, check_positive, open_input
from ..errors import InputError, OutputExistsError
from ..io.atomic import atomic_path
from ..movie import Settings
from .manifest import MovieEntry

DONE_MARKER = "done.json"
STAGING_TAG = ".partial-"
TRACKMATE_NAME = "tracks.trackmate.xml"
UNITS = ("um", "px")
FINGERPRINT_BYTES = 1 << 20  # hashed at each end of a movie file
# What changes a movie's outputs: the model and every analysis setting (threads and units do not;
# the calibration fallbacks are checked by where the values came from, see _same_calibration)
RESULT_SETTINGS = ("model", "backend", *(f.name for f in fields(Settings)))
CALIBRATION = ("pixel_size", "frame_interval")
# what previous() finds in a movie's output folder
NEW, CURRENT, STALE, FOREIGN = "new", "current", "stale", "foreign"


@dataclass(frozen=True)
class JobSettings:
    """How every movie of a batch is analysed (picklable: it travels to the workers): the model, how
    it runs, the summary's units, the calibration fallbacks, and the analysis :class:`Settings`
    that ``predict`` takes too."""

    model: str = "yoloxsp"
    backend: str = "auto"
    threads: Optional[int] = None        # per worker; None: the backend's default (all cores)
    units: str = "um"                    # um: a movie without pixel size and frame interval fails
    pixel_size: Optional[float] = None   # when neither the manifest row nor the file gives one
    frame_interval: Optional[float] = None
    analysis: Settings = Settings()

    def __post_init__(self) -> None:
        """Refused here, before any movie is opened."""
        if self.units not in UNITS:
            raise InputError(f"unknown units {self.units!r}; choose one of {UNITS}")
        check_positive(self.pixel_size, "--pixel-size")
        check_positive(self.frame_interval, "--frame-interval")

    def record(self) -> Dict[str, object]:
        """What ``done.json`` records: every field, the analysis settings beside the others, as JSON
        reads them back (a tuple becomes a list)."""
        flat = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "analysis"}
        return json.loads(json.dumps({**flat, **asdict(self.analysis)}))


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


def fingerprint(path: Path) -> dict:
    """What tells a movie from a changed one without reading it all: for a file its size,
    modification time (ns) and the SHA-1 of its first and last :data:`FINGERPRINT_BYTES`; for a
    folder of images the SHA-1 of its files' names, sizes and modification times."""
    if path.is_dir():
        listing = "\n".join(f"{p.name}\t{p.stat().st_size}\t{p.stat().st_mtime_ns}"
                            for p in sorted(path.iterdir()) if p.is_file())
        return {"sha1_listing": hashlib.sha1(os.fsencode(listing)).hexdigest()}
    stat = path.stat()
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        digest.update(handle.read(FINGERPRINT_BYTES))
        handle.seek(max(FINGERPRINT_BYTES, stat.st_size - FINGERPRINT_BYTES))
        digest.update(handle.read())
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha1_ends": digest.hexdigest()}


def previous(final: Path, entry: MovieEntry, settings: JobSettings) -> Tuple[str, str]:
    """What ``final`` holds for ``entry``: ``NEW`` (nothing), ``CURRENT`` (this movie's result
    under these settings), ``STALE`` (this movie's, but the movie or the settings changed) or
    ``FOREIGN`` (not this movie's); with the reason for the last two."""
    if not final.exists():
        return NEW, ""
    if not is_done(final):
        return FOREIGN, f"{final} exists but holds no {DONE_MARKER} (not written by a batch)"
    try:
        marker = json.loads((final / DONE_MARKER).read_text())
    except (OSError, ValueError) as exc:
        return FOREIGN, f"{final / DONE_MARKER} cannot be read ({exc})"
    if marker.get("path") != str(entry.path):
        return FOREIGN, f"{final} holds the results of another movie ({marker.get('path')})"
    try:
        now = fingerprint(entry.path)
    except OSError as exc:
        return STALE, f"cannot fingerprint the movie ({exc})"
    changes = changed(marker, now, entry, settings)
    return (STALE, "; ".join(changes)) if changes else (CURRENT, "")


def changed(marker: dict, now: dict, entry: MovieEntry, settings: JobSettings) -> List[str]:
    """Why the result recorded by ``marker`` is not the one ``entry`` (whose fingerprint is
    ``now``) would give under ``settings``; empty when it is."""
    reasons = [] if marker.get("fingerprint") == now else ["the movie changed since it was analysed"]
    recorded, current = marker.get("settings", {}), settings.record()
    reasons += [f"{key} was {recorded.get(key)!r}, now {current[key]!r}"
                for key in RESULT_SETTINGS if recorded.get(key) != current[key]]
    for quantity in CALIBRATION:
        then = marker.get("calibration", {}).get(quantity, {})
        if not _same_calibration(then, getattr(entry, quantity), getattr(settings, quantity)):
            reasons.append(f"{quantity} was {then.get('value')} (from {then.get('from')})")
    return reasons


def _same_calibration(then: dict, row: Optional[float], fallback: Optional[float]) -> bool:
    """Whether a value recorded as ``{"value", "from"}`` is what :func:`open_input` decides now. A
    value from the metadata stays right while the file is unchanged, so a new fallback (given to
    rescue the movies without metadata) does not make every other movie run again."""
    if row:
        return then == {"value": row, "from": "manifest"}
    if then.get("from") == "metadata":
        return True
    return then.get("from") in ("fallback", "none") and then.get("value") == fallback


def analyse_entry(entry: MovieEntry, out_root: str, settings: JobSettings, overwrite: bool = False) -> MovieResult:
    """Analyse one movie into ``out_root/<entry.name>`` unless it holds this movie's current
    result (see module docstring); never raises for a problem of the movie itself."""
    final = Path(out_root) / entry.name
    result = MovieResult(entry.row, str(entry.path), entry.condition, entry.name, "done",
                         worker=f"{socket.gethostname()}:{os.getpid()}")
    staging = final.with_name(f"{entry.name}{STAGING_TAG}{uuid.uuid4().hex[:12]}")
    started = time.perf_counter()
    try:
        verdict, why = previous(final, entry, settings)
        if verdict == CURRENT and not overwrite:
            result.status = "skipped"
            return result
        if verdict == FOREIGN and not overwrite:
            raise OutputExistsError(f"{why}; remove it or use --overwrite")
        result.reason = f"analysed again: {why}" if verdict == STALE else ""
        facts = _analyse(entry, staging, settings)
        result.seconds = time.perf_counter() - started
        _write_marker(staging, entry, settings, result, facts)
        if not _publish(staging, final, replace=overwrite or verdict == STALE):
            result.status, result.reason = "skipped", "another attempt finished it first"
    except Exception as exc:  # one movie's failure must not stop the batch
        shutil.rmtree(staging, ignore_errors=True)
        result.status = "failed"
        result.reason = str(exc) if isinstance(exc, (InputError, FileExistsError)) else f"{type(exc).__name__}: {exc}"
        result.seconds = time.perf_counter() - started
    return result


def _analyse(entry: MovieEntry, staging: Path, settings: JobSettings) -> dict:
    """Analyse into ``staging``; returns what ``done.json`` records about the movie. The
    fingerprint is taken first, so a movie changed during its analysis is analysed again."""
    from ..export.trackmate import write_trackmate
    from ..movie import analyse_movie

    before = fingerprint(entry.path)
    analysis_settings = settings.analysis
    movie = open_input(entry.path, pixel_size=entry.pixel_size, frame_interval=entry.frame_interval,
                       fallback_pixel_size=settings.pixel_size, fallback_frame_interval=settings.frame_interval,
                       channels=analysis_settings.channels, axes=analysis_settings.axes, scene=analysis_settings.scene)
    missing = [q for q in CALIBRATION if not getattr(movie, q)]
    if settings.units == "um" and missing:
        raise InputError(f"no {' or '.join(missing)} in the manifest row, the file's metadata or the batch's "
                         "--pixel-size/--frame-interval, and the summary is in um and min (add the column(s) to the "
                         "manifest, give the fallback, or use --units px)", entry.path)
    analysis = analyse_movie(movie, staging, _predictor(settings), analysis_settings, progress=False)
    write_trackmate(staging / TRACKMATE_NAME, analysis.detections.to_dict("records"), entry.path,
                    analysis.frame_size, analysis.n_frames, analysis.pixel_size, analysis.frame_interval,
                    analysis.tracks.to_dict("records"))
    return {"fingerprint": before, "n_frames": analysis.n_frames, "n_tracks": len(analysis.tracks),
            "pixel_size": analysis.pixel_size, "frame_interval": analysis.frame_interval,
            "calibration": {q: _calibration_record(movie, q) for q in CALIBRATION}}


def _calibration_record(movie: MovieInput, quantity: str) -> Dict[str, object]:
    """``{"value", "from"}`` for ``done.json``; a value given for this movie came from its manifest row."""
    source = getattr(movie, f"{quantity}_from")
    return {"value": getattr(movie, quantity), "from": "manifest" if source == GIVEN else source}


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
              "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "settings": settings.record()}
    with atomic_path(staging / DONE_MARKER) as partial:
        partial.write_text(json.dumps(marker, indent=1))


def _publish(staging: Path, final: Path, replace: bool) -> bool:
    """Rename the finished staging folder to ``final``; False (and the copy discarded) when another
    attempt published first. With ``replace`` an earlier result is replaced."""
    if replace and final.exists():
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
