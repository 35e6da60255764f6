"""The repository's configuration.json builds the default architecture through ModelScope."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from modelscope.models import Model

import yoloxsp  # noqa: F401  (registers the model type)
from yoloxsp.model import load_weights

pytestmark = pytest.mark.modelscope

ROOT = Path(__file__).resolve().parents[1]


def test_configuration_json_builds_the_default_model(tmp_path):
    config = json.loads((ROOT / "configuration.json").read_text())
    assert config["framework"] == "pytorch" and config["task"] == "image-object-detection"
    assert "plugins" not in config  # modelscope would pip-install at load time (offline: fails)
    shutil.copy(ROOT / "configuration.json", tmp_path / "configuration.json")
    model = Model.from_pretrained(str(tmp_path), use_hf=False)  # the core install has no transformers
    assert model.model.config.size == config["model"]["size"]
    assert model.model.config.pole_stride == config["model"]["pole_stride"]


def test_bundled_model_folder_carries_the_same_configuration():
    bundled = yoloxsp.default_model_dir()
    assert json.loads((bundled / "configuration.json").read_text()) == json.loads(
        (ROOT / "configuration.json").read_text())
    assert load_weights(bundled / "pytorch_model.pt").config.size == json.loads(
        (ROOT / "configuration.json").read_text())["model"]["size"]


@pytest.mark.parametrize("size", ["nano", "tiny", "s", "m"])
def test_size_configs_differ_from_the_default_only_in_size_work_dir_and_training_record(size):
    config = json.loads((ROOT / "configs" / f"yoloxsp_{size}.json").read_text())
    default = json.loads((ROOT / "configuration.json").read_text())
    assert config["model"].pop("size") == size and config["train"].pop("work_dir").endswith(size)
    default["model"].pop("size"), default["train"].pop("work_dir"), default.pop("training_record", None)
    assert config == default
