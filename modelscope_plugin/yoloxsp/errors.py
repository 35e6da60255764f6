"""The package's own error and warning types.

Every problem with user input is raised as an :class:`InputError` (or warned as an
:class:`InputWarning`) whose message names the file and, where it applies, the line, track and
frame, so a user can go straight to the offending spot.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Union

PathLike = Union[str, Path]


def _where(path: Optional[PathLike], line: Optional[int], track: Optional[int],
           frame: Optional[int]) -> str:
    parts = []
    if path is not None:
        parts.append(str(path))
    if line is not None:
        parts.append(f"line {line}")
    if track is not None:
        parts.append(f"track {track}")
    if frame is not None:
        parts.append(f"frame {frame}")
    return ", ".join(parts)


def describe(message: str, path: Optional[PathLike] = None, *, line: Optional[int] = None,
             track: Optional[int] = None, frame: Optional[int] = None) -> str:
    """Format ``message`` prefixed by where it happened: ``file, line 3, track 1, frame 7: ...``."""
    where = _where(path, line, track, frame)
    return f"{where}: {message}" if where else message


class InputError(ValueError):
    """A user-supplied file or value cannot be used; the message says where and why."""

    def __init__(self, message: str, path: Optional[PathLike] = None, *,
                 line: Optional[int] = None, track: Optional[int] = None,
                 frame: Optional[int] = None):
        super().__init__(describe(message, path, line=line, track=track, frame=frame))
        self.path = None if path is None else Path(path)
        self.line, self.track, self.frame = line, track, frame


class CvatFormatError(InputError):
    """A CVAT export is malformed or inconsistent."""


class OutputExistsError(InputError, FileExistsError):
    """An output would replace files the user did not ask to replace (``--overwrite`` does).
    A FileExistsError too, so callers that catch the builtin keep working."""


def first_line(error: BaseException) -> str:
    """The first line of a library's error message (some run to pages: torch lists every backend
    an operator has), or its type's name when it has none: enough for a one-line error."""
    return (str(error).splitlines() or [type(error).__name__])[0]


def note_kept(error: BaseException, kept: str) -> None:
    """Record on ``error`` what the job it stopped kept (``the outputs in out hold frames 0-11``).
    The command line prints it in the error's one line, so a stop is one message rather than a
    stop report followed by an error; a traceback (``--debug``) shows it as a note (PEP 678;
    set directly rather than through ``add_note``, which Python 3.9 and 3.10 lack)."""
    error.__notes__ = [*kept_notes(error), kept]


def kept_notes(error: BaseException) -> List[str]:
    """What :func:`note_kept` recorded on ``error`` (also notes others added), oldest first."""
    return list(getattr(error, "__notes__", []))


class InputWarning(UserWarning):
    """Something in the input was unusual but could be handled; the message says what was done."""
