"""``yoloxsp`` entry point: one sub-command per module.

Only yoloxsp's own user-facing errors (:class:`yoloxsp.errors.InputError` and its kinds: bad
input, an output that exists) become a one-line ``error:`` message with exit status 2; anything
else is a bug and keeps its traceback, so it can be reported and fixed rather than mistaken for a
user's mistake."""
from __future__ import annotations

import argparse
import gc
import sys
import warnings
from typing import List, Optional

from .. import __version__
from ..errors import InputError
from . import batch, card, demo, evaluate, export, inspect_data, predict, publish, synth, train

COMMANDS = (predict, batch, synth, inspect_data, train, evaluate, export, card, publish, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yoloxsp", description="Find mitotic spindles and their poles in S. pombe movies and measure them.")
    parser.add_argument("--version", action="version", version=f"yoloxsp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Optional[List[str]] = None) -> int:
    # Importing torch, scipy and friends creates about a million long-lived objects; with the
    # default thresholds the collector walks them again and again (a large share of a short run's
    # start-up; tools/benchmark.py measures it), and once more at exit. Fewer young-generation passes while running, and freezing
    # the survivors before exit, keep what a short ``yoloxsp predict`` spends outside its frames down.
    gc.set_threshold(50_000, 20, 100)
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        return int(args.run(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
