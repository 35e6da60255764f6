"""Training config files: one base plus per-size differences, read into one self-contained dict.

``configs/base.json`` holds everything the model sizes share; ``configs/yoloxsp_<size>.json``
names it as ``_base_`` and holds only what differs. ModelScope's ``Config`` keeps ``_base_`` as
a plain key (mmcv's merges it, but the trainer reads configs with ModelScope's, and the core
install has no mmcv), so :func:`read_config` merges it: the trainer, the tools and the model
folders' generator all read configs through it. A model folder's ``configuration.json`` is
self-contained (ModelScope and the hub read it alone): it is what :func:`read_config` returns.
Its ``model`` section is the one source of the folder's model settings, decoding included, for
every backend and caller (:func:`model_folder_settings`); the copies the weights file and the ONNX
export carry serve only when such a file is opened alone.

Values that follow from others are not stored: each dataset's ``heatmap_stride`` is the model's
``pole_stride`` (:func:`derive_values` fills it in when the trainer builds the datasets). Older
files still carry it and the retired model keys (``in_channels``, ``num_classes``): accepted with
their one valid value and dropped, anything else raises naming the key and the file.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Mapping, MutableMapping, Optional

from ..errors import InputError, PathLike
from .config import YoloxSpConfig, without_retired_keys

BASE_KEY = "_base_"
DEFAULT_POLE_STRIDE = YoloxSpConfig.pole_stride
CONFIGURATION_NAME = "configuration.json"
MODEL_OPTION = "model."  # the prefix of a run's overrides of the model section (``--set model.x=...``)


def read_config(path: PathLike) -> dict:
    """The config in ``path`` with its ``_base_`` chain merged in (a base names a file relative
    to the file naming it; the file's own values are merged over the base's, dictionaries key by
    key, anything else replaced), and repeated or retired keys of older files checked and dropped."""
    config = _merged_chain(Path(path), [])
    if isinstance(config.get("model"), Mapping):
        config["model"] = without_retired_keys(config["model"], path)
    for section in _dataset_sections(config, path):
        section.pop("heatmap_stride", None)
    return config


def derive_values(config: MutableMapping, source: Optional[PathLike] = None) -> None:
    """Fill in what follows from other values, in place: every dataset's ``heatmap_stride`` is the
    model's ``pole_stride`` (the pole loss compares heatmaps with the pole head's output grid).
    A config that sets it to anything else (``source``, named in the error) is refused."""
    for section in _dataset_sections(config, source):
        section["heatmap_stride"] = _pole_stride(config)


def _dataset_sections(config: Mapping, source: Optional[PathLike]) -> List[MutableMapping]:
    """The dataset sections, each checked: a ``heatmap_stride`` it carries equals ``model.pole_stride``."""
    sections = []
    for split, section in (config.get("dataset") or {}).items():
        if not isinstance(section, MutableMapping):
            continue
        stride = section.get("heatmap_stride", _pole_stride(config))
        if stride != _pole_stride(config):
            raise InputError(f"dataset.{split}.heatmap_stride = {stride} differs from model.pole_stride = "
                             f"{_pole_stride(config)}: the heatmap stride is the pole stride (remove "
                             f"dataset.{split}.heatmap_stride)", source)
        sections.append(section)
    return sections


def _pole_stride(config: Mapping) -> int:
    return (config.get("model") or {}).get("pole_stride", DEFAULT_POLE_STRIDE)


def _merged_chain(path: Path, seen: List[Path]) -> dict:
    if path.resolve() in seen:
        raise InputError(f"{BASE_KEY} chain loops back to this file", path)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("config file not found", path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not a JSON config: {exc}", path) from None
    if not isinstance(config, dict):
        raise InputError("a config file holds one JSON object", path)
    base = config.pop(BASE_KEY, None)
    if base is None:
        return config
    if not isinstance(base, str):
        raise InputError(f"{BASE_KEY} must be one file name, got {base!r}", path)
    return _merge(_merged_chain(path.parent / base, seen + [path.resolve()]), config)


def _merge(base: dict, override: Mapping) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def model_folder_config(source: PathLike, training_record: Mapping) -> dict:
    """A model folder's configuration.json: the config its weights were trained with, read whole
    (a folder others fine-tune from needs the recipes, and ModelScope reads the file alone), and
    how the weights were made. The run's overrides of the model section (``cfg_options`` keys
    ``model.*``, e.g. ``--set model.decode.score_threshold=0.4``) are applied to it, because that
    section is what every reader of the folder builds and decodes the weights with; the other
    overrides stay in the record only, leaving the recipes as the config file has them."""
    config = read_config(source)
    overrides: dict = {}
    for key, value in (training_record.get("cfg_options") or {}).items():
        if key.startswith(MODEL_OPTION):
            *parents, leaf = key[len(MODEL_OPTION):].split(".")
            section = overrides
            for name in parents:
                section = section.setdefault(name, {})
            section[leaf] = value
    if overrides:
        config["model"] = _merge(config.get("model") or {}, overrides)
    return {**config, "training_record": dict(training_record)}


def model_folder_settings(folder: PathLike) -> Optional[YoloxSpConfig]:
    """The model settings of a model folder: its configuration.json's ``model`` section (ModelScope's
    ``type`` aside), or None when the folder has no configuration.json. Whatever opens a model
    folder (predict, the API, eval, batch, on either backend) takes its decoding settings from
    here, as ModelScope's model does from the same section, so editing them in the file changes
    what every caller reports, and the weights file and ONNX export need no copy kept in step.
    A setting the section leaves out takes its default, as in ModelScope."""
    path = Path(folder) / CONFIGURATION_NAME
    if not path.is_file():
        return None
    section = read_config(path).get("model")
    if not isinstance(section, Mapping):
        raise InputError("no 'model' section (the model's settings)", path)
    return YoloxSpConfig.from_dict({key: value for key, value in section.items() if key != "type"}, path)


def recorded_training(source: PathLike) -> dict:
    """The ``training_record`` of a model folder or of its configuration.json: how its weights were
    made, naming the config they were trained with."""
    source = Path(source)
    path = source / CONFIGURATION_NAME if source.is_dir() else source
    try:
        record = json.loads(path.read_text(encoding="utf-8")).get("training_record")
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read a configuration.json: {exc}", path) from None
    if not isinstance(record, dict) or not record.get("config"):
        raise InputError("no training_record naming the config the weights were trained with", path)
    return record


def generated_configuration(configs: PathLike, training_record: Mapping) -> dict:
    """What a model folder's configuration.json holds for weights made as ``training_record`` says:
    the recorded config, found in the folder ``configs`` and read whole, plus the record."""
    source = Path(configs) / Path(training_record["config"]).name
    if not source.is_file():
        raise InputError(f"the training record names config {training_record['config']!r}, which "
                         f"{Path(configs).name}/ lacks", source)
    return model_folder_config(source, training_record)
