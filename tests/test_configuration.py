"""The repository's configuration.json builds the default architecture through ModelScope."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from modelscope.models import Model

import yoloxsp  # noqa: F401  (registers the model type)

ROOT = Path(__file__).resolve().parents[1]


def test_configuration_json_builds_the_default_model(tmp_path):
    config = json.loads((ROOT / "configuration.json").read_text())
    assert config["framework"] == "pytorch" and config["task"] == "image-object-detection"
    assert "plugins" not in config  # modelscope would pip-install at load time (offline: fails)
    shutil.copy(ROOT / "configuration.json", tmp_path / "configuration.json")
    model = Model.from_pretrained(str(tmp_path))
    assert model.model.config.size == config["model"]["size"]
    assert model.model.config.pole_stride == config["model"]["pole_stride"]
