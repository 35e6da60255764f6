"""``yoloxsp demo``: start the Gradio demo app (the app a published model repository serves)."""
from __future__ import annotations

import importlib.util
import runpy
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="start the demo web app (Gradio)", description=__doc__.split(":", 1)[1].strip())
    p.add_argument("--model", default="yoloxsp")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--host", default="127.0.0.1")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..errors import InputError
    from ..integrations.hub import demo_app_file

    if importlib.util.find_spec("gradio") is None:  # the `demo` extra: not every install serves a web app
        raise InputError("the demo app needs Gradio: pip install 'yoloxsp[demo]' (tools/setup_env.sh core includes it)")
    with demo_app_file() as app:  # run as a script, as in a model repository
        sys.argv = [str(app), "--model", args.model, "--port", str(args.port), "--host", args.host]
        runpy.run_path(str(app), run_name="__main__")
    return 0
