"""Build the folder that becomes the hub repository, and check it before anything is uploaded.

The folder holds what a hub user needs: ``configuration.json`` and ``pytorch_model.pt`` (so
``pipeline(..., model=<folder>)`` and ``build_trainer('easycv', dict(model=<folder>, ...))`` work),
``model.onnx`` (ONNX Runtime without PyTorch), ``README.md`` (the model card) with the files it
references (figures and the bundled sample under ``res/``), and the demo app (``app.py`` with its
``requirements.txt``) for a ModelScope Studio or Hugging Face Space.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import List

from ... import __version__
from ...errors import InputError, OutputExistsError, PathLike
from ...io.atomic import atomic_path
from ...model.resolve import WEIGHTS_NAME, model_path
from .card import card_evals, load_card, measure, mismatches, referenced_files, widget_examples
from .upload import TOKEN_VARIABLES

REQUIRED = ("configuration.json", WEIGHTS_NAME, "model.onnx", "README.md", "app.py", "requirements.txt")


class PublishError(InputError):
    """The folder is not fit to publish; the message lists every problem found."""


def assemble(model: str, card: PathLike, root: PathLike, app: PathLike, out: PathLike,
             overwrite: bool = False) -> Path:
    """Write the upload folder for ``model`` (a model folder or ``yoloxsp``) into ``out``.

    ``card`` becomes README.md; the files it references are copied from ``root`` (the folder its
    relative paths are written against). The folder appears complete or not at all.
    """
    from ...model.onnx_export import export_onnx
    from ...model.resolve import open_backend

    source, root, out = model_path(model), Path(root), Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(f"{out} is not empty; use --overwrite to replace it")
    for needed in ("configuration.json", WEIGHTS_NAME):
        if not (source / needed).is_file():
            raise PublishError(f"the model folder has no {needed}", source)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as staging:
        staging.mkdir()
        for name in ("configuration.json", WEIGHTS_NAME):
            shutil.copy2(source / name, staging / name)
        # built as the folder's configuration.json says, so the export carries the folder's settings
        export_onnx(open_backend(str(source), "torch").model, staging / "model.onnx")
        shutil.copy2(card, staging / "README.md")
        for relative in referenced_files(load_card(card)):
            _copy(root, relative, staging)
        shutil.copy2(app, staging / "app.py")
        (staging / "requirements.txt").write_text(f"yoloxsp[demo]=={__version__}\n")
    return out


def _copy(root: Path, relative: str, staging: Path) -> None:
    source, target = root / relative, staging / relative
    if ".." in Path(relative).parts:
        raise PublishError(f"the card references {relative}, outside the repository", root)
    if not source.exists():
        raise PublishError("the card references a file that does not exist", source)
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)


def validate(folder: PathLike, remeasure: bool = True) -> None:
    """Raise :class:`PublishError` naming every problem: missing files, a configuration the
    pipeline cannot use, a card that does not parse or references missing files, a pipeline
    that does not load or finds nothing on the card's example, card metrics a fresh evaluation
    does not reproduce, a token written into the folder."""
    folder = Path(folder)
    problems = [f"missing {name}" for name in REQUIRED if not (folder / name).is_file()]
    problems += _configuration_problems(folder / "configuration.json")
    card = None
    if (folder / "README.md").is_file():
        try:
            card = load_card(folder / "README.md")
        except InputError as exc:
            problems.append(f"README.md: {exc}")
    if card is not None:
        problems += [f"README.md references {path}, which is not in the folder"
                     for path in referenced_files(card) if not (folder / path).exists()]
        if not card_evals(card):
            problems.append("README.md records no evaluation (write one with yoloxsp card)")
    problems += _leaked_tokens(folder)
    if not problems and card is not None:
        problems += _pipeline_problems(folder, card)
    if not problems and card is not None and remeasure:
        problems += mismatches(card_evals(card), measure(str(folder), card_evals(card), root=folder))
    if problems:
        raise PublishError("not fit to publish:\n  - " + "\n  - ".join(problems), folder)


def _configuration_problems(path: Path) -> List[str]:
    if not path.is_file():
        return []
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        return [f"configuration.json is not JSON ({exc})"]
    problems = [f"configuration.json lacks '{key}'" for key in ("framework", "task", "pipeline", "model")
                if key not in config]
    if "plugins" in config:
        problems.append("configuration.json has a 'plugins' key: ModelScope would pip-install at load time")
    return problems


def _leaked_tokens(folder: Path) -> List[str]:
    tokens = [os.environ[v] for v in TOKEN_VARIABLES if len(os.environ.get(v, "")) >= 8]
    leaked = []
    for path in folder.rglob("*"):
        if path.is_file() and path.stat().st_size < 10_000_000 and tokens:
            data = path.read_bytes()
            leaked += [f"{path.relative_to(folder)} contains an access token" for t in tokens if t.encode() in data]
    return leaked


def _pipeline_problems(folder: Path, card) -> List[str]:
    """The hub user's first step: ModelScope's pipeline from this folder, on the card's example."""
    from modelscope.pipelines import pipeline
    from modelscope.utils.constant import Tasks

    from ..modelscope import SpindleDetectionPipeline  # noqa: F401  (registers the pipeline)

    examples = widget_examples(card)
    if not examples:
        return ["the card's widget has no example input to check the pipeline on"]
    modelscope_log = logging.getLogger("modelscope")
    level = modelscope_log.level
    modelscope_log.setLevel(logging.ERROR)  # its INFO/WARNING lines about building a pipeline are noise here
    try:
        detect = pipeline(Tasks.image_object_detection, model=str(folder))
        found = len(detect(str(folder / examples[0]))["boxes"])
    except Exception as exc:
        return [f"ModelScope's pipeline does not run from the folder: {type(exc).__name__}: {exc}"]
    finally:
        modelscope_log.setLevel(level)
    return [] if found else [f"the pipeline finds no spindle on the widget example {examples[0]}"]
