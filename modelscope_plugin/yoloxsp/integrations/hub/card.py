"""The model card (README.md): front matter that ModelScope and Hugging Face both read, and an
evaluation table that is generated from evaluations, never typed.

Every evaluation is stored twice from one source: as ``model-index`` results in the front matter
(Hugging Face's format, parsed and written with huggingface_hub's ``ModelCard``; the dataset's
``config`` is the evaluation source, its ``args`` the pixel size) and as the markdown table between
the ``yoloxsp:metrics`` markers. ``yoloxsp publish`` re-runs the evaluations the front matter names
and refuses a card whose numbers no longer match.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from huggingface_hub import EvalResult, ModelCard

from ...errors import InputError, PathLike
from ...io.atomic import atomic_path
from ...metrics.sources import is_synthetic_set

# (metric key from yoloxsp eval, label in the table); the card shows these, in this order.
CARD_METRICS = (
    ("bbox_AP50", "box AP50"),
    ("bbox_AP", "box AP 0.5:0.95"),
    ("pole_F1@2px", "pole F1 within 2 px"),
    ("pole_median_error_px", "pole median error (px)"),
    ("both_poles_rate", "spindles with both poles found"),
    ("length_median_rel_error", "length median relative error"),
    ("MOTA", "tracking MOTA"),
    ("IDF1", "tracking IDF1"),
    ("n_images", "frames"),
    ("n_spindles", "annotated spindles"),
)
TABLE_BEGIN, TABLE_END = "<!-- yoloxsp:metrics:begin -->", "<!-- yoloxsp:metrics:end -->"
DECIMALS = 4
TOLERANCE = 1e-3  # a re-measured number may differ by float noise across machines, not more
REQUIRED_KEYS = ("license", "tasks", "tags", "metrics", "widgets", "model-index")
TASK_TYPE, DATASET_TYPE = "object-detection", "cvat-spindles"


@dataclass
class CardEval:
    """One evaluation on the card: ``source`` is a CVAT export path relative to the model repo or
    ``synthetic:validation``; ``pixel_size`` None means each task's own (from its stack.tif)."""

    name: str
    source: str
    pixel_size: Optional[float]
    metrics: Dict[str, float]


def load_card(path: PathLike, required: Sequence[str] = REQUIRED_KEYS) -> ModelCard:
    """The card, with a clear error when its front matter is not YAML or lacks a ``required`` key
    (by default every key the hubs and ``yoloxsp publish`` need)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("model card not found", path)
    try:
        card = ModelCard.load(path)
    except Exception as exc:  # huggingface_hub raises ValueError or yaml's errors
        raise InputError(f"front matter does not parse: {exc}", path) from None
    missing = [key for key in required if key not in card.data.to_dict()]
    if missing:
        raise InputError(f"front matter lacks {', '.join(missing)}", path)
    return card


def card_evals(card: ModelCard) -> List[CardEval]:
    """The evaluations recorded in the card's ``model-index``, in order."""
    evals: Dict[tuple, CardEval] = {}
    for result in card.data.eval_results or []:
        args = result.dataset_args or {}
        key = (result.dataset_name, result.dataset_config, args.get("pixel_size"))
        entry = evals.setdefault(key, CardEval(result.dataset_name, result.dataset_config, args.get("pixel_size"), {}))
        entry.metrics[result.metric_type] = result.metric_value
    return list(evals.values())


def write_card_evals(path: PathLike, model_name: str, evals: Sequence[CardEval]) -> None:
    """Store ``evals`` in the card at ``path``: front matter ``model-index`` and the markdown table.
    The file is replaced atomically."""
    path = Path(path)
    card = load_card(path, required=())
    if TABLE_BEGIN not in card.text or TABLE_END not in card.text:
        raise InputError(f"the card has no {TABLE_BEGIN} ... {TABLE_END} section for the evaluation table", path)
    card.data.model_name = model_name
    card.data.eval_results = [
        EvalResult(task_type=TASK_TYPE, dataset_type=DATASET_TYPE, dataset_name=e.name, dataset_config=e.source,
                   dataset_args={"pixel_size": e.pixel_size} if e.pixel_size else None, metric_type=key,
                   metric_name=label, metric_value=_rounded(e.metrics[key]))
        for e in evals for key, label in CARD_METRICS if _finite(e.metrics.get(key))]
    head, rest = card.text.split(TABLE_BEGIN, 1)
    card.text = head + TABLE_BEGIN + "\n" + metrics_table(evals) + TABLE_END + rest.split(TABLE_END, 1)[1]
    with atomic_path(path) as partial:
        card.save(partial)


def metrics_table(evals: Sequence[CardEval]) -> str:
    """Markdown: one row per metric, one column per evaluation."""
    lines = ["| metric | " + " | ".join(f"{e.name} (`{e.source}`)" for e in evals) + " |",
             "|---|" + "---|" * len(evals)]
    for key, label in CARD_METRICS:
        cells = [_format(e.metrics.get(key), key) for e in evals]
        if any(cell != "n/a" for cell in cells):
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def mismatches(recorded: Sequence[CardEval], measured: Sequence[CardEval]) -> List[str]:
    """Each card number that a fresh evaluation does not reproduce, as a readable line."""
    problems = []
    for card_eval, fresh in zip(recorded, measured):
        for key, value in card_eval.metrics.items():
            now = fresh.metrics.get(key)
            if not _finite(now) or abs(float(now) - float(value)) > TOLERANCE:
                problems.append(f"card says {key} = {value} on {card_eval.name!r} ({card_eval.source}); "
                                f"a fresh eval gives {_format(now, key)}")
    return problems


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img[^>]+src=[\"']([^\"']+)[\"']")
CODE_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def referenced_files(card: ModelCard) -> List[str]:
    """Repository paths the card needs: images and links in the text, widget examples, eval sources."""
    prose = CODE_BLOCK.sub("", card.text)  # code samples are not links
    paths = [m.group(1) or m.group(2) for m in LINK.finditer(prose)] + widget_examples(card)
    paths += [e.source for e in card_evals(card) if not is_synthetic_set(e.source)]
    local = [p.split("#")[0] for p in paths if not re.match(r"^([a-z]+:|#|/)", p)]
    return sorted({p for p in local if p})


def widget_examples(card: ModelCard) -> List[str]:
    """The inputs of the hosted widget's examples (files in the repository)."""
    return [item["data"] for widget in card.data.to_dict().get("widgets") or []
            for example in widget.get("examples") or [] for item in example.get("inputs") or [] if "data" in item]


def _rounded(value) -> float:
    return round(float(value), DECIMALS)


def _finite(value) -> bool:
    return value is not None and math.isfinite(float(value))


def _format(value, key: str = "") -> str:
    if not _finite(value):
        return "n/a"
    return str(int(value)) if key.startswith("n_") else f"{float(value):.{DECIMALS}f}"


def measure(model: str, specs: Sequence[CardEval], root: Optional[PathLike] = None) -> List[CardEval]:
    """Evaluate ``model`` (anything ``--model`` accepts) on each spec's source, as ``yoloxsp eval
    --tracking`` does; relative sources are resolved against ``root``."""
    from ...metrics import evaluate_records
    from ...metrics.sources import open_eval_set
    from ...model.backends import Predictor
    from ...model.resolve import open_backend

    predictor = Predictor(open_backend(model))
    measured = []
    for spec in specs:
        with open_eval_set(spec.source, spec.pixel_size, root) as data:
            metrics = evaluate_records(predictor, data.records, data.pixel_sizes, progress=False, tracking=True)
        measured.append(CardEval(spec.name, spec.source, spec.pixel_size, metrics))
    return measured
