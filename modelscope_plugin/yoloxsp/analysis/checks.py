"""Checks on a track's length history: tracks no fission-yeast spindle makes, and anaphase B rates
measured on too little, flagged for a look.

A spindle forms, holds ~2.5-3 um (phase 2), elongates in anaphase B and breaks down, over tens of
minutes. Two kinds of track break that pattern, and both were what the model's false detections
made of single-cell one-channel movies:

- ``long-plateau``: a length that holds far above a metaphase spindle's and never enters anaphase
  B (a rise over fewer than :data:`MIN_ANAPHASE_B_POINTS` last lengths, or one slower than
  :data:`MIN_ANAPHASE_B_RATE_UM_PER_MIN`, does not count as one). An interphase array or a bright straight bundle reported as a spindle stays in its cell,
  unchanged, for many frames.
- ``brief``: a track that begins after the movie's first frame and ends before its last, yet lasts
  fewer than :data:`MIN_TRACK_FRAMES` frames: a whole mitosis cannot fit. A spindle missed for
  more frames than the linking memory also leaves such pieces.

Two more flags (:data:`RATE_FLAGS`) doubt only a track's anaphase B rate, not the track:

- ``short-anaphase-b``: the rate rests on fewer than :data:`MIN_ANAPHASE_B_POINTS` lengths.
- ``anaphase-b-cut``: the track has an anaphase B rate and reaches the movie's last frame: the
  spindle was still elongating when the movie ended, and its breakdown was not seen. The rate
  can be measured, but only over the part of the elongation the movie caught, which differs from
  movie to movie: any change of speed within anaphase B would make cut rates depend on where each
  movie happened to end. Per-condition statistics therefore compare whole anaphases by default.

A flag asks for a look; it is not a verdict (a mutant can hold a long spindle). Flagged tracks
keep every row in the tables. The per-condition summaries of a batch leave tracks with a
:data:`TRACK_FLAGS` flag out of all statistics, and rates with a :data:`RATE_FLAGS` flag out of the
rate statistics (unless asked to include them), and count both.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Collection, Dict, List

import numpy as np

from .phases import MAX_PLATEAU_UM

if TYPE_CHECKING:  # tables are handed in; reading the flags needs no pandas
    import pandas as pd

LONG_PLATEAU = "long-plateau"
BRIEF = "brief"
SHORT_ANAPHASE_B = "short-anaphase-b"
ANAPHASE_B_CUT = "anaphase-b-cut"
TRACK_FLAGS = (LONG_PLATEAU, BRIEF)              # the track may be no spindle
RATE_FLAGS = (SHORT_ANAPHASE_B, ANAPHASE_B_CUT)  # the spindle's anaphase B rate is not a whole one
FLAGS = TRACK_FLAGS + RATE_FLAGS
CHECK_COLUMNS = ["flags"]
# detections a track needs before its length counts as held (a single frame holds nothing)
MIN_PLATEAU_DETECTIONS = 3
# frames a track spans at least when it is a whole mitosis (which lasts tens of minutes)
MIN_TRACK_FRAMES = 3
# lengths an anaphase B rate needs: a line through 5 has 3 to spare, so one wrong length (a pole on
# the wrong dot) is outvoted and down-weighted by the robust fit; through 3 or 4 it sets the slope
MIN_ANAPHASE_B_POINTS = 5
# um/min: fission-yeast spindles elongate in anaphase B at ~0.5-1 um/min; a fifth of the slowest
MIN_ANAPHASE_B_RATE_UM_PER_MIN = 0.1


def track_flags(track: Dict[str, float], n_frames: int) -> List[str]:
    """The :data:`FLAGS` that ``track`` (a ``tracks.csv`` row, phases included) raises in a movie of
    ``n_frames`` frames. ``long-plateau`` needs the pixel size (the plateau in um); the rate flags
    judge the rate in px per frame, which needs no calibration."""
    flags = []
    # a rise slower than any anaphase B is a held length that wobbles: its length is what it holds
    slow = track["anaphase_b_rate_um_per_min"] < MIN_ANAPHASE_B_RATE_UM_PER_MIN
    held_um = track["plateau_length_um"] if math.isfinite(track["plateau_length_um"]) else \
        track["max_length_um"] if slow else math.nan
    whole_anaphase = math.isfinite(track["anaphase_onset_frame"]) and not slow and \
        track["anaphase_b_points"] >= MIN_ANAPHASE_B_POINTS  # a few last lengths rising are no anaphase B
    if (track["n_frames"] >= MIN_PLATEAU_DETECTIONS and math.isfinite(held_um) and held_um > MAX_PLATEAU_UM
            and not whole_anaphase):
        flags.append(LONG_PLATEAU)
    inside = track["first_frame"] > 0 and track["last_frame"] < n_frames - 1
    if inside and track["last_frame"] - track["first_frame"] + 1 < MIN_TRACK_FRAMES:
        flags.append(BRIEF)
    if math.isfinite(track["anaphase_b_rate_px_per_frame"]):
        if track["anaphase_b_points"] < MIN_ANAPHASE_B_POINTS:
            flags.append(SHORT_ANAPHASE_B)
        if track["last_frame"] >= n_frames - 1:
            flags.append(ANAPHASE_B_CUT)
    return flags


def with_flags(tracks: List[Dict[str, float]], n_frames: int) -> List[Dict[str, object]]:
    """``tracks`` with the ``flags`` column: the raised flags joined by ``;``, empty when none."""
    return [{**track, "flags": ";".join(track_flags(track, n_frames))} for track in tracks]


def split_flags(cell: object) -> List[str]:
    """The flags in one ``flags`` cell (read back from CSV an empty cell is NaN, not a string)."""
    return [flag for flag in cell.split(";") if flag] if isinstance(cell, str) else []


def flags_of(table: pd.DataFrame) -> List[List[str]]:
    """The flags of each row of a track table, in memory or read back from CSV (a table written
    before the checks existed has no column, and no flags)."""
    if "flags" not in table.columns:
        return [[] for _ in range(len(table))]
    return [split_flags(cell) for cell in table["flags"]]


def flagged(table: pd.DataFrame, among: Collection[str] = TRACK_FLAGS) -> np.ndarray:
    """Which rows of a track table raised a flag ``among`` those given; by default a flag that
    doubts the track itself, what "flagged" meant before the rate flags came."""
    return np.array([any(flag in among for flag in flags) for flags in flags_of(table)], bool)
