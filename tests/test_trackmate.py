"""TrackMate XML export, read back by pytrackmate (a TrackMate XML reader from the package index)."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree

import pytest
from pytrackmate import trackmate_peak_import

from yoloxsp.export.trackmate import write_trackmate
from yoloxsp.synth import read_truth

pytestmark = pytest.mark.core


def detection_rows(truth):
    """Ground-truth spindles as rows of detections.csv (what predict writes)."""
    rows = []
    for r in truth:
        (p1x, p1y), (p2x, p2y) = r.spindle.poles
        x1, y1, x2, y2 = r.spindle.box
        rows.append({"frame": r.frame, "track_id": r.spindle.track_id, "score": 0.9, "x1": x1, "y1": y1, "x2": x2,
                     "y2": y2, "pole1_x": p1x, "pole1_y": p1y, "pole2_x": p2x, "pole2_y": p2y,
                     "length_px": r.length_um / 0.15, "length_um": r.length_um})
    return rows


def test_tracks_read_back_with_positions_frames_and_links(small_movie, tmp_path):
    rows = detection_rows(read_truth(small_movie / "ground_truth.csv"))
    rows[0] = {**rows[0], "pole2_x": float("nan"), "pole2_y": float("nan")}  # a missed pole: box centre used
    cells = ["", "long-plateau", float("nan"), "long-plateau;brief"]  # NaN: an empty cell read back from CSV
    tracks = [{"track_id": t, "anaphase_b_rate_um_per_min": 0.5 + t, "flags": cells[t % 4]}
              for t in {r["track_id"] for r in rows}]
    path = write_trackmate(tmp_path / "tracks.xml", rows, small_movie / "stack.tif", (192, 160), 6,
                           pixel_size=0.15, frame_interval=30.0, tracks=tracks)
    spots = trackmate_peak_import(str(path), get_tracks=True)
    assert len(spots) == len(rows)
    ordered = sorted(rows, key=lambda d: (d["frame"], d["track_id"]))  # spot ids follow this order
    for spot, row in zip(spots.sort_values("spot_id").itertuples(), ordered):
        if math.isfinite(row["pole2_x"]):
            x, y = (row["pole1_x"] + row["pole2_x"]) / 2, (row["pole1_y"] + row["pole2_y"]) / 2
        else:
            x, y = (row["x1"] + row["x2"]) / 2, (row["y1"] + row["y2"]) / 2
        assert (spot.x, spot.y) == (pytest.approx(x * 0.15), pytest.approx(y * 0.15))  # um
        assert spot.t_stamp == row["frame"] and spot.t == pytest.approx(row["frame"] * 30.0)  # frame, seconds
    by_label = spots.sort_values("spot_id").groupby("label")["spot_id"].apply(frozenset)
    by_track = {}
    for spot_id, row in enumerate(ordered):
        by_track.setdefault(row["track_id"], set()).add(float(spot_id))
    assert set(by_label) == {frozenset(s) for s in by_track.values()}  # the edges link exactly each track

    root = ElementTree.parse(path).getroot()
    image = root.find("Settings/ImageData").attrib
    assert (image["filename"], image["width"], image["height"], image["nframes"]) == ("stack.tif", "192", "160", "6")
    assert float(image["pixelwidth"]) == 0.15 and float(image["timeinterval"]) == 30.0
    assert root.find("Model").attrib == {"spatialunits": "micron", "timeunits": "sec"}
    for track in root.findall("Model/AllTracks/Track"):
        track_id = int(track.get("TRACK_ID"))
        assert float(track.get("ANAPHASE_B_RATE")) == pytest.approx(0.5 + track_id)
        expected = {0: ("0", "0"), 1: ("1", "0"), 2: ("0", "0"), 3: ("1", "1")}[track_id % 4]
        assert (track.get("FLAG_LONG_PLATEAU"), track.get("FLAG_BRIEF")) == expected
    declared = {f.get("feature"): f.get("isint") for f in root.findall("Model/FeatureDeclarations/TrackFeatures/Feature")}
    assert declared["FLAG_LONG_PLATEAU"] == declared["FLAG_BRIEF"] == "true"
    assert not list(tmp_path.glob("*.partial*"))


def test_uncalibrated_movie_stays_in_pixels_and_frames(small_movie, tmp_path):
    rows = detection_rows(read_truth(small_movie / "ground_truth.csv"))
    tracks = [{"track_id": 0, "max_length_um": math.nan}]  # a table written before the check flags existed
    path = write_trackmate(tmp_path / "tracks.xml", rows, small_movie / "stack.tif", (192, 160), 6, tracks=tracks)
    spots = trackmate_peak_import(str(path))
    first = min(rows, key=lambda d: (d["frame"], d["track_id"]))
    spot = spots.sort_values("spot_id").iloc[0]
    assert spot.x == pytest.approx((first["pole1_x"] + first["pole2_x"]) / 2) and spot.t == first["frame"]
    root = ElementTree.parse(path).getroot()
    assert root.find("Model").attrib == {"spatialunits": "pixel", "timeunits": "frame"}
    declared = [f.get("feature") for f in root.findall("Model/FeatureDeclarations/TrackFeatures/Feature")]
    assert "MAX_LENGTH_UM" in declared and not [f for f in declared if f.startswith("FLAG_")]
