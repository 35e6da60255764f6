"""Which movies a batch analyses: a CSV manifest, a folder of movie files, or a glob.

A manifest has the header ``path,condition[,pixel_size,frame_interval]`` (relative paths are read
from the manifest's folder). A problem with one row (missing file, empty condition, a value that
is not a positive number, a movie listed twice) is returned with its row number so that the batch
reports it and runs the other rows; a problem with the manifest as a whole (no ``path`` column, a
column the batch does not know, which would otherwise be silently ignored) raises
:class:`InputError`. For a folder or a glob, the condition is the name of each movie's folder.

Every movie's path is resolved to an absolute path here, so that a worker started in another
folder (a Dask worker) finds it. Its output folder name is ``<stem>-<8 hex>``: the file name
without its extension (a folder movie: the folder's name), then the first 8 hex digits of the
SHA-1 of the resolved absolute path (``cell01-3fa4c2d1``). The name depends on that path alone:
two ``cell01.tif`` in ``wt/`` and ``mut/`` get two folders, even in two batches run into one
output folder, and adding or removing manifest rows never renames another movie's folder. A
movie moved to another folder is another path, hence a new folder (and a new analysis).
"""
from __future__ import annotations

import csv
import glob
import hashlib
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ..errors import InputError, PathLike
from ..io.movies import MICROSCOPE_SUFFIXES, TIFF_SUFFIXES, VIDEO_SUFFIXES

MANIFEST_COLUMNS = ("path", "condition", "pixel_size", "frame_interval")
MOVIE_SUFFIXES = TIFF_SUFFIXES + MICROSCOPE_SUFFIXES + VIDEO_SUFFIXES


@dataclass(frozen=True)
class MovieEntry:
    """One movie of a batch; ``row`` is the manifest line (1 = header) or the position in a folder/glob."""

    row: int
    path: Path
    condition: str
    pixel_size: Optional[float] = None
    frame_interval: Optional[float] = None
    name: str = ""

    @property
    def where(self) -> str:
        return f"row {self.row} ({self.path})"


@dataclass(frozen=True)
class RowProblem:
    """A manifest row that cannot run, and why."""

    row: int
    path: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row} ({self.path or 'no path'}): {self.reason}"


def read_movies(spec: PathLike) -> Tuple[List[MovieEntry], List[RowProblem]]:
    """The movies named by ``spec`` (a ``.csv`` manifest, a folder, or a glob pattern), each with its
    absolute path and output name, and the rows that cannot run."""
    text = str(spec)
    path = Path(spec)
    if path.suffix.lower() == ".csv":
        if not path.is_file():
            raise InputError("manifest not found", path)
        entries, problems = _read_manifest(path)
    elif path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in MOVIE_SUFFIXES)
        if not files:
            raise InputError(f"folder holds no movie files ({', '.join(MOVIE_SUFFIXES)})", path)
        entries, problems = [MovieEntry(i, p.resolve(), path.resolve().name) for i, p in enumerate(files, 1)], []
    elif glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise InputError("the pattern matches no file", text)
        entries, problems = [MovieEntry(i, p.resolve(), p.resolve().parent.name) for i, p in enumerate(files, 1)], []
    else:
        raise InputError("not a manifest (.csv), a folder of movies or a glob pattern", path)
    return _named(entries), problems


def _read_manifest(path: Path) -> Tuple[List[MovieEntry], List[RowProblem]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in (reader.fieldnames or [])]
        if "path" not in header or "condition" not in header:
            raise InputError(f"the header must name the columns {', '.join(MANIFEST_COLUMNS)} (path and condition "
                             f"required); found {', '.join(header) or 'nothing'}", path, line=1)
        unknown = [name for name in header if name not in MANIFEST_COLUMNS]
        if unknown:
            raise InputError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(MANIFEST_COLUMNS)}",
                             path, line=1)
        reader.fieldnames = header
        entries, problems, seen = [], [], {}
        for item in reader:
            row = reader.line_num
            entry, reason = _parse_row(item, row, path.parent, len(header))
            if entry is not None and entry.path in seen:
                entry, reason = None, f"the movie is already listed in row {seen[entry.path]}"
            if entry is None:
                problems.append(RowProblem(row, (item.get("path") or "").strip(), reason))
            else:
                seen[entry.path] = row
                entries.append(entry)
    if not entries and not problems:
        raise InputError("the manifest lists no movie", path)
    return entries, problems


def _parse_row(item: Dict[Optional[str], object], row: int, base: Path, n_columns: int
               ) -> Tuple[Optional[MovieEntry], str]:
    if item.get(None):
        return None, f"{n_columns + len(item[None])} cells but the header has {n_columns} columns"
    cells = {k: (v or "").strip() for k, v in item.items() if k is not None}
    if not cells.get("path"):
        return None, "empty path"
    movie = (base / Path(cells["path"]).expanduser()).resolve()  # an absolute path replaces base
    if not movie.exists():
        return None, f"movie not found: {movie}"
    if not cells.get("condition"):
        return None, "empty condition"
    numbers = {}
    for column in ("pixel_size", "frame_interval"):
        text = cells.get(column, "")
        if not text:
            numbers[column] = None
            continue
        try:
            value = float(text)
        except ValueError:
            return None, f"{column} {text!r} is not a number"
        if not (math.isfinite(value) and value > 0):
            return None, f"{column} must be a positive number (got {text})"
        numbers[column] = value
    return MovieEntry(row, movie, cells["condition"], numbers["pixel_size"], numbers["frame_interval"]), ""


def _named(entries: List[MovieEntry]) -> List[MovieEntry]:
    """Entries with their output folder names (see the module docstring)."""
    return [replace(entry, name=output_name(entry.path)) for entry in entries]


def output_name(path: Path) -> str:
    """``<stem>-<8 hex of the SHA-1 of the absolute path>``: readable, and the same for the same
    movie whatever else the batch holds."""
    absolute = path.resolve()
    digest = hashlib.sha1(os.fsencode(str(absolute))).hexdigest()[:8]
    return f"{absolute.name if absolute.is_dir() else absolute.stem}-{digest}"
