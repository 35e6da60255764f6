"""The ``yoloxsp`` console script as a user runs it."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.core


def _run(*args):
    return subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", *args], capture_output=True, text=True)


def test_help_lists_subcommands():
    out = _run("--help")
    assert out.returncode == 0
    for command in ("synth", "inspect"):
        assert command in out.stdout


HEAVY = ("modelscope", "transformers", "datasets", "torch", "torchvision", "trackpy", "matplotlib")


def _modules_loaded_after(code: str):
    probe = f"import sys\n{code}\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_start_up_loads_only_what_the_command_needs():
    # Starting the CLI loads none of the heavy libraries; the ModelScope registrations wait for modelscope.
    assert _modules_loaded_after("import yoloxsp.cli.main as m; m.build_parser()") == []
    # Inference on ONNX Runtime (the bundled model's default) imports neither torch nor modelscope.
    loaded = _modules_loaded_after("from yoloxsp.model.resolve import open_backend\n"
                                   "from yoloxsp.model.backends import Predictor\n"
                                   "import numpy as np\n"
                                   "Predictor(open_backend('yoloxsp'))(np.zeros((64, 64, 3), np.uint8))\n"
                                   "import yoloxsp.movie")
    assert "torch" not in loaded and "modelscope" not in loaded


def test_synth_then_inspect_with_coco(tmp_path):
    out = _run("synth", str(tmp_path / "m"), "--frames", "3", "--size", "160", "160", "--pixel-size", "0.15",
               "--spindles", "2", "--seed", "11", "--quiet")
    assert out.returncode == 0, out.stderr
    assert "frames/s" in out.stdout
    out = _run("inspect", str(tmp_path / "m"), "--coco", str(tmp_path / "m.json"))
    assert out.returncode == 0, out.stderr
    assert "3 frames" in out.stdout and "0 problem(s)" in out.stdout
    coco = json.loads((tmp_path / "m.json").read_text())
    assert len(coco["images"]) == 3 and coco["annotations"]


def test_bad_input_gives_one_clear_line_and_exit_2(tmp_path):
    (tmp_path / "annotations.xml").write_text("<annotations><track")
    out = _run("inspect", str(tmp_path))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("error: ") and "annotations.xml, line 1: malformed XML" in out.stderr


def test_synth_refuses_to_overwrite(tmp_path):
    args = ("synth", str(tmp_path / "m"), "--frames", "1", "--size", "160", "160", "--pixel-size", "0.15",
            "--spindles", "1", "--quiet")
    assert _run(*args).returncode == 0
    again = _run(*args)
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_set_options_parse_json_values_and_name_a_malformed_item():
    from yoloxsp.cli.train import parse_set_options
    from yoloxsp.errors import InputError

    assert parse_set_options(["train.optimizer.lr=0.001", "train.hooks=[{\"type\": \"EvaluationHook\"}]",
                              "work_dir=runs/a"]) == {
        "train.optimizer.lr": 0.001, "train.hooks": [{"type": "EvaluationHook"}], "work_dir": "runs/a"}
    with pytest.raises(InputError, match="'lr0.1'"):
        parse_set_options(["lr0.1"])
