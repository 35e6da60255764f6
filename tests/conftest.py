"""Shared fixtures (small synthetic movies written by the real generator to real files) and the test
tiers: each test file declares one tier with ``pytestmark = pytest.mark.<tier>`` (see pytest.ini);
a file whose tier needs a stack that is not installed is left out of collection, so that the
core tests run where only the core install is (``pytest -m core``)."""
from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

from yoloxsp.synth import SynthConfig, write_movie

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


TOOLS = Path(__file__).resolve().parents[1] / "tools"


@pytest.fixture(scope="session")
def tool():
    """``tool("name")``: the script ``tools/name.py`` as a module (tools are scripts, not a package),
    loaded once per session. Registered in ``sys.modules`` under a name of its own, as an import
    would, so that what needs its module there (a dataclass) works."""
    loaded = {}

    def load(name: str):
        if name not in loaded:
            spec = importlib.util.spec_from_file_location(f"yoloxsp_tool_{name}", TOOLS / f"{name}.py")
            loaded[name] = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(loaded[name])
        return loaded[name]

    return load


@pytest.fixture(scope="session")
def small_movie(tmp_path_factory) -> Path:
    """A 6-frame 192x160 movie with 3 spindle tracks (read-only: copy before changing it)."""
    return write_movie(tmp_path_factory.mktemp("movie") / "task1", SMALL)


@pytest.fixture
def movie_copy(small_movie, tmp_path) -> Path:
    """A private, writable copy of :func:`small_movie`."""
    return Path(shutil.copytree(small_movie, tmp_path / "task"))
