"""Training configs are one base plus per-size differences, and the bundled model's two
configuration.json copies are what tools/sync_configuration.py generates from them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from yoloxsp.errors import InputError
from yoloxsp.model import YoloxSp, YoloxSpConfig, load_weights, save_weights
from yoloxsp.model.config_file import (derive_values, generated_configuration, model_folder_config, read_config,
                                       recorded_training)

pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parents[1]
SIZES = ["nano", "tiny", "s", "m"]


def write(path: Path, config: dict) -> Path:
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize("size", SIZES)
def test_size_configs_hold_only_what_differs_from_the_base(size):
    own = json.loads((ROOT / "configs" / f"yoloxsp_{size}.json").read_text())
    assert own == {"_base_": "base.json", "model": {"size": size}, "train": {"work_dir": f"./work_dirs/yoloxsp_{size}"}}
    config = read_config(ROOT / "configs" / f"yoloxsp_{size}.json")
    base = json.loads((ROOT / "configs" / "base.json").read_text())
    assert config["model"] == {**base["model"], "size": size}
    assert config["dataset"] == base["dataset"] and config["finetune"] == base["finetune"]
    assert "_base_" not in config and "size" not in base["model"]


def test_base_merges_dictionaries_key_by_key_and_replaces_everything_else(tmp_path):
    write(tmp_path / "root.json", {"a": {"b": 1, "c": [1, 2], "d": {"e": 1}}, "f": 1})
    write(tmp_path / "middle.json", {"_base_": "root.json", "a": {"c": [3]}, "g": 2})
    (tmp_path / "sub").mkdir()
    child = write(tmp_path / "sub" / "child.json", {"_base_": "../middle.json", "a": {"d": {"x": 2}}, "f": None})
    assert read_config(child) == {"a": {"b": 1, "c": [3], "d": {"e": 1, "x": 2}}, "f": None, "g": 2}


def test_broken_base_chains_name_the_file(tmp_path):
    missing = write(tmp_path / "a.json", {"_base_": "nowhere.json"})
    with pytest.raises(InputError, match="nowhere.json: config file not found"):
        read_config(missing)
    write(tmp_path / "x.json", {"_base_": "y.json"})
    write(tmp_path / "y.json", {"_base_": "x.json"})
    with pytest.raises(InputError, match="x.json: _base_ chain loops back"):
        read_config(tmp_path / "x.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputError, match="bad.json: not a JSON config"):
        read_config(tmp_path / "bad.json")


def test_heatmap_stride_is_derived_from_the_pole_stride(tmp_path):
    config = read_config(ROOT / "configs" / "yoloxsp_tiny.json")
    assert all("heatmap_stride" not in section for section in config["dataset"].values())
    config["model"]["pole_stride"] = 8
    derive_values(config)
    assert [section["heatmap_stride"] for section in config["dataset"].values()] == [8, 8]
    # an older file repeating it is read when the two agree, and refused, naming both keys, when not
    older = dict(config, dataset={"val": {"type": "yoloxsp-cvat-spindles", "heatmap_stride": 8}})
    assert read_config(write(tmp_path / "agree.json", older))["dataset"]["val"] == {"type": "yoloxsp-cvat-spindles"}
    older["dataset"]["val"]["heatmap_stride"] = 4
    with pytest.raises(InputError, match=r"differ.json: dataset.val.heatmap_stride = 4 differs from "
                                         r"model.pole_stride = 8"):
        read_config(write(tmp_path / "differ.json", older))
    with pytest.raises(InputError, match="dataset.val.heatmap_stride = 4 differs"):
        derive_values(older, "run config")


def test_retired_model_keys_load_with_their_only_value_and_are_refused_otherwise(tmp_path):
    model = {"type": "yoloxsp", "size": "nano", "in_channels": 3, "num_classes": 1}
    assert read_config(write(tmp_path / "old.json", {"model": model}))["model"] == {"type": "yoloxsp", "size": "nano"}
    for key, value in (("in_channels", 1), ("num_classes", 2)):
        with pytest.raises(InputError, match=rf"wrong.json: model.{key} = {value} is not supported"):
            read_config(write(tmp_path / "wrong.json", {"model": {**model, key: value}}))
    # weights files written before the keys were retired store them in their config too
    weights = save_weights(YoloxSp(size="nano"), tmp_path / "old.pt")
    payload = torch.load(weights, weights_only=True)
    payload["config"].update(in_channels=3, num_classes=1)
    torch.save(payload, weights)
    assert load_weights(weights).config == YoloxSpConfig(size="nano")
    payload["config"]["in_channels"] = 2
    torch.save(payload, weights)
    with pytest.raises(InputError, match=r"old.pt: model.in_channels = 2 is not supported"):
        load_weights(weights)


COPIES = (ROOT / "configuration.json", ROOT / "modelscope_plugin" / "yoloxsp" / "assets" / "default_model"
          / "configuration.json")


def test_bundled_configuration_copies_are_generated_from_the_training_config(tmp_path):
    """Both copies are what tools/sync_configuration.py writes: the recorded config plus the record."""
    record = recorded_training(COPIES[1])
    expected = generated_configuration(ROOT / "configs", record)
    assert expected == model_folder_config(ROOT / "configs" / record["config"], record)
    for copy in COPIES:
        assert json.loads(copy.read_text()) == expected, f"{copy}: run tools/sync_configuration.py"
    # a new run's record names its config; one the configs folder lacks, or no record, is refused by name
    run = tmp_path / "output_best"
    run.mkdir()
    write(run / "configuration.json", {"model": {"size": "nano"}, "training_record": dict(record, epochs=99)})
    assert recorded_training(run)["epochs"] == 99 == recorded_training(run / "configuration.json")["epochs"]
    with pytest.raises(InputError, match="lacks"):
        generated_configuration(tmp_path, record)
    write(run / "configuration.json", {"model": {"size": "nano"}})
    with pytest.raises(InputError, match="no training_record"):
        recorded_training(run)


def test_a_runs_model_overrides_reach_its_folders_configuration():
    """The folder's model section is what predict and ModelScope build and decode its weights with,
    so ``--set model.*`` overrides of the run land there; the recipes stay as the config file has them."""
    source = ROOT / "configs" / "yoloxsp_nano.json"
    record = {"config": source.name, "cfg_options": {"model.decode.score_threshold": 0.45, "model.pole_stride": 8,
                                                     "train.max_epochs": 3}}
    config = model_folder_config(source, record)
    plain = read_config(source)
    assert config["model"] == {**plain["model"], "pole_stride": 8,
                               "decode": {**plain["model"]["decode"], "score_threshold": 0.45}}
    assert config["train"] == plain["train"] and config["training_record"] == record
    assert model_folder_config(source, {"config": source.name}) == {**plain, "training_record": {"config": source.name}}
