"""``yoloxsp`` entry point: one sub-command per module, and one error policy for all of them.

A run that cannot go on ends in one line on stderr that says what stopped it, which file, and
what was kept, and in an exit status a script can test:

* 0: done.
* 2: the input, an option or an output cannot be used: yoloxsp's own errors
  (:class:`yoloxsp.errors.InputError` and its kinds: bad input, an output that exists, a
  synthetic field too small for its cells), a file or folder the system refuses to read or
  create (``OSError``), and argparse's usage errors.
* 130 (128 + SIGINT, what a shell reports for Ctrl-C): interrupted; the outputs finished so far
  are kept.
* 1: anything else, which is a bug and keeps its traceback, so it can be reported and fixed
  rather than mistaken for a user's mistake.

``--debug`` shows the traceback of every error instead of its one line (the exit status stays).
A command that stops leaves no empty output folder it created.
"""
from __future__ import annotations

import argparse
import gc
import sys
import traceback
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

from .. import __version__
from ..errors import InputError, kept_notes
from . import batch, card, demo, evaluate, export, inspect_data, predict, publish, synth, train

COMMANDS = (predict, batch, synth, inspect_data, train, evaluate, export, card, publish, demo)
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
# The argument holding the output folder of the commands that create one (removed again when the
# command stops before writing anything into it).
OUTPUT_FOLDERS = {"predict": "out", "batch": "out", "synth": "out_dir"}
EPILOG = (f"exit status: 0 done; {EXIT_INPUT} the input, an option or an output cannot be used (one line says "
          f"which file); {EXIT_INTERRUPTED} interrupted (Ctrl-C; the line says what was kept); 1 an unexpected "
          "error (a bug: its traceback is shown). --debug shows the traceback of every error.")
DEBUG_HELP = "on an error, show its traceback instead of one line"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yoloxsp", description="Find mitotic spindles and their poles in S. pombe movies and measure them.",
        epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"yoloxsp {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    for command_parser in sub.choices.values():  # also after the command, where users type options
        command_parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def one_line(error: BaseException) -> str:
    """The message for an error the policy handles: what stopped the run, where, and what was kept
    (the notes the stopped job left on the error, see :func:`yoloxsp.errors.note_kept`)."""
    if isinstance(error, KeyboardInterrupt):
        what = "yoloxsp: interrupted"
    elif isinstance(error, OSError) and not isinstance(error, InputError) and error.filename is not None:
        what = f"error: {error.filename}: {error.strerror or error}"
    else:
        what = f"error: {error}"
    return "; ".join([what, *kept_notes(error)])


def exit_status(error: BaseException) -> int:
    return EXIT_INTERRUPTED if isinstance(error, KeyboardInterrupt) else EXIT_INPUT


def _folders_to_create(folder: Optional[str]) -> List[Path]:
    """The folder and those of its parents that do not exist yet, deepest first."""
    if folder is None:
        return []
    path = Path(folder)
    return [p for p in (path, *path.parents) if not p.exists()]


@contextmanager
def _no_empty_folder_left(folder: Optional[str]) -> Iterator[None]:
    """On any stop, remove the folders the command created that are still empty: a failed run
    otherwise leaves an empty output folder that looks like a finished one with nothing found.
    ``rmdir`` removes empty folders only, so nothing written is ever lost."""
    created = _folders_to_create(folder)
    try:
        yield
    except BaseException:
        for path in created:
            try:
                path.rmdir()
            except OSError:  # not empty (kept outputs) or never made: its parents stay too
                break
        raise


def main(argv: Optional[List[str]] = None) -> int:
    # Importing torch, scipy and friends creates about a million long-lived objects; with the
    # default thresholds the collector walks them again and again (a large share of a short run's
    # start-up; tools/benchmark.py measures it), and once more at exit. Fewer young-generation passes while running, and freezing
    # the survivors before exit, keep what a short ``yoloxsp predict`` spends outside its frames down.
    gc.set_threshold(50_000, 20, 100)
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        with _no_empty_folder_left(getattr(args, OUTPUT_FOLDERS[args.command]) if args.command in OUTPUT_FOLDERS
                                   else None):
            return int(args.run(args) or 0)
    except (InputError, OSError, KeyboardInterrupt) as error:
        if args.debug:
            traceback.print_exc()
        else:
            print(one_line(error), file=sys.stderr)
        return exit_status(error)
    finally:
        gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
