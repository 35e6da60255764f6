"""``yoloxsp publish``: assemble a model repository, check it, and upload it.

The folder holds configuration.json, pytorch_model.pt, model.onnx, README.md (the card) with the
files it references, and the demo app. Before any upload it is checked: ModelScope's pipeline
loads from it and detects spindles on the card's example, the card's front matter parses, every
file it references exists, and a fresh evaluation reproduces every number on the card. The token
comes from the usual login or environment variable and is never printed or written.

Runs from an installed package: the demo app ships inside it, and the card is the model folder's
README.md or ``--card``. The bundled model's card is a file of the repository
(``model_card/README.md``), found in the current folder when that is a clone's root.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

BUNDLED_CARD = Path("model_card") / "README.md"  # relative to the current folder: a clone's root


def add_parser(sub) -> None:
    p = sub.add_parser("publish", help="check a model repository and upload it to ModelScope or Hugging Face",
                       description=__doc__.split(":", 1)[1].strip())
    p.add_argument("model", help="model folder (configuration.json + pytorch_model.pt) or 'yoloxsp' (bundled)")
    p.add_argument("--repo-id", required=True, help="OWNER/NAME on the hub")
    p.add_argument("--hub", choices=("modelscope", "huggingface"), default="modelscope")
    p.add_argument("--private", action="store_true")
    p.add_argument("--card", help="model card (default: the model folder's README.md; for the bundled model, "
                                  "model_card/README.md in the current folder, a clone's root)")
    p.add_argument("--root", help="folder the card's relative paths are written against (default: the card's "
                                  "folder, or the folder above it for a card in a folder named model_card)")
    p.add_argument("--dry-run", action="store_true", help="assemble and check, but do not upload")
    p.add_argument("--out", help="where to assemble the folder (kept; default: a temporary folder)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    p.set_defaults(run=run)


def default_card(model: str) -> Path:
    """The model folder's README.md; for the bundled model, the clone's card in the current folder."""
    from ..errors import InputError
    from ..model.resolve import model_path

    folder = model_path(model)
    card = folder / "README.md" if folder.is_dir() else folder.with_name("README.md")
    if card.is_file():
        return card
    if model == "yoloxsp" and BUNDLED_CARD.is_file():
        return BUNDLED_CARD
    raise InputError("no model card: give --card (the bundled model's card is model_card/README.md of a "
                     "yoloxsp clone; run from the clone's root folder)", card)


def run(args) -> int:
    from ..integrations.hub import demo_app_file
    from ..integrations.hub.assemble import assemble, validate
    from ..integrations.hub.upload import upload

    card = Path(args.card) if args.card else default_card(args.model)
    folder_of_card = card.resolve().parent
    root = Path(args.root) if args.root else (folder_of_card.parent if folder_of_card.name == "model_card"
                                              else folder_of_card)
    with tempfile.TemporaryDirectory(prefix="yoloxsp-publish-") as scratch, demo_app_file() as app:
        folder = assemble(args.model, card, root, app, Path(args.out) if args.out else Path(scratch) / "repo",
                          overwrite=args.overwrite)
        validate(folder)
        print(f"checked {folder}: pipeline loads and detects, card parses, referenced files present, "
              "card metrics reproduced")
        if args.dry_run:
            return 0
        print(f"uploaded to {upload(folder, args.repo_id, args.hub, args.private)}")
    return 0
