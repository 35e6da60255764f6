"""Write :class:`FrameRecord` lists as "CVAT for video 1.1" or "CVAT for images 1.1" XML.

Used by the synthetic generator, so that generated data go through exactly the reader users'
exports go through. Coordinates are written with two decimals, as CVAT does.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Sequence

from lxml import etree

from ..errors import PathLike
from ..io.atomic import atomic_path
from .records import FrameRecord, Spindle

BOX_LABEL, POLES_LABEL = "microtubule", "poles"


def _fmt(v: float) -> str:
    return f"{v:.2f}"


def _points(spindle: Spindle) -> str:
    return ";".join(f"{_fmt(x)},{_fmt(y)}" for x, y in spindle.poles)


def _box_attrs(box) -> Dict[str, str]:
    return dict(zip(("xtl", "ytl", "xbr", "ybr"), map(_fmt, box)))


def _meta(root, mode: str, n_frames: int, width: int, height: int, task_name: str) -> None:
    task = etree.SubElement(etree.SubElement(root, "meta"), "task")
    etree.SubElement(task, "name").text = task_name
    etree.SubElement(task, "size").text = str(n_frames)
    etree.SubElement(task, "mode").text = mode
    labels = etree.SubElement(task, "labels")
    for name, kind in ((BOX_LABEL, "rectangle"), (POLES_LABEL, "points")):
        label = etree.SubElement(labels, "label")
        etree.SubElement(label, "name").text = name
        etree.SubElement(label, "type").text = kind
    if mode == "interpolation":
        size = etree.SubElement(task, "original_size")
        etree.SubElement(size, "width").text = str(width)
        etree.SubElement(size, "height").text = str(height)


def _write(root, path: PathLike) -> None:
    with atomic_path(path) as partial:
        etree.ElementTree(root).write(str(partial), xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_cvat_video(path: PathLike, records: Sequence[FrameRecord], task_name: str = "task") -> None:
    """Write a video task: one box track per spindle track id, one pole track beside it.

    Frames are ``records`` in order (frame numbers 0..N-1). Each track ends with an
    ``outside="1"`` shape on the frame after its last one, as CVAT does.
    """
    root = etree.Element("annotations")
    etree.SubElement(root, "version").text = "1.1"
    width, height = (records[0].width, records[0].height) if records else (0, 0)
    _meta(root, "interpolation", len(records), width, height, task_name)
    per_track: Dict[int, List[tuple]] = defaultdict(list)
    for record in records:
        for spindle in record.spindles:
            if spindle.track_id is None:
                raise ValueError("CVAT video export needs a track id on every spindle")
            per_track[spindle.track_id].append((record.frame, spindle))
    next_pole_track = 1 + max(per_track, default=-1)
    box_tracks, pole_tracks = [], []
    for track_id in sorted(per_track):
        shapes = sorted(per_track[track_id], key=lambda fs: fs[0])
        box_tracks.append((track_id, "box", shapes))
        pole_tracks.append((next_pole_track, "points", [(f, s) for f, s in shapes if s.poles is not None]))
        next_pole_track += 1
    for track_id, tag, shapes in box_tracks + pole_tracks:
        if not shapes:
            continue
        track = etree.SubElement(root, "track", id=str(track_id),
                                 label=BOX_LABEL if tag == "box" else POLES_LABEL, source="manual")
        for frame, spindle in shapes:
            geometry = _box_attrs(spindle.box) if tag == "box" else {"points": _points(spindle)}
            etree.SubElement(track, tag, frame=str(frame), outside="0", occluded="0", keyframe="1",
                             **geometry, z_order="0")
        last_frame, last = shapes[-1]
        if last_frame + 1 < len(records):
            geometry = _box_attrs(last.box) if tag == "box" else {"points": _points(last)}
            etree.SubElement(track, tag, frame=str(last_frame + 1), outside="1", occluded="0",
                             keyframe="1", **geometry, z_order="0")
    _write(root, path)


def write_cvat_images(path: PathLike, records: Sequence[FrameRecord], task_name: str = "task") -> None:
    """Write an images task: one ``<image>`` per record, named relative to the task's images/."""
    root = etree.Element("annotations")
    etree.SubElement(root, "version").text = "1.1"
    _meta(root, "annotation", len(records), 0, 0, task_name)
    for index, record in enumerate(records):
        image = etree.SubElement(root, "image", id=str(index), name=Path(record.image_path).name,
                                 width=str(record.width), height=str(record.height))
        for spindle in record.spindles:
            etree.SubElement(image, "box", label=BOX_LABEL, source="manual", occluded="0",
                             **_box_attrs(spindle.box), z_order="0")
            if spindle.poles is not None:
                etree.SubElement(image, "points", label=POLES_LABEL, source="manual", occluded="0",
                                 points=_points(spindle), z_order="0")
    _write(root, path)
