"""Shared fixtures (small synthetic movies written by the real generator to real files) and the test
tiers: each test file declares one tier with ``pytestmark = pytest.mark.<tier>`` (see pytest.ini);
a file whose tier needs a stack that is not installed is left out of collection, so that the
core tests run where only the core install is (``pytest -m core``)."""
from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from yoloxsp.synth import SynthConfig, write_movie
from yoloxsp.synth.looks import look_config
from yoloxsp.synth.movie import generate
from yoloxsp.synth.sets import LOOK_SET_SEED

# Tier -> the top-level module whose absence means the tier's stack is not installed.
TIER_NEEDS: Dict[str, Optional[str]] = {"core": None, "modelscope": "modelscope", "easycv": "easycv",
                                        "browser": "playwright"}
TIER_LINE = re.compile(r"^pytestmark = pytest\.mark\.(\w+)$", re.MULTILINE)
_not_collected: Dict[str, str] = {}  # file -> why (the hook runs once per argument)


def pytest_ignore_collect(collection_path: Path, config) -> Optional[bool]:
    if not (collection_path.name.startswith("test_") and collection_path.suffix == ".py"):
        return None
    tier = TIER_LINE.search(collection_path.read_text(encoding="utf-8"))
    module = TIER_NEEDS.get(tier.group(1)) if tier else None
    if module and importlib.util.find_spec(module) is None:
        _not_collected[collection_path.name] = f"{tier.group(1)}: {module} is not installed"
        return True
    return None


def pytest_collection_modifyitems(config, items) -> None:
    untiered = sorted({item.nodeid.split("::")[0] for item in items
                       if sum(mark.name in TIER_NEEDS for mark in item.iter_markers()) != 1})
    if untiered:
        raise pytest.UsageError("every test file needs exactly one tier marker (`pytestmark = pytest.mark.X`, "
                                f"X in {sorted(TIER_NEEDS)}): {', '.join(untiered)}")


def pytest_terminal_summary(terminalreporter) -> None:
    if _not_collected:
        terminalreporter.write_line("not collected: " + "; ".join(f"{name} ({why})" for name, why in
                                                               sorted(_not_collected.items())))


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


@pytest.fixture(scope="session")
def dead_cell_frames() -> Tuple[float, List[Tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """``(pixel size, [(raw frame, the same with a dead cell, true boxes), ...])``: 4 frames of a
    held-out raw two-colour movie of the generator (tubulin first, as the user loads it), and the
    same frames with a round blob 1.5 um across and 20 times as bright as their brightest spindle
    pasted in both channels where no spindle is. At this movie's pixel size the blob is too
    narrow to be a blob at the 0.06 um/px assumed without one."""
    config = look_config("two-colour-raw", LOOK_SET_SEED + 2, 4)
    frames = []
    for frame in generate(config):
        raw = np.moveaxis(frame.counts[list(config.tubulin_first)], 0, -1)
        truth = np.array([row.spindle.box for row in frame.truth], float).reshape(-1, 4)
        height, width = raw.shape[:2]
        centres = (truth[:, :2] + truth[:, 2:]) / 2
        corners = [(30, 30), (width - 30, 30), (30, height - 30), (width - 30, height - 30)]
        x, y = max(corners, key=lambda c: np.min(np.hypot(*(centres - np.array(c)).T)))
        assert np.min(np.hypot(*(centres - np.array((x, y))).T)) > 30
        peak = float(raw.max()) - float(np.median(raw))
        frames.append((raw, with_blob(raw, (x, y), 0.75 / config.pixel_size, 20 * peak), truth))
    return config.pixel_size, frames


def with_blob(frame: np.ndarray, centre: Tuple[float, float], radius_px: float, brightness: float) -> np.ndarray:
    """A 16-bit ``frame`` (H x W [x C]) with a round, slightly blurred blob of ``brightness`` counts
    above background at ``centre`` (x, y), in every channel: a dead cell."""
    rows, cols = np.mgrid[:frame.shape[0], :frame.shape[1]]
    disc = (cols - centre[0]) ** 2 + (rows - centre[1]) ** 2 <= radius_px ** 2
    blob = gaussian_filter(disc.astype(np.float32), 1.5) * brightness
    return np.clip(frame + (blob[..., None] if frame.ndim == 3 else blob), 0, 65535).astype(np.uint16)
