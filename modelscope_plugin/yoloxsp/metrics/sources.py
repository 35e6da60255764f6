"""What ``yoloxsp eval``, the model card and the trainer's evaluation score on: a CVAT export,
or a named synthetic set regenerated from its seeds so that anyone can re-measure a number.

Named synthetic sets: ``synthetic:validation`` (the bundled model's validation set, every look)
and ``synthetic:look:NAME`` (held-out movies of one look of :mod:`yoloxsp.synth.looks`).
"""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from ..analysis.inputs import check_positive, decide
from ..data import CvatLabels, FrameRecord, read_cvat
from ..errors import InputError, PathLike
from ..io import open_movie

SYNTHETIC_VALIDATION = "synthetic:validation"
LOOK_PREFIX = "synthetic:look:"


@dataclass
class EvalSet:
    records: List[FrameRecord]
    pixel_sizes: Optional[List[float]]  # one per frame; None when any frame's is unknown


def is_synthetic_set(source: str) -> bool:
    return source == SYNTHETIC_VALIDATION or source.startswith(LOOK_PREFIX)


def write_synthetic_set(source: str, folder: PathLike) -> Path:
    """Generate the named synthetic set into ``folder`` (a folder of CVAT tasks)."""
    from ..synth.looks import LOOKS, UNSEEN_LOOKS
    from ..synth.sets import write_look_set, write_validation_set

    looks = sorted({**LOOKS, **UNSEEN_LOOKS})
    if source == SYNTHETIC_VALIDATION:
        write_validation_set(folder)
    elif source.startswith(LOOK_PREFIX) and source[len(LOOK_PREFIX):] in looks:
        write_look_set(folder, source[len(LOOK_PREFIX):])
    else:
        raise InputError(f"unknown synthetic set {source!r}: use {SYNTHETIC_VALIDATION} or "
                         f"{LOOK_PREFIX}NAME with NAME one of {', '.join(looks)}")
    return Path(folder)


@contextmanager
def open_eval_set(source: str, pixel_size: Optional[float] = None, root: Optional[PathLike] = None
                  ) -> Iterator[EvalSet]:
    """Frames and pixel sizes of ``source``: a named synthetic set or a CVAT export (a path,
    relative to ``root`` if given). Without ``pixel_size``, each task's comes from the
    ``stack.tif`` beside its images when there is one (the layout ``yoloxsp synth`` writes)."""
    if is_synthetic_set(source):
        with tempfile.TemporaryDirectory(prefix="yoloxsp-eval-") as folder:
            yield read_eval_set(write_synthetic_set(source, folder), pixel_size)
        return
    path = Path(source)
    yield read_eval_set(path if root is None or path.is_absolute() else Path(root) / path, pixel_size)


def read_eval_set(path: PathLike, pixel_size: Optional[float] = None,
                  labels: Optional[CvatLabels] = None) -> EvalSet:
    """Records of a CVAT export with one pixel size per frame (``pixel_size``, or each task's
    ``stack.tif`` metadata)."""
    check_positive(pixel_size, "pixel size")
    records = read_cvat(path, labels or CvatLabels()).records
    recorded: Dict[Path, Optional[float]] = {}  # each stack's metadata, read once and only when needed

    def size_of(record: FrameRecord) -> Optional[float]:
        stack = record.image_path.parent.parent / "stack.tif"
        if pixel_size is None and stack not in recorded:
            recorded[stack] = open_movie(stack).pixel_size if stack.is_file() else None
        return decide(pixel_size, recorded.get(stack))[0]  # as every entry point decides it

    sizes = [size_of(r) for r in records]
    return EvalSet(records, sizes if all(s is not None for s in sizes) else None)
