"""Files that ship with the repository but not in the installed package: the demo app, the model
card and its figures, the bundled sample. Commands that need them run from a clone."""
from __future__ import annotations

from pathlib import Path

from .errors import InputError

CLONE_ROOT = Path(__file__).resolve().parents[2]


def clone_file(relative: str, why: str) -> Path:
    """``CLONE_ROOT / relative``, or a clear error saying this needs a clone (``why``: for what)."""
    path = CLONE_ROOT / relative
    if not path.exists():
        raise InputError(f"{why} ships with the repository, not in this install (run it from a clone of yoloxsp)",
                         path)
    return path
