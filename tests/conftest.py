"""Shared fixtures: small synthetic movies written by the real generator to real files."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from yoloxsp.synth import SynthConfig, write_movie

SMALL = SynthConfig(width=192, height=160, frames=6, seed=7, pixel_size=0.15, spindles=3,
                    jpeg_quality=None, debris=1)


@pytest.fixture(scope="session")
def small_movie(tmp_path_factory) -> Path:
    """A 6-frame 192x160 movie with 3 spindle tracks (read-only: copy before changing it)."""
    return write_movie(tmp_path_factory.mktemp("movie") / "task1", SMALL)


@pytest.fixture
def movie_copy(small_movie, tmp_path) -> Path:
    """A private, writable copy of :func:`small_movie`."""
    return Path(shutil.copytree(small_movie, tmp_path / "task"))
