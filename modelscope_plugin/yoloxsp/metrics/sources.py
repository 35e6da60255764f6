"""What ``yoloxsp eval`` and the model card score on: a CVAT export, or the named synthetic
validation set, regenerated from its seeds so that anyone can re-measure a card's numbers."""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

from ..data import FrameRecord, read_cvat
from ..errors import PathLike
from ..io import open_movie

SYNTHETIC_VALIDATION = "synthetic:validation"


@dataclass
class EvalSet:
    records: List[FrameRecord]
    pixel_sizes: Optional[List[float]]  # one per frame; None when any frame's is unknown


@contextmanager
def open_eval_set(source: str, pixel_size: Optional[float] = None, root: Optional[PathLike] = None
                  ) -> Iterator[EvalSet]:
    """Frames and pixel sizes of ``source``: ``synthetic:validation`` or a CVAT export (a path,
    relative to ``root`` if given). Without ``pixel_size``, each task's comes from the
    ``stack.tif`` beside its images when there is one (the layout ``yoloxsp synth`` writes)."""
    if source == SYNTHETIC_VALIDATION:
        from ..synth.sets import write_validation_set

        with tempfile.TemporaryDirectory(prefix="yoloxsp-validation-") as folder:
            write_validation_set(folder)
            yield _eval_set(Path(folder), pixel_size)
        return
    path = Path(source)
    yield _eval_set(path if root is None or path.is_absolute() else Path(root) / path, pixel_size)


def _eval_set(path: Path, pixel_size: Optional[float]) -> EvalSet:
    if pixel_size is not None and pixel_size <= 0:
        raise ValueError(f"pixel size must be positive (got {pixel_size})")
    records = read_cvat(path).records
    if pixel_size is not None:
        return EvalSet(records, [pixel_size] * len(records))
    stacks = {}
    for record in records:
        stack = record.image_path.parent.parent / "stack.tif"
        if stack not in stacks:
            stacks[stack] = open_movie(stack).pixel_size if stack.is_file() else None
    sizes = [stacks[r.image_path.parent.parent / "stack.tif"] for r in records]
    return EvalSet(records, sizes if all(s is not None for s in sizes) else None)
