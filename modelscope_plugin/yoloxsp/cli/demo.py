"""``yoloxsp demo``: start the Gradio demo app (``tools/app.py`` of the repository / model page)."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

from ..errors import InputError

APP = Path(__file__).resolve().parents[3] / "tools" / "app.py"


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="start the demo web app (Gradio)", description=__doc__.split(":", 1)[1].strip())
    p.add_argument("--model", default="yoloxsp")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--host", default="127.0.0.1")
    p.set_defaults(run=run)


def run(args) -> int:
    if not APP.is_file():
        raise InputError("the demo app ships with the repository and the hosted model page, not in this install "
                         "(run it from a clone: python tools/app.py)", APP)
    sys.argv = [str(APP), "--model", args.model, "--port", str(args.port), "--host", args.host]
    runpy.run_path(str(APP), run_name="__main__")
    return 0
