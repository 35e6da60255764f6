"""What a short run loads, and what the core install may leave out.

Start-up of ``yoloxsp predict`` is mostly imports; these tests keep the generator and torch out of
it. The core environment (``tools/setup_env.sh core``) drops requirements
that no core path imports (``tools/core-overrides.txt``); the last test runs those paths (the
torch backend, the ONNX export, the microscope readers) and fails as soon as one of them needs a
dropped package. Each probe runs in a fresh interpreter, so it sees every module the run loaded."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "res" / "sample" / "stack.tif"


def _loaded_after(code: str, watched) -> list:
    probe = f"import sys\n{code}\nprint(sorted(m for m in {tuple(watched)!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_building_the_command_line_loads_no_generator_and_no_tables():
    watched = ("yoloxsp.synth.movie", "yoloxsp.data.cvat", "scipy.optimize", "pandas", "trackpy", "torch")
    assert _loaded_after("import yoloxsp.cli.main as m; m.build_parser()", watched) == []


def test_predict_on_a_movie_loads_no_torch_and_no_generator(tmp_path):
    out = tmp_path / "out"
    loaded = _loaded_after(f"from yoloxsp.cli.main import main\nassert main(['predict', {str(SAMPLE)!r}, '--out', "
                           f"{str(out)!r}]) == 0", ("trackpy", "torch", "modelscope", "yoloxsp.synth.movie"))
    assert loaded == []
    # the movie's spindles were linked into tracks
    assert (out / "tracks.csv").read_text().count("\n") > 1


def test_core_paths_need_none_of_the_requirements_the_core_install_drops(tmp_path):
    dropped = [line.split(";")[0].strip() for line in (ROOT / "tools" / "core-overrides.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    assert {"s3fs", "cmake"} <= set(dropped)
    code = ("import numpy as np\n"
            "from yoloxsp.model.resolve import open_backend\n"
            "from yoloxsp.model.backends import Predictor\n"
            "from yoloxsp.model.onnx_export import export_onnx\n"
            "import bioio_czi, bioio_dv, bioio_lif, bioio_nd2\n"
            "backend = open_backend('yoloxsp', 'torch')\n"
            "Predictor(backend)([np.zeros((96, 128, 3), np.uint8)])\n"
            f"export_onnx(backend.model, {str(tmp_path / 'model.onnx')!r})\n")
    assert _loaded_after(code, dropped + ["botocore", "aiobotocore"]) == []
    assert (tmp_path / "model.onnx").stat().st_size > 0
