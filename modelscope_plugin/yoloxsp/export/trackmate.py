"""Tracks as a TrackMate XML file, so a biologist can open, inspect and correct them in Fiji.

TrackMate models a track as spots joined by edges. One spot per spindle per frame sits at the
spindle's centre (midway between the poles, or the box centre when a pole is missing) with a
radius of half the pole-to-pole distance, so the circle Fiji draws spans the spindle. The
measured length and both pole positions travel as declared spot features; the phase results and
check flags of ``tracks.csv`` as declared track features. Positions and radii are in um and times in seconds when
the movie is calibrated, otherwise in pixels and frames (TrackMate's own convention). The detector
and tracker are declared manual ones: TrackMate then lets the user edit spots and links by hand
without re-running any detection. The image is referenced by name, so Fiji opens it beside the
tracks when it is found.
"""
from __future__ import annotations

import math
import numbers
import os
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..analysis.checks import FLAGS, split_flags
from ..errors import PathLike
from ..io.atomic import atomic_path

TRACKMATE_VERSION = "7.11.1"  # the file layout of TrackMate 7, which Fiji ships

# (feature, name, shortname, dimension, isint)
SPOT_FEATURES = [
    ("QUALITY", "Quality", "Quality", "QUALITY", False),
    ("POSITION_X", "X", "X", "POSITION", False),
    ("POSITION_Y", "Y", "Y", "POSITION", False),
    ("POSITION_Z", "Z", "Z", "POSITION", False),
    ("POSITION_T", "T", "T", "TIME", False),
    ("FRAME", "Frame", "Frame", "NONE", True),
    ("RADIUS", "Radius", "R", "LENGTH", False),
    ("VISIBILITY", "Visibility", "Visibility", "NONE", True),
    ("SPINDLE_LENGTH", "Spindle length", "Length", "LENGTH", False),
    ("POLE1_X", "Pole 1 X", "P1 X", "POSITION", False),
    ("POLE1_Y", "Pole 1 Y", "P1 Y", "POSITION", False),
    ("POLE2_X", "Pole 2 X", "P2 X", "POSITION", False),
    ("POLE2_Y", "Pole 2 Y", "P2 Y", "POSITION", False),
]
EDGE_FEATURES = [
    ("SPOT_SOURCE_ID", "Source spot ID", "Source ID", "NONE", True),
    ("SPOT_TARGET_ID", "Target spot ID", "Target ID", "NONE", True),
    ("LINK_COST", "Link cost", "Cost", "NONE", False),
    ("EDGE_TIME", "Edge time", "Edge T", "TIME", False),
]
TRACK_FEATURES = [
    ("TRACK_INDEX", "Track index", "Index", "NONE", True),
    ("TRACK_ID", "Track ID", "ID", "NONE", True),
    ("NUMBER_SPOTS", "Number of spots in track", "N spots", "NONE", True),
    ("TRACK_START", "Track start", "Track start", "TIME", False),
    ("TRACK_STOP", "Track stop", "Track stop", "TIME", False),
    ("TRACK_DURATION", "Track duration", "Duration", "TIME", False),
]
# tracks.csv columns carried as track features: (column, feature, name); units are in the names
# because TrackMate's VELOCITY dimension would mean length per second, not per minute.
TRACK_COLUMNS = [
    ("max_length_um", "MAX_LENGTH_UM", "Maximum length (um)"),
    ("plateau_length_um", "PLATEAU_LENGTH_UM", "Plateau length (um)"),
    ("anaphase_b_rate_um_per_min", "ANAPHASE_B_RATE", "Anaphase B rate (um/min)"),
    ("anaphase_onset_frame", "ANAPHASE_ONSET_FRAME", "Anaphase B onset (frame)"),
    ("formation_min", "FORMATION_MIN", "Formation (min)"),
    ("plateau_min", "PLATEAU_MIN", "Plateau (min)"),
    ("anaphase_b_min", "ANAPHASE_B_MIN", "Anaphase B (min)"),
]
# the check flags of tracks.csv as 0/1 track features, so tracks can be filtered on them in Fiji
FLAG_FEATURES = [(flag, "FLAG_" + flag.upper().replace("-", "_"), f"Flagged: {flag}") for flag in FLAGS]


def write_trackmate(path: PathLike, detections: Sequence[Dict[str, float]], image: PathLike,
                    size: Tuple[int, int], n_frames: int, pixel_size: Optional[float] = None,
                    frame_interval: Optional[float] = None,
                    tracks: Sequence[Dict[str, float]] = ()) -> Path:
    """Write ``detections`` (rows of ``detections.csv``; ``track_id`` links them) as TrackMate XML.

    ``image``: the movie the tracks belong to; ``size``: its (width, height) in pixels;
    ``tracks``: rows of ``tracks.csv`` whose phase columns and check flags (0/1 per flag) become
    track features. A track seen in
    one frame only stays a lone spot (TrackMate's tracks are linked spots). Written under a
    temporary name and renamed when complete.
    """
    scale = pixel_size or 1.0
    step = frame_interval or 1.0
    root = ElementTree.Element("TrackMate", version=TRACKMATE_VERSION)
    model = ElementTree.SubElement(root, "Model", spatialunits="micron" if pixel_size else "pixel",
                                   timeunits="sec" if frame_interval else "frame")
    declarations = ElementTree.SubElement(model, "FeatureDeclarations")
    track_extra = [(c, f, n) for c, f, n in TRACK_COLUMNS if any(c in t for t in tracks)]
    flag_features = FLAG_FEATURES if any("flags" in t for t in tracks) else []
    _declare(declarations, "SpotFeatures", SPOT_FEATURES)
    _declare(declarations, "EdgeFeatures", EDGE_FEATURES)
    _declare(declarations, "TrackFeatures",
             TRACK_FEATURES + [(f, n, f.title(), "NONE", False) for _, f, n in track_extra]
             + [(f, n, f.title(), "NONE", True) for _, f, n in flag_features])

    spots_by_track: Dict[int, List[Tuple[int, float, Dict[str, float]]]] = defaultdict(list)
    spots_by_frame: Dict[int, List[ElementTree.Element]] = defaultdict(list)
    for spot_id, d in enumerate(sorted(detections, key=lambda d: (d["frame"], d["track_id"]))):
        spot = _spot(spot_id, d, scale, step)
        spots_by_frame[int(d["frame"])].append(spot)
        spots_by_track[int(d["track_id"])].append((spot_id, float(d["frame"]), d))
    all_spots = ElementTree.SubElement(model, "AllSpots", nspots=str(len(detections)))
    for frame in sorted(spots_by_frame):
        in_frame = ElementTree.SubElement(all_spots, "SpotsInFrame", frame=str(frame))
        in_frame.extend(spots_by_frame[frame])

    track_info = {int(t["track_id"]): t for t in tracks}
    all_tracks = ElementTree.SubElement(model, "AllTracks")
    filtered = ElementTree.SubElement(model, "FilteredTracks")
    linked = [t for t in sorted(spots_by_track) if len(spots_by_track[t]) > 1]  # a lone spot is no track to TrackMate
    for index, track_id in enumerate(linked):
        members = sorted(spots_by_track[track_id], key=lambda m: m[1])
        start, stop = members[0][1] * step, members[-1][1] * step
        features = {"name": f"Track_{track_id}", "TRACK_INDEX": index, "TRACK_ID": track_id,
                    "NUMBER_SPOTS": len(members), "TRACK_START": start, "TRACK_STOP": stop,
                    "TRACK_DURATION": stop - start}
        for column, feature, _ in track_extra:
            features[feature] = track_info.get(track_id, {}).get(column, math.nan)
        raised = split_flags(track_info.get(track_id, {}).get("flags"))
        for flag, feature, _ in flag_features:
            features[feature] = int(flag in raised)
        track = ElementTree.SubElement(all_tracks, "Track", _text(features))
        for (source, t0, _), (target, t1, _) in zip(members, members[1:]):
            ElementTree.SubElement(track, "Edge", _text({"SPOT_SOURCE_ID": source, "SPOT_TARGET_ID": target,
                                                         "LINK_COST": 0.0, "EDGE_TIME": (t0 + t1) / 2 * step}))
        ElementTree.SubElement(filtered, "TrackID", TRACK_ID=str(track_id))

    _settings(root, Path(image), size, n_frames, scale, step)
    ElementTree.SubElement(root, "GUIState", state="ConfigureViews")
    ElementTree.indent(root)
    path = Path(path)
    with atomic_path(path) as partial:
        ElementTree.ElementTree(root).write(partial, encoding="UTF-8", xml_declaration=True)
    return path


def _declare(parent: ElementTree.Element, tag: str, features: Iterable[tuple]) -> None:
    group = ElementTree.SubElement(parent, tag)
    for feature, name, short, dimension, isint in features:
        ElementTree.SubElement(group, "Feature", feature=feature, name=name, shortname=short, dimension=dimension,
                               isint="true" if isint else "false")


def _spot(spot_id: int, d: Dict[str, float], scale: float, step: float) -> ElementTree.Element:
    poles = [float(d[k]) for k in ("pole1_x", "pole1_y", "pole2_x", "pole2_y")]
    if all(math.isfinite(v) for v in poles):
        x, y = (poles[0] + poles[2]) / 2, (poles[1] + poles[3]) / 2
        radius = math.hypot(poles[2] - poles[0], poles[3] - poles[1]) / 2
    else:
        x, y = (float(d["x1"]) + float(d["x2"])) / 2, (float(d["y1"]) + float(d["y2"])) / 2
        radius = math.hypot(float(d["x2"]) - float(d["x1"]), float(d["y2"]) - float(d["y1"])) / 2
    features = {"ID": spot_id, "name": f"ID{spot_id}", "QUALITY": float(d["score"]), "POSITION_X": x * scale,
                "POSITION_Y": y * scale, "POSITION_Z": 0.0, "POSITION_T": float(d["frame"]) * step,
                "FRAME": int(d["frame"]), "RADIUS": max(radius, 0.5) * scale, "VISIBILITY": 1,
                "SPINDLE_LENGTH": float(d["length_px"]) * scale,
                "POLE1_X": poles[0] * scale, "POLE1_Y": poles[1] * scale,
                "POLE2_X": poles[2] * scale, "POLE2_Y": poles[3] * scale}
    return ElementTree.Element("Spot", _text(features))


def _settings(root: ElementTree.Element, image: Path, size: Tuple[int, int], n_frames: int, scale: float,
              step: float) -> None:
    settings = ElementTree.SubElement(root, "Settings")
    width, height = size
    ElementTree.SubElement(settings, "ImageData", _text({
        "filename": image.name, "folder": str(image.resolve().parent) + os.sep, "width": width, "height": height,
        "nslices": 1, "nframes": n_frames, "pixelwidth": scale, "pixelheight": scale, "voxeldepth": 1.0,
        "timeinterval": step}))
    ElementTree.SubElement(settings, "BasicSettings", _text({
        "xstart": 0, "xend": width - 1, "ystart": 0, "yend": height - 1, "zstart": 0, "zend": 0,
        "tstart": 0, "tend": max(n_frames - 1, 0)}))
    ElementTree.SubElement(settings, "DetectorSettings", DETECTOR_NAME="MANUAL_DETECTOR", RADIUS=_number(scale * 5))
    ElementTree.SubElement(settings, "InitialSpotFilter", feature="QUALITY", value="0.0", isabove="true")
    ElementTree.SubElement(settings, "SpotFilterCollection")
    ElementTree.SubElement(settings, "TrackerSettings", TRACKER_NAME="MANUAL_TRACKER")
    ElementTree.SubElement(settings, "TrackFilterCollection")


def _text(values: Dict[str, object]) -> Dict[str, str]:
    return {key: _number(value) if not isinstance(value, str) else value for key, value in values.items()}


def _number(value) -> str:
    if isinstance(value, numbers.Integral):
        return str(int(value))
    value = float(value)
    return "NaN" if math.isnan(value) else repr(value)
