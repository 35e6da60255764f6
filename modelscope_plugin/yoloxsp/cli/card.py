"""``yoloxsp card``: measure a model and write the numbers into its model card.

Each ``--eval NAME=SOURCE[@PIXEL_SIZE]`` runs the evaluation ``yoloxsp eval --tracking`` runs on
SOURCE (a CVAT export path, relative to the model repository, or ``synthetic:validation``) and
stores it in the card twice, as front-matter ``model-index`` results and as the table between the
``<!-- yoloxsp:metrics:begin/end -->`` markers; ``yoloxsp publish`` re-measures both before upload.
"""
from __future__ import annotations

import re

from ..errors import InputError


def add_parser(sub) -> None:
    p = sub.add_parser("card", help="measure a model and write the metrics into its model card",
                       description=__doc__.split(":", 1)[1].strip())
    p.add_argument("--model", default="yoloxsp", help="model folder or 'yoloxsp' (bundled)")
    p.add_argument("--card", required=True, help="the card (README.md) to update")
    p.add_argument("--name", default=None, help="model name in the front matter (default: the card's)")
    p.add_argument("--eval", dest="evals", action="append", required=True, metavar="NAME=SOURCE[@PIXEL_SIZE]",
                   help="e.g. 'bundled sample=res/sample' or 'synthetic validation=synthetic:validation'")
    p.set_defaults(run=run)


def parse_eval(spec: str):
    from ..integrations.hub.card import CardEval

    match = re.fullmatch(r"([^=]+)=([^@]+)(?:@([0-9.]+))?", spec)
    if not match:
        raise InputError(f"--eval {spec!r} is not NAME=SOURCE[@PIXEL_SIZE]")
    name, source, pixel_size = match.groups()
    return CardEval(name.strip(), source.strip(), float(pixel_size) if pixel_size else None, {})


def run(args) -> int:
    from ..integrations.hub.card import load_card, measure, metrics_table, write_card_evals

    specs = [parse_eval(spec) for spec in args.evals]
    name = args.name or load_card(args.card, required=()).data.model_name or "yoloxsp"
    evals = measure(args.model, specs)
    write_card_evals(args.card, name, evals)
    print(metrics_table(evals), end="")
    return 0
