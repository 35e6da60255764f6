"""Track checks: which length histories are flagged, what a batch summary does with flagged tracks,
and the whole chain on a one-channel crop movie whose false detections started the checks."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import List

import numpy as np
import pandas as pd
import pytest

from yoloxsp.analysis.checks import MAX_PLATEAU_UM, flagged, flags_of, track_flags, with_flags
from yoloxsp.batch import summary
from yoloxsp.analysis.measure import track_rows
from yoloxsp.analysis.phases import with_phases
from yoloxsp.batch.summary import write_summary
from yoloxsp.export.tables import tracks_table, write_table
from yoloxsp.metrics.boxes import pairwise_iou
from yoloxsp.synth.scene import SpindleProgram

pytestmark = pytest.mark.core


def _track(first: int, last: int, plateau_um: float = 2.8, onset: float = math.nan) -> dict:
    """A track row; with an onset, anaphase B lasts from it to the track's end, a length per frame."""
    points = last - math.floor(onset) if math.isfinite(onset) else 0
    return {"track_id": 0, "first_frame": first, "last_frame": last, "n_frames": last - first + 1,
            "plateau_length_um": plateau_um, "anaphase_onset_frame": onset, "anaphase_b_points": points,
            "anaphase_b_rate_px_per_frame": 2.0 if points else math.nan,
            "anaphase_b_rate_um_per_min": 0.6 if points else math.nan, "max_length_um": 10.0}


@pytest.mark.parametrize("track, flags", [
    (_track(0, 30), []),                                           # a metaphase spindle held for 30 frames
    (_track(0, 30, plateau_um=9.0), ["long-plateau"]),             # 9 um, never elongating
    (_track(0, 30, plateau_um=9.0, onset=12.0), []),               # ... unless it went into anaphase B
    (_track(0, 30, plateau_um=9.0, onset=27.0), ["long-plateau", "short-anaphase-b"]),  # 3 rising lengths: none
    (_track(5, 6, plateau_um=9.0), ["brief"]),                     # two frames hold nothing, but are brief
    (_track(0, 30, plateau_um=math.nan), []),                      # no pixel size: no length in um to judge
    (_track(0, 30, plateau_um=MAX_PLATEAU_UM), []),
    (_track(10, 11), ["brief"]),                                   # two frames mid-movie
    (_track(10, 12), []),                                          # three frames
    (_track(0, 1), []),                                            # cut by the movie's start...
    (_track(38, 39), []),                                          # ... or its end: it may be longer
    (_track(12, 12, plateau_um=7.0), ["brief"]),
    (_track(3, 39, plateau_um=7.0), ["long-plateau"]),
    (_track(0, 30, onset=25.0), []),                               # anaphase B in 5 lengths, breakdown seen
    (_track(0, 30, onset=27.0), ["short-anaphase-b"]),             # ... in 3
    (_track(0, 39, onset=20.0), ["anaphase-b-cut"]),               # still elongating in the last frame
    (_track(0, 39, onset=37.0), ["short-anaphase-b", "anaphase-b-cut"]),
    ({**_track(0, 20), "anaphase_b_points": 21, "anaphase_b_rate_px_per_frame": 1.5}, []),  # began in anaphase B
    ({**_track(0, 39, plateau_um=math.nan), "anaphase_b_points": 40, "anaphase_b_rate_px_per_frame": 0.3,
      "anaphase_b_rate_um_per_min": 0.02, "max_length_um": 12.0}, ["long-plateau", "anaphase-b-cut"]),  # 12 um, wobbling
])
def test_flags_of_length_histories(track, flags):
    assert track_flags(track, n_frames=40) == flags


def test_flags_column_reads_back_from_csv_whatever_it_holds(tmp_path):
    rows = with_flags([_track(0, 30), {**_track(10, 11, plateau_um=8.0), "track_id": 1}], n_frames=40)
    assert [row["flags"] for row in rows] == ["", "brief"]
    rows.append({**_track(0, 30, plateau_um=8.0), "track_id": 2, "flags": "long-plateau;brief"})
    table = tracks_table(rows)
    write_table(table, tmp_path / "tracks.csv")
    for read in (table, pd.read_csv(tmp_path / "tracks.csv")):  # empty cells come back as NaN
        assert flags_of(read) == [[], ["brief"], ["long-plateau", "brief"]]
        assert flagged(read).tolist() == [False, True, True]
    without = pd.read_csv(tmp_path / "tracks.csv").drop(columns="flags")  # written before the checks
    assert flagged(without).tolist() == [False] * 3


def _movie_folder(out, name: str, plateaus_and_flags, rate: float = 0.8) -> None:
    folder = out / name
    folder.mkdir(parents=True)
    rows = [{"track_id": i, "first_frame": 0, "last_frame": 30, "n_frames": 31, "max_length_px": 100.0,
             "max_length_um": 10.0, "elongation_rate_um_per_min": rate, "anaphase_onset_frame": math.nan,
             "plateau_length_um": plateau, "anaphase_b_rate_um_per_min": rate, "flags": flags}
            for i, (plateau, flags) in enumerate(plateaus_and_flags)]
    write_table(tracks_table(rows), folder / "tracks.csv")
    pd.DataFrame(columns=["frame", "track_id", "length_um"]).to_csv(folder / "detections.csv", index=False)
    (folder / "done.json").write_text(json.dumps({"pixel_size": 0.1, "frame_interval": 30.0}))


def test_summary_counts_flagged_tracks_and_leaves_them_out_of_the_statistics(tmp_path):
    _movie_folder(tmp_path, "a", [(2.6, ""), (2.8, ""), (9.5, "long-plateau")])
    _movie_folder(tmp_path, "b", [(3.0, ""), (11.0, "long-plateau;brief")])
    write_summary(tmp_path, [("a", "wt"), ("b", "wt")])
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert len(summary) == 5                                       # every track is kept in the table
    conditions = pd.read_csv(tmp_path / "conditions.csv").iloc[0]
    assert (conditions["tracks"], conditions["flagged"]) == (5, 2)
    assert conditions["median_plateau_length_um"] == pytest.approx(2.8)
    assert conditions["n_plateau_length_um"] == 3


def _spindle(start: float, rate: float, max_length: float) -> SpindleProgram:
    """A generator spindle from ``start`` (min): 2 min of formation, 6 min at 2.8 um, then anaphase B."""
    return SpindleProgram(track_id=0, start=start, formation=2.0, plateau=6.0, rate=rate, start_length=0.7,
                          plateau_length=2.8, max_length=max_length, tilt=0.0, offset=0.0, bend=0.0, hook=0.0,
                          dimming=0.0, red_peak=1.0, green_peak=1.0)


def _analysed_folder(folder: Path, spindles: List[SpindleProgram], frames: int = 40, interval: float = 30.0,
                     pixel_size: float = 0.1) -> pd.DataFrame:
    """A movie folder as ``predict`` leaves it, from the generator's exact lengths of ``spindles``
    (one track each) through the phase fit and the checks; its track table."""
    detections = [{"frame": f, "track_id": i, "length_px": state[1] / pixel_size, "length_um": state[1]}
                  for i, spindle in enumerate(spindles) for f in range(frames)
                  for state in [spindle.state(f * interval / 60.0)] if state]
    phased = with_phases(track_rows(detections, interval), detections, frames, pixel_size, interval)
    tracks = tracks_table(with_flags(phased, frames))
    folder.mkdir(parents=True)
    write_table(tracks, folder / "tracks.csv")
    pd.DataFrame(detections).to_csv(folder / "detections.csv", index=False)
    (folder / "done.json").write_text(json.dumps({"pixel_size": pixel_size, "frame_interval": interval}))
    return tracks


def test_short_and_cut_anaphases_are_flagged_and_their_rates_left_out_and_counted(tmp_path, monkeypatch):
    """Three spindles at 30 s frames in a 40-frame movie, anaphase B onset at frame 18.2 or 30.4:
    elongating to breakdown after frame 27 (0.7 um/min), for 3 frames only (0.5 um/min), and until
    the movie's end (1.0 um/min). The last two rates are flagged and left out of the condition's rate
    statistics, counted in conditions.csv and the rate figure; their plateaus and aligned lengths
    still count."""
    tracks = _analysed_folder(tmp_path / "a", [_spindle(1.1, 0.7, 6.1), _spindle(1.1, 0.5, 3.6),
                                               _spindle(7.2, 1.0, 11.0)])
    assert list(tracks["flags"].fillna("")) == ["", "short-anaphase-b", "anaphase-b-cut"]
    assert list(tracks["anaphase_b_points"]) == [9, 3, 9]
    assert tracks["anaphase_b_rate_um_per_min"].to_numpy() == pytest.approx([0.7, 0.5, 1.0], rel=1e-3)

    figures = {}
    monkeypatch.setattr(summary, "_save", lambda figure, path: figures.update({path.name: figure}))
    write_summary(tmp_path, [("a", "wt")])
    conditions = pd.read_csv(tmp_path / "conditions.csv").iloc[0]
    assert (conditions["tracks"], conditions["flagged"], conditions["n_rates_left_out"]) == (3, 0, 2)
    assert conditions["n_anaphase_b_rate_um_per_min"] == 1
    assert conditions["median_anaphase_b_rate_um_per_min"] == pytest.approx(0.7, rel=1e-3)
    assert conditions["n_plateau_length_um"] == 3
    assert len(pd.read_csv(tmp_path / "summary.csv")) == 3
    rates = figures["rates_by_condition.png"].axes[0]
    assert [t.get_text() for t in rates.get_xticklabels()] == ["wt\nn=1"]
    assert "left out: 2 rate(s) of a short or cut anaphase B" in rates.get_title()
    aligned = figures["aligned_lengths.png"].axes[0]
    assert [t.get_text() for t in aligned.get_legend().get_texts()] == ["wt (n=3)"]

    write_summary(tmp_path, [("a", "wt")], include_flagged_rates=True)
    conditions = pd.read_csv(tmp_path / "conditions.csv").iloc[0]
    assert (conditions["n_rates_left_out"], conditions["n_anaphase_b_rate_um_per_min"]) == (0, 3)
    assert conditions["q25_anaphase_b_rate_um_per_min"] == pytest.approx(0.6, rel=1e-3)
    assert "kept: 2 rate(s) of a short or cut anaphase B" in figures["rates_by_condition.png"].axes[0].get_title()


def test_tables_written_before_the_checks_count_no_flags(tmp_path):
    _movie_folder(tmp_path, "old", [(2.6, ""), (9.5, "")])
    tracks = pd.read_csv(tmp_path / "old" / "tracks.csv").drop(columns="flags")
    tracks.to_csv(tmp_path / "old" / "tracks.csv", index=False)
    write_summary(tmp_path, [("old", "wt")])
    conditions = pd.read_csv(tmp_path / "conditions.csv").iloc[0]
    assert (conditions["tracks"], conditions["flagged"], conditions["n_plateau_length_um"]) == (2, 0, 2)
    assert conditions["n_rates_left_out"] == 0


def test_the_crop_movie_whose_interphase_array_was_reported_keeps_its_spindle_track_clean(tmp_path):
    """The bundled model reports the interphase array of one held-out crop movie as a ~11 um spindle
    in the frames before mitosis. The spindle that then forms in the same place is its own track,
    with no track flag and its anaphase B found (two frames before the movie ends: its rate is
    flagged short and cut); every track-flagged track there is a false one."""
    from yoloxsp.model.backends import Predictor
    from yoloxsp.model.resolve import open_backend
    from yoloxsp.movie import analyse_movie
    from yoloxsp.synth import read_truth, write_movie
    from yoloxsp.synth.sets import crop_movie_configs

    config = crop_movie_configs(2)[1]
    assert config.seed == 20_100_002
    movie = write_movie(tmp_path / "movie", config)
    analysis = analyse_movie(movie / "stack.tif", tmp_path / "out", Predictor(open_backend("yoloxsp")),
                             overlay="none", progress=False)
    truth = read_truth(movie / "ground_truth.csv")
    detections = analysis.detections
    on_spindle = detection_hits(detections, truth)
    spindle_tracks = set(detections["track_id"][on_spindle])
    assert len(spindle_tracks) == 1 and on_spindle.sum() >= 0.9 * len(truth)
    tracks = analysis.tracks.set_index("track_id")
    spindle = tracks.loc[spindle_tracks.pop()]
    assert spindle["flags"] == "short-anaphase-b;anaphase-b-cut" and math.isfinite(spindle["anaphase_onset_frame"])
    assert spindle["plateau_length_um"] <= MAX_PLATEAU_UM
    false_tracks = detections["track_id"][~on_spindle]
    array_track = false_tracks.value_counts().idxmax()  # the interphase array, frame after frame
    assert "long-plateau" in tracks.loc[array_track, "flags"]
    flagged_tracks = set(tracks.index[flagged(analysis.tracks)])  # by a track flag
    assert array_track in flagged_tracks and flagged_tracks <= set(false_tracks)
    assert f"track(s), {len(flagged_tracks)} flagged for a look" in analysis.summary()


def detection_hits(detections: pd.DataFrame, truth) -> np.ndarray:
    """Per row of ``detections`` (``detections.csv``'s columns): does it overlap a true spindle of
    its frame (``read_truth`` rows) at IoU >= 0.5? Tells the spindle's track from false ones."""
    boxes = {}
    for row in truth:
        boxes.setdefault(row.frame, []).append(row.spindle.box)
    hits = np.zeros(len(detections), bool)
    for frame, rows in detections.groupby("frame", sort=False):
        iou = pairwise_iou(rows[["x1", "y1", "x2", "y2"]].to_numpy(float),
                           np.asarray(boxes.get(frame, []), float).reshape(-1, 4))
        if iou.size:
            hits[detections.index.get_indexer(rows.index)] = iou.max(axis=1) >= 0.5
    return hits
