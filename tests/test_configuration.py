"""The repository's configuration.json builds the default architecture through ModelScope (that it
is generated from configs/ is tests/test_config_file.py's), and a model folder's configuration.json
decides how ModelScope's pipeline decodes."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from modelscope.models import Model

import yoloxsp  # noqa: F401  (registers the model type)
from yoloxsp.errors import InputError
from yoloxsp.io import open_movie
from yoloxsp.model.resolve import DEFAULT_MODEL_DIR

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


def test_an_older_model_folder_with_the_retired_keys_still_loads(tmp_path):
    config = json.loads((ROOT / "configuration.json").read_text())
    config["model"].update(in_channels=3, num_classes=1)
    (tmp_path / "configuration.json").write_text(json.dumps(config))
    model = Model.from_pretrained(str(tmp_path), use_hf=False)
    assert model.model.config.size == config["model"]["size"]
    config["model"]["in_channels"] = 1  # such a model could never run: preprocessing makes 3 channels
    (tmp_path / "configuration.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match=r"configuration.json: model.in_channels = 1 is not supported"):
        Model.from_pretrained(str(tmp_path), use_hf=False)


def test_the_pipeline_decodes_as_the_model_folders_configuration_says(tmp_path):
    """The same one source as ``yoloxsp predict`` (tests/test_model_folder_settings.py): a decoding
    setting edited in a copy of the bundled folder's configuration.json changes what the pipeline reports."""
    from modelscope.pipelines import pipeline
    from modelscope.utils.constant import Tasks

    frame = next(open_movie(ROOT / "res" / "sample" / "stack.tif").frames())  # three spindles
    folder = shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / "my_model")
    assert len(pipeline(Tasks.image_object_detection, model=str(folder))(frame)["scores"]) == 3
    config = json.loads((folder / "configuration.json").read_text())
    config["model"]["decode"]["max_detections"] = 1
    (folder / "configuration.json").write_text(json.dumps(config))
    assert len(pipeline(Tasks.image_object_detection, model=str(folder))(frame)["scores"]) == 1
