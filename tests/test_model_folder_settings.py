"""A model folder's configuration.json is the one source of its decoding settings, on both
backends: a user who edits them in a copy of the bundled folder changes what ``yoloxsp predict``
reports. Weights and ONNX files opened alone decode with the settings they carry."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable, List

import numpy as np
import pytest

from yoloxsp.cli.main import main as cli
from yoloxsp.errors import InputError
from yoloxsp.io import open_movie
from yoloxsp.model.backends import Predictor
from yoloxsp.model.config import YoloxSpConfig
from yoloxsp.model.config_file import CONFIGURATION_NAME
from yoloxsp.model.resolve import DEFAULT_MODEL_DIR, ONNX_NAME, WEIGHTS_NAME, open_backend

pytestmark = pytest.mark.core

SAMPLE = "res/sample/stack.tif"
BACKENDS = ["torch", "onnx"]


@pytest.fixture
def folder(tmp_path) -> Path:
    """A user's copy of the bundled model folder (configuration.json, weights, ONNX export)."""
    return Path(shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / "my_model"))


@pytest.fixture(scope="module")
def frames() -> List[np.ndarray]:
    return list(open_movie(SAMPLE).frames())


def rewrite(folder: Path, change: Callable[[dict], None]) -> None:
    """Apply ``change`` to the folder's configuration.json, as a user editing it by hand would."""
    path = folder / CONFIGURATION_NAME
    config = json.loads(path.read_text(encoding="utf-8"))
    change(config)
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")


def edit(folder: Path, **model) -> None:
    """Change settings of the folder's ``model`` section (``decode`` key by key; others replaced)."""
    def change(config: dict) -> None:
        config["model"]["decode"].update(model.pop("decode", {}))
        config["model"].update(model)

    rewrite(folder, change)


def splitting_threshold(scores: np.ndarray) -> float:
    """A score threshold that keeps some of ``scores`` and drops others, halfway across the widest
    gap among the middle half of them (far from every score, so both sides are unambiguous)."""
    ordered = np.sort(scores)
    middle = range(len(ordered) // 4, 3 * len(ordered) // 4)
    widest = max(middle, key=lambda i: ordered[i + 1] - ordered[i])
    return float(ordered[widest] + ordered[widest + 1]) / 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_predict_reports_what_the_folders_configuration_says(folder, frames, tmp_path, backend):
    shipped = np.concatenate([found.scores for found in Predictor(open_backend(str(folder), backend))(frames)])
    threshold = splitting_threshold(shipped)
    edit(folder, decode={"score_threshold": threshold})
    out = tmp_path / "predict"
    # --track-threshold 1: no candidate under the model's threshold continues a track, so every row
    # is a detection the folder's threshold let through
    assert cli(["predict", SAMPLE, "--out", str(out), "--model", str(folder), "--backend", backend,
                "--overlay", "none", "--track-threshold", "1"]) == 0
    lines = (out / "detections.csv").read_text().splitlines()
    header = lines[0].split(",")
    scores = np.array([float(line.split(",")[header.index("score")]) for line in lines[1:]])
    assert len(scores) == int((shipped >= threshold).sum()) < len(shipped)
    assert (scores >= round(threshold, 3)).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_decoding_setting_comes_from_the_folder(folder, frames, backend):
    edit(folder, decode={"max_detections": 1, "min_poles": 1})
    predictor = Predictor(open_backend(str(folder), backend))
    assert predictor.config.decode.min_poles == 1
    assert [len(found) for found in predictor(frames[:2])] == [1, 1]  # the sample shows three spindles a frame


@pytest.mark.parametrize("name", [WEIGHTS_NAME, ONNX_NAME])
def test_a_file_opened_alone_decodes_with_the_settings_it_carries(folder, frames, name):
    edit(folder, decode={"score_threshold": 1.01})  # nothing would pass in the folder
    backend = "auto" if name == ONNX_NAME else "torch"
    alone = Predictor(open_backend(str(folder / name), backend))
    assert alone.config.decode.score_threshold < 1
    assert len(alone(frames[:1])[0]) == 3
    # and so does a folder without a configuration.json, on the same backend
    (folder / CONFIGURATION_NAME).unlink()
    assert Predictor(open_backend(str(folder), backend)).config == alone.config


def test_the_folders_configuration_must_describe_its_network(folder):
    edit(folder, pole_stride=8)
    with pytest.raises(InputError, match=rf"{ONNX_NAME}: exported from another network .* pole_stride 4 "
                                         r"\(the file\) vs 8 \(configuration.json\); export it again"):
        open_backend(str(folder), "onnx")
    with pytest.raises(InputError, match=rf"{WEIGHTS_NAME}: weights do not fit"):
        open_backend(str(folder), "torch")


def test_a_misspelt_or_missing_setting_names_the_file(folder):
    edit(folder, size="huge")
    with pytest.raises(InputError, match=r"configuration.json: model: unknown model size 'huge'"):
        open_backend(str(folder), "onnx")
    edit(folder, size="nano", decode={"score_treshold": 0.5})
    with pytest.raises(InputError, match=r"configuration.json: model.decode.score_treshold is not a setting"):
        open_backend(str(folder))
    rewrite(folder, lambda config: config.pop("model"))
    with pytest.raises(InputError, match=r"configuration.json: no 'model' section"):
        open_backend(str(folder))

