"""``yoloxsp publish``: assemble a model repository, check it, and upload it.

The folder holds configuration.json, pytorch_model.pt, model.onnx, README.md (the card) with the
files it references, and the demo app. Before any upload it is checked: ModelScope's pipeline
loads from it and detects spindles on the card's example, the card's front matter parses, every
file it references exists, and a fresh evaluation reproduces every number on the card. The token
comes from the usual login or environment variable and is never printed or written.
"""
from __future__ import annotations

import tempfile
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("publish", help="check a model repository and upload it to ModelScope or Hugging Face",
                       description=__doc__.split(":", 1)[1].strip())
    p.add_argument("model", help="model folder (configuration.json + pytorch_model.pt) or 'yoloxsp' (bundled)")
    p.add_argument("--repo-id", required=True, help="OWNER/NAME on the hub")
    p.add_argument("--hub", choices=("modelscope", "huggingface"), default="modelscope")
    p.add_argument("--private", action="store_true")
    p.add_argument("--card", help="model card (default: the model folder's README.md, or model_card/README.md "
                                  "of this clone for the bundled model)")
    p.add_argument("--root", help="folder the card's relative paths are written against (default: the card's "
                                  "folder, or this clone for model_card/README.md)")
    p.add_argument("--dry-run", action="store_true", help="assemble and check, but do not upload")
    p.add_argument("--out", help="where to assemble the folder (kept; default: a temporary folder)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..clone import CLONE_ROOT, clone_file
    from ..integrations.hub.assemble import assemble, validate
    from ..integrations.hub.upload import upload
    from ..model.resolve import model_path

    card = Path(args.card) if args.card else model_path(args.model) / "README.md"
    if not args.card and not card.is_file():
        card = clone_file("model_card/README.md", "the default model's card")
    root = Path(args.root) if args.root else (CLONE_ROOT if card.resolve().parent.name == "model_card"
                                              else card.resolve().parent)
    app = clone_file("tools/app.py", "the demo app")
    with tempfile.TemporaryDirectory(prefix="yoloxsp-publish-") as scratch:
        folder = assemble(args.model, card, root, app, Path(args.out) if args.out else Path(scratch) / "repo",
                          overwrite=args.overwrite)
        validate(folder)
        print(f"checked {folder}: pipeline loads and detects, card parses, referenced files present, "
              "card metrics reproduced")
        if args.dry_run:
            return 0
        print(f"uploaded to {upload(folder, args.repo_id, args.hub, args.private)}")
    return 0
