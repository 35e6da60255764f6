"""The tables ``yoloxsp predict`` writes, as pandas DataFrames: ``detections.csv`` (one row per
spindle per frame) and ``tracks.csv`` (one row per track, phases and check flags included),
floats to 3 decimals.

``detections.csv`` is written to the file as each frame finishes, so a crash or a kill keeps the
finished frames. It starts under a temporary name and takes the real name once its
first frame is written: a run that fails before that leaves an earlier table as it was.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import pandas as pd

from ..analysis.checks import CHECK_COLUMNS
from ..analysis.measure import DETECTION_COLUMNS, TRACK_COLUMNS
from ..analysis.phases import PHASE_COLUMNS
from ..errors import PathLike
from ..io.atomic import AtomicPath, atomic_path

CSV_OPTIONS = {"index": False, "float_format": "%.3f", "na_rep": "nan"}


def detections_table(rows: Sequence[Dict[str, float]]) -> pd.DataFrame:
    """The rows of :func:`~yoloxsp.analysis.measure.detection_rows` as the ``detections.csv`` table."""
    return pd.DataFrame(list(rows), columns=DETECTION_COLUMNS)


def tracks_table(rows: Sequence[Dict[str, object]]) -> pd.DataFrame:
    """The rows of :func:`~yoloxsp.analysis.checks.with_flags` as the ``tracks.csv`` table."""
    return pd.DataFrame(list(rows), columns=TRACK_COLUMNS + PHASE_COLUMNS + CHECK_COLUMNS)


def write_table(table: pd.DataFrame, path: PathLike) -> Path:
    """Write ``table`` as CSV under a temporary name, then rename it to ``path``."""
    with atomic_path(path) as partial:
        table.to_csv(partial, **CSV_OPTIONS)
    return Path(path)


def _csv_line(row: Dict[str, object]) -> str:
    """One row of ``detections.csv`` as ``to_csv(**CSV_OPTIONS)`` writes it (floats to 3 decimals,
    ``nan`` where unknown), formatted directly: a DataFrame per frame cost more than the frame's
    ends fit. Its values are numbers and the ``poles_from`` words, which need no quoting."""
    cells = []
    for column in DETECTION_COLUMNS:
        value = row[column]
        if isinstance(value, (float, np.floating)):
            cells.append("nan" if value != value else CSV_OPTIONS["float_format"] % value)
        else:
            cells.append(str(value))
    return ",".join(cells) + "\n"


class DetectionsWriter:
    """``with DetectionsWriter(path) as table: table.write(frame_rows)`` for each frame in order.

    :attr:`frames` counts the frames written in full, and a stop (Ctrl-C, an error) cuts the file
    back to them: a frame the stop caught half written, or written but not yet counted, is not
    left in the file, so the table and the summaries made from :attr:`frames` hold the same
    frames. Each frame goes straight to the file (no buffer of ours), so the cut needs no flush
    that a full disk could refuse.
    """

    def __init__(self, path: PathLike):
        self._staged = AtomicPath(path)
        # (frames, bytes) written in full: one assignment, so never half updated
        self._whole: Tuple[int, int] = (0, 0)

    @property
    def frames(self) -> int:
        """Frames written in full and counted."""
        return self._whole[0]

    def __enter__(self) -> "DetectionsWriter":
        self._handle = open(self._staged.path, "wb", buffering=0)
        try:
            self._append(detections_table([]).to_csv(**CSV_OPTIONS))  # the header
            self._whole = (0, self._handle.tell())
        except BaseException:
            self._handle.close()
            self._staged.discard()
            raise
        return self

    def write(self, rows: List[Dict[str, float]]) -> None:
        """Append one frame's rows (none is fine), in the file when this returns."""
        self._append("".join(_csv_line(row) for row in rows))
        first = not self.frames
        self._whole = (self.frames + 1, self._handle.tell())
        if first:
            self._staged.commit()  # the open handle follows the rename: later frames append

    def _append(self, text: str) -> None:
        data = memoryview(text.encode())
        while data:
            data = data[self._handle.write(data):]

    def __exit__(self, error_type, error, traceback) -> None:
        try:
            if error_type is not None:
                os.ftruncate(self._handle.fileno(), self._whole[1])
        finally:
            self._handle.close()
            if self.frames or error_type is None:  # a table holding frames, or a whole run of none
                if self._staged.path.exists():  # not yet published: no frame, or stopped while publishing the first
                    self._staged.commit()
            else:
                self._staged.discard()
