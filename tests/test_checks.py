"""Track checks: which length histories are flagged, what a batch summary does with flagged tracks,
and the whole chain on a one-channel crop movie whose false detections started the checks."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pandas as pd
import pytest

from yoloxsp.post.checks import MAX_PLATEAU_UM, flagged, flags_of, track_flags, with_flags
from yoloxsp.post.summary import write_summary
from yoloxsp.post.tables import tracks_table, write_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from validate_track_checks import detection_hits  # noqa: E402

pytestmark = pytest.mark.core


def _track(first: int, last: int, plateau_um: float = 2.8, onset: float = math.nan) -> dict:
    return {"track_id": 0, "first_frame": first, "last_frame": last, "n_frames": last - first + 1,
            "plateau_length_um": plateau_um, "anaphase_onset_frame": onset}


@pytest.mark.parametrize("track, flags", [
    (_track(0, 30), []),                                           # a metaphase spindle held for 30 frames
    (_track(0, 30, plateau_um=9.0), ["long-plateau"]),             # 9 um, never elongating
    (_track(0, 30, plateau_um=9.0, onset=12.0), []),               # ... unless it went into anaphase B
    (_track(5, 6, plateau_um=9.0), ["brief"]),                     # two frames hold nothing, but are brief
    (_track(0, 30, plateau_um=math.nan), []),                      # no pixel size: no length in um to judge
    (_track(0, 30, plateau_um=MAX_PLATEAU_UM), []),
    (_track(10, 11), ["brief"]),                                   # two frames mid-movie
    (_track(10, 12), []),                                          # three frames
    (_track(0, 1), []),                                            # cut by the movie's start...
    (_track(38, 39), []),                                          # ... or its end: it may be longer
    (_track(12, 12, plateau_um=7.0), ["brief"]),
    (_track(3, 39, plateau_um=7.0), ["long-plateau"]),
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


def test_tables_written_before_the_checks_count_no_flags(tmp_path):
    _movie_folder(tmp_path, "old", [(2.6, ""), (9.5, "")])
    tracks = pd.read_csv(tmp_path / "old" / "tracks.csv").drop(columns="flags")
    tracks.to_csv(tmp_path / "old" / "tracks.csv", index=False)
    write_summary(tmp_path, [("old", "wt")])
    conditions = pd.read_csv(tmp_path / "conditions.csv").iloc[0]
    assert (conditions["tracks"], conditions["flagged"], conditions["n_plateau_length_um"]) == (2, 0, 2)


def test_the_crop_movie_whose_interphase_array_was_reported_keeps_its_spindle_track_clean(tmp_path):
    """The bundled model reports the interphase array of one held-out crop movie as a ~11 um spindle
    in the frames before mitosis. The spindle that then forms in the same place is its own track,
    unflagged, with its anaphase B found; every flagged track there is a false one."""
    from yoloxsp.model.backends import Predictor
    from yoloxsp.model.resolve import open_backend
    from yoloxsp.post.analyse import analyse_movie
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
    assert spindle["flags"] == "" and math.isfinite(spindle["anaphase_onset_frame"])
    assert spindle["plateau_length_um"] <= MAX_PLATEAU_UM
    false_tracks = detections["track_id"][~on_spindle]
    array_track = false_tracks.value_counts().idxmax()  # the interphase array, frame after frame
    assert "long-plateau" in tracks.loc[array_track, "flags"]
    flagged_tracks = set(tracks.index[flagged(analysis.tracks)])
    assert array_track in flagged_tracks and flagged_tracks <= set(false_tracks)
    assert f"track(s), {len(flagged_tracks)} flagged for a look" in analysis.summary()
