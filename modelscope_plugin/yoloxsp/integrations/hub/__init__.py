"""The model on the hubs: the model card with measured metrics (``card``), the upload folder and its
checks (``assemble``), the upload to ModelScope or Hugging Face (``upload``), and the demo app a
model repository serves (``app``, which ``yoloxsp demo`` runs too).

Everything here works from an installed package: the demo app is package data found through
:mod:`importlib.resources`, and the card and the files it references are the user's (a model
folder's README.md, or ``--card``), never read from a clone's layout.
"""
from __future__ import annotations

from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

APP_RESOURCE = "app.py"


@contextmanager
def demo_app_file() -> Iterator[Path]:
    """The demo app's source file, as a real path for as long as the context lasts (an install from
    a zip would otherwise have none): ``yoloxsp demo`` runs it, ``yoloxsp publish`` copies it."""
    with resources.as_file(resources.files(__name__) / APP_RESOURCE) as path:
        yield path
