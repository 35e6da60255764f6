"""Per-condition results of a batch: ``summary.csv``, ``conditions.csv`` and paper figures.

``summary.csv`` has one row per track with its movie and condition, then every column of the
movie's ``tracks.csv`` (phases and check flags included). ``conditions.csv`` gives per condition
the number of tracks, how many of them raised a flag that doubts the track (``flagged``: a
:data:`~.checks.TRACK_FLAGS` flag), how many anaphase B rates of the other tracks were left out for
a flag that doubts the rate (``n_rates_left_out``: an anaphase B seen in too few lengths or cut by
the movie's end, :data:`~.checks.RATE_FLAGS`), and the median and quartiles of the anaphase B rate,
plateau and maximum length over what is left. The
figures: anaphase B rate per condition, spindle length (plateau and maximum) per condition (box
plots with every track drawn over them and n under each condition), and length over time aligned
at anaphase B onset (one thin line per track, the condition's median in bold).

Conditions come in the order of ``movies`` (the batch passes the manifest's order: a screen is
listed control first, and alphabetical order would put ``cut7`` before ``WT``). Each figure
says its n and what a track needs to count in it: a track is drawn only where it has that
figure's quantity (an anaphase B rate; a plateau; an onset of anaphase B and lengths to align on
it), so the n of two figures can differ; ``conditions.csv`` gives every n.

Units are um and minutes, or px and frames (``units='px'``). A movie that lacks the calibration
for the chosen units keeps its rows in ``summary.csv`` but cannot be drawn or pooled: it is named
in the returned notes instead of being left out silently. Flagged tracks are likewise kept in
``summary.csv`` and counted in ``conditions.csv`` but left out of its statistics and the figures:
a track flag leaves the whole track out, a rate flag only its rate (its plateau, maximum length and
aligned lengths were measured as well as any), and ``include_flagged_rates=True`` keeps those rates
in (the rate figure then says how many it holds).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.checks import RATE_FLAGS, TRACK_FLAGS, flagged
from ..errors import PathLike
from ..export.plots import new_figure
from ..io.atomic import atomic_path

SUMMARY_FILES = ("summary.csv", "conditions.csv", "rates_by_condition.png", "lengths_by_condition.png",
                 "aligned_lengths.png")
# per units: rate, plateau length, max length, per-frame length, time per frame label
UNIT_COLUMNS = {
    "um": {"rate": "anaphase_b_rate_um_per_min", "plateau": "plateau_length_um", "max": "max_length_um",
           "length": "length_um", "rate_label": "anaphase B rate (um/min)", "length_label": "spindle length (um)",
           "time_label": "time from anaphase B onset (min)"},
    "px": {"rate": "anaphase_b_rate_px_per_frame", "plateau": "plateau_length_px", "max": "max_length_px",
           "length": "length_px", "rate_label": "anaphase B rate (px/frame)", "length_label": "spindle length (px)",
           "time_label": "time from anaphase B onset (frames)"},
}


@dataclass
class Summary:
    files: List[Path]
    uncalibrated: List[str]  # movies left out of the figures and conditions.csv for want of calibration


def write_summary(out: PathLike, movies: Sequence[Tuple[str, str]], units: str = "um",
                  include_flagged_rates: bool = False) -> Summary:
    """Write the summary of ``movies`` ((folder name under ``out``, condition) pairs, each folder
    holding ``tracks.csv``, ``detections.csv`` and ``done.json``) into ``out``; conditions in the
    order they first appear in ``movies``. ``include_flagged_rates``: pool the anaphase B rates
    that a rate flag (short or cut anaphase B) would leave out."""
    if units not in UNIT_COLUMNS:
        raise ValueError(f"unknown units {units!r}; choose one of {sorted(UNIT_COLUMNS)}")
    out = Path(out)
    names = UNIT_COLUMNS[units]
    tracks, curves, uncalibrated = _collect(out, movies, units)
    movie_conditions = {name: condition for name, condition in movies if name not in uncalibrated}
    conditions = list(dict.fromkeys(movie_conditions.values()))
    paths = [out / name for name in SUMMARY_FILES]
    _write_csv(tracks, paths[0])
    calibrated = tracks[tracks["calibrated"]] if len(tracks) else tracks
    usable = calibrated[~flagged(calibrated)]
    doubted = _doubted_rates(usable, names["rate"])
    rated = usable if include_flagged_rates else usable[~doubted]
    _write_csv(_per_condition((calibrated, usable, rated), movie_conditions, conditions, names), paths[1])
    _save(_box_figure(rated, conditions, [(names["rate"], names["rate_label"], "an anaphase B rate")],
                      _rates_line(int(doubted.sum()), include_flagged_rates)), paths[2])
    _save(_box_figure(usable, conditions, [(names["plateau"], "plateau " + names["length_label"], "a plateau"),
                                           (names["max"], "maximum " + names["length_label"], "a length")]),
          paths[3])
    _save(_aligned_figure(curves, conditions, names), paths[4])
    return Summary(paths, uncalibrated)


def _collect(out: Path, movies: Sequence[Tuple[str, str]], units: str
             ) -> Tuple[pd.DataFrame, List[dict], List[str]]:
    """All tracks (with movie, condition, calibrated), the aligned curves, the uncalibrated movies."""
    frames, curves, uncalibrated = [], [], []
    for name, condition in movies:
        folder = out / name
        marker = json.loads((folder / "done.json").read_text())
        interval, pixel_size = marker.get("frame_interval"), marker.get("pixel_size")
        calibrated = units == "px" or bool(interval and pixel_size)
        tracks = pd.read_csv(folder / "tracks.csv")
        tracks.insert(0, "condition", condition)
        tracks.insert(0, "movie", name)
        tracks["calibrated"] = calibrated
        frames.append(tracks)
        if not calibrated:
            uncalibrated.append(name)
            continue
        detections = pd.read_csv(folder / "detections.csv")
        minutes = interval / 60.0 if units == "um" else 1.0
        for row, is_flagged in zip(tracks.itertuples(), flagged(tracks)):
            if is_flagged:
                continue
            onset = row.anaphase_onset_frame
            mine = detections[detections["track_id"] == row.track_id].sort_values("frame")
            if math.isfinite(onset) and len(mine):
                curves.append({"condition": condition,
                               "time": (mine["frame"].to_numpy(float) - onset) * minutes,
                               "length": mine[UNIT_COLUMNS[units]["length"]].to_numpy(float)})
    columns = ["movie", "condition"]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns + ["calibrated"])
    return table, curves, sorted(uncalibrated)


def _per_condition(tables: Tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], movie_conditions: Dict[str, str],
                   conditions: List[str], names: Dict[str, str]) -> pd.DataFrame:
    """One row per condition, movies without tracks included (n = 0 is a result too). ``tables``:
    the calibrated tracks, those without a track flag (plateau and length statistics), and those
    whose anaphase B rate is pooled; what lies between them is counted as left out."""
    rows = []
    for condition in conditions:
        tracks, usable, rated = (t[t["condition"] == condition] if len(t) else t for t in tables)
        row = {"condition": condition, "movies": sum(c == condition for c in movie_conditions.values()),
               "tracks": len(tracks), "flagged": len(tracks) - len(usable),
               "n_rates_left_out": len(_values(usable, names["rate"])) - len(_values(rated, names["rate"]))}
        for key, table in (("rate", rated), ("plateau", usable), ("max", usable)):
            values = _values(table, names[key])
            row[f"n_{names[key]}"] = len(values)
            for label, q in (("q25", 25), ("median", 50), ("q75", 75)):
                row[f"{label}_{names[key]}"] = float(np.percentile(values, q)) if len(values) else math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=None if rows else ["condition", "movies", "tracks", "flagged",
                                                         "n_rates_left_out"])


def _doubted_rates(tracks: pd.DataFrame, column: str) -> np.ndarray:
    """Which tracks have an anaphase B rate (in ``column``) and a rate flag against it."""
    has_rate = np.isfinite(tracks[column].to_numpy(float)) if column in tracks.columns else np.zeros(len(tracks), bool)
    return flagged(tracks, RATE_FLAGS) & has_rate


def _rates_line(count: int, included: bool) -> str:
    """The rate figure's line on the rates a rate flag doubts: left out, or kept on request."""
    return f"{'kept' if included else 'left out'}: {count} rate(s) of a short or cut anaphase B;"


def n_note(needs: str, more: str = "") -> str:
    """What n counts in a figure (``more``: a line on what else it leaves out or keeps), and why it
    can differ from another figure's n; in lines that fit the narrowest figure."""
    lines = [f"n = tracks with {needs},", f"none flagged {' or '.join(TRACK_FLAGS)};", more,
             "n differs between plots: a track counts only where it has",
             "what the plot shows (conditions.csv gives every count)"]
    return "\n".join(line for line in lines if line)


def _box_figure(tracks: pd.DataFrame, conditions: List[str], panels: List[Tuple[str, str, str]],
                more: str = "") -> Figure:
    """One panel per column: a box per condition, every track as a jittered dot, n under the box
    and what it counts in the panel's title (``more``: see :func:`n_note`)."""
    figure = new_figure(figsize=(3.2 + 1.2 * max(1, len(conditions)), 3.8 * len(panels)), dpi=120)
    rng = np.random.default_rng(0)  # fixed jitter: the same data give the same figure
    for i, (column, label, needs) in enumerate(panels):
        axes = figure.add_subplot(len(panels), 1, i + 1)
        values = [_values(tracks[tracks["condition"] == c], column) for c in conditions]
        shown = [v if len(v) else np.array([np.nan]) for v in values]
        if conditions:
            axes.boxplot(shown, widths=0.5, showfliers=False, medianprops={"color": "black"})
            for j, v in enumerate(values, 1):
                axes.plot(j + rng.uniform(-0.12, 0.12, len(v)), v, "o", ms=4, alpha=0.6, color=f"C{(j - 1) % 10}")
            axes.set_xticks(range(1, len(conditions) + 1),
                            [f"{c}\nn={len(v)}" for c, v in zip(conditions, values)])
        else:
            axes.text(0.5, 0.5, "no finished movie", ha="center", va="center", transform=axes.transAxes)
        axes.set_ylabel(label)
        axes.set_title(n_note(needs, more), fontsize="x-small")
        axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return figure


def _values(tracks: pd.DataFrame, column: str) -> np.ndarray:
    """The finite values of ``column`` (none when no movie had a track to give the column)."""
    values = tracks[column].to_numpy(float) if column in tracks.columns else np.array([])
    return values[np.isfinite(values)]


def _aligned_figure(curves: List[dict], conditions: List[str], names: Dict[str, str]) -> Figure:
    """Length over time from anaphase B onset; a condition's colour is its place in ``conditions``
    (as in the box figures), and conditions without a curve are left out of the legend."""
    figure = new_figure(figsize=(7, 4), dpi=120)
    axes = figure.add_subplot()
    colours = {c: f"C{i % 10}" for i, c in enumerate(conditions)}
    conditions = [c for c in conditions if any(curve["condition"] == c for curve in curves)]
    for curve in curves:
        axes.plot(curve["time"], curve["length"], color=colours[curve["condition"]], alpha=0.3, lw=0.8)
    for condition in conditions:
        mine = [c for c in curves if c["condition"] == condition]
        time, median = _median_curve(mine)
        axes.plot(time, median, color=colours[condition], lw=2.5, label=f"{condition} (n={len(mine)})")
    axes.axvline(0.0, color="grey", ls="--", lw=1)
    axes.set_xlabel(names["time_label"])
    axes.set_ylabel(names["length_label"])
    axes.set_title(n_note("an anaphase B onset"), fontsize="x-small")
    if conditions:
        axes.legend(fontsize="small")
    else:
        axes.text(0.5, 0.5, "no track with an anaphase B onset", ha="center", va="center", transform=axes.transAxes)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def _median_curve(curves: List[dict]) -> Tuple[np.ndarray, np.ndarray]:
    """Median length in time bins one frame step wide (the finest common step of the curves)."""
    times = np.concatenate([c["time"] for c in curves])
    lengths = np.concatenate([c["length"] for c in curves])
    steps = [np.diff(c["time"]).min() for c in curves if len(c["time"]) > 1]
    step = min(steps) if steps else 1.0
    bins = np.round(times / step).astype(int)
    keep = np.isfinite(lengths)
    centres = np.unique(bins[keep])
    return centres * step, np.array([np.median(lengths[keep & (bins == b)]) for b in centres])


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as partial:
        table.to_csv(partial, index=False, float_format="%.6g")


def _save(figure: Figure, path: Path) -> None:
    with atomic_path(path) as partial:
        figure.savefig(partial)
