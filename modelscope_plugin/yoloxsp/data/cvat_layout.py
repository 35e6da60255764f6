"""Where the CVAT tasks of an export are: a task folder, a CVAT zip, or a folder of either.

Zips are unpacked once into a cache folder keyed by the archive's path, size and mtime,
atomically (a crash leaves no half-unpacked task) and safely (members may not escape the folder).
"""
from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path
from typing import List, Optional, Tuple

from ..errors import CvatFormatError, PathLike
from ..io.atomic import atomic_path
from ..io.natural import natural_key

ANNOTATION_NAMES = ("annotations.xml", "annotation.xml")


def find_tasks(source: Path, cache_dir: Optional[PathLike]) -> List[Tuple[Path, str]]:
    """``(task folder, task name)`` for every task in ``source``, in natural order."""
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise CvatFormatError("not a CVAT export: expected a folder or a zip file", source)
        return [(_task_root(_unzip(source, cache_dir), source), source.stem)]
    if _has_annotations(source):
        return [(source, source.name)]
    tasks = []
    for child in sorted(source.iterdir(), key=natural_key):
        if child.is_dir() and _has_annotations(child):
            tasks.append((child, child.name))
        elif child.is_file() and child.suffix.lower() == ".zip":
            tasks.append((_task_root(_unzip(child, cache_dir), child), child.stem))
    if not tasks:
        raise CvatFormatError("no CVAT task found: expected annotations.xml here or in sub-folders"
                              " (or CVAT zip files)", source)
    return tasks


def _has_annotations(folder: Path) -> bool:
    return any((folder / n).is_file() for n in ANNOTATION_NAMES)


def _task_root(unpacked: Path, archive: Path) -> Path:
    if _has_annotations(unpacked):
        return unpacked
    subdirs = [d for d in unpacked.iterdir() if d.is_dir() and _has_annotations(d)]
    if len(subdirs) == 1:
        return subdirs[0]
    raise CvatFormatError("zip holds no annotations.xml at its top level", archive)


def _unzip(archive: Path, cache_dir: Optional[PathLike]) -> Path:
    """Unpack ``archive`` once into a content-keyed cache folder (atomically, safely)."""
    stat = archive.stat()
    key = hashlib.sha1(f"{archive.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    cache = Path(cache_dir) if cache_dir else Path.home() / ".cache" / "yoloxsp" / "cvat"
    target = cache / f"{archive.stem}-{key}"
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(target) as staging, zipfile.ZipFile(archive) as zf:
            staging.mkdir()
            for member in zf.namelist():
                resolved = (staging / member).resolve()
                if not str(resolved).startswith(str(staging.resolve()) + os.sep) and resolved != staging.resolve():
                    raise CvatFormatError(f"zip member {member!r} points outside the archive", archive)
            zf.extractall(staging)
    except zipfile.BadZipFile as exc:
        raise CvatFormatError(f"corrupt zip file: {exc}", archive) from exc
    return target
