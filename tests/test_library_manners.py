"""yoloxsp as a library inside someone else's process: it leaves their matplotlib backend
alone, shows its own bugs as bugs, and reads nothing from a clone's layout."""
from __future__ import annotations

import ast
import io
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

import yoloxsp
from yoloxsp.integrations.hub import demo_app_file

pytestmark = pytest.mark.core

PACKAGE = Path(yoloxsp.__file__).resolve().parent


def _python(code: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, **options)


def test_plotting_leaves_the_users_matplotlib_backend_and_pyplot_alone(tmp_path):
    code = f"""
import sys
import matplotlib
matplotlib.use("svg")  # the user's choice, as a notebook or GUI would make it
from yoloxsp.export.plots import new_figure, plot_lengths
rows = [{{"track_id": 0, "frame": t, "length_px": 10.0 + t, "length_um": 1.0 + t / 10}} for t in range(4)]
plot_lengths(rows, {str(tmp_path / 'lengths.png')!r}, frame_interval=30.0)
figure = new_figure(figsize=(2, 2))  # every other figure of yoloxsp (batch summaries, results' plot) starts here
figure.subplots().plot([0, 1], [1, 0])
figure.savefig({str(tmp_path / 'other.png')!r})
print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules)
"""
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["svg", "False"]
    assert (tmp_path / "lengths.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "other.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_internal_error_keeps_its_traceback_and_user_errors_stay_one_line(tmp_path):
    bug = _python("import sys\nfrom yoloxsp.cli import inspect_data, main\n"
                  "def broken(args):\n    raise ValueError('an internal bug')\n"
                  "inspect_data.run = broken\nsys.exit(main.main(['inspect', '.']))")
    assert bug.returncode == 1
    assert "Traceback" in bug.stderr and "ValueError: an internal bug" in bug.stderr
    user = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "eval", "--model", "yoloxsp", "--data",
                           str(tmp_path), "--pixel-size", "-1"], capture_output=True, text=True, timeout=300)
    assert user.returncode == 2 and "Traceback" not in user.stderr
    assert user.stderr.strip() == "error: --pixel-size must be positive (got -1.0)"


def _levels_up(line: str) -> int:
    """How many folders a ``__file__``-based path on this line climbs (the file's own folder is 1)."""
    parents = re.search(r"\.parents\[(\d+)\]", line)
    return (int(parents.group(1)) + 1 if parents else 0) + len(re.findall(r"\.parent(?!\w)", line))


def test_no_module_reads_a_path_outside_the_installed_package():
    escapes = []
    for path in PACKAGE.rglob("*.py"):
        depth = len(path.relative_to(PACKAGE).parts)  # 1 for yoloxsp/x.py: one .parent reaches the package
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "__file__" in line and _levels_up(line.split("#")[0].strip()) > depth:
                escapes.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert not escapes, escapes
    # the check sees what it must refuse
    assert _levels_up("ROOT = Path(__file__).resolve().parents[2]") == 3
    assert _levels_up("ROOT = Path(__file__).parent.parent.parent / 'tools'") == 3


def test_the_demo_app_is_package_data_found_through_importlib_resources():
    with demo_app_file() as app:
        assert app.resolve().parent == PACKAGE / "integrations" / "hub"
        assert "def build_app" in app.read_text()


def test_an_install_without_a_clone_around_finds_its_data_and_says_what_it_lacks(tmp_path):
    """The package copied alone (as pip puts it into site-packages), run from a folder that is no clone."""
    site = tmp_path / "site-packages"
    shutil.copytree(PACKAGE, site / "yoloxsp", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    probe = _python("import yoloxsp\nfrom yoloxsp.integrations.hub import demo_app_file\n"
                    "from yoloxsp.model.resolve import model_path\n"
                    "with demo_app_file() as app:\n    print(yoloxsp.__file__, app, model_path('yoloxsp'), sep='\\n')",
                    cwd=elsewhere, env=env)
    assert probe.returncode == 0, probe.stderr
    assert all(line.startswith(str(site)) for line in probe.stdout.split()), probe.stdout
    publish = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "publish", "yoloxsp", "--repo-id", "a/b",
                              "--dry-run"], capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300)
    assert publish.returncode == 2 and "Traceback" not in publish.stderr
    assert "no model card: give --card" in publish.stderr and "model_card/README.md" in publish.stderr


STALE = re.compile(r"/work/|/tmp/|/home/|\.\./shared|NOTES\.md"  # paths outside the repository
                   r"|\d(\.\d+)? ?(ms|frames/s|movies/min|it/s)\b|\d(\.\d+)?x (slower|faster)"  # speed figures
                   r"|\bon \d+ cores|\d-core|\d+ s on\b")


def _prose(path: Path):
    """(line, text) of every comment and docstring of a module: where figures go stale unseen."""
    source = path.read_text()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                yield node.body[0].lineno, docstring


def test_docstrings_and_comments_carry_no_benchmark_figures_or_outside_paths():
    stale = [f"{path.relative_to(PACKAGE)}:{line}: {STALE.search(text).group(0)!r}"
             for path in sorted(PACKAGE.rglob("*.py")) for line, text in _prose(path) if STALE.search(text)]
    assert not stale, stale
    assert STALE.search("on 2 cores at 512x512 that is 18 ms per frame")  # the check sees what it must refuse
    assert STALE.search("defaults follow ../shared/NOTES.md")
