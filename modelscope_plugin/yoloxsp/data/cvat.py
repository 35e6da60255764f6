"""Read "CVAT for video 1.1" and "CVAT for images 1.1" exports into :class:`FrameRecord` lists.

Pole pairs come as a ``points`` shape holding both poles, or as a CVAT skeleton (current CVAT's
way of linking keypoints: a skeleton label whose two ``points`` elements are the poles). A video
task may cover part of a video, every n-th frame (``start_frame``, ``frame_filter step=n``):
its frames keep the video's frame numbers, which are also its images' names.

Accepted layouts: a task folder (``annotations.xml`` or ``annotation.xml`` plus its images), the
zip CVAT produces for it, or a folder holding several such task folders or zips (the upstream
multi-task layout). Problems that can be handled (unknown labels, unpaired boxes or poles, boxes
sticking out of the image, tracks that re-enter after leaving) are warned about with an
:class:`~yoloxsp.errors.InputWarning` and listed in :attr:`CvatExport.problems`; anything that
makes the export unusable raises :class:`~yoloxsp.errors.CvatFormatError`.
"""
from __future__ import annotations

import math
import re
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from lxml import etree

from ..errors import CvatFormatError, InputWarning, PathLike, describe
from ..io.images import IMAGE_SUFFIXES
from .cvat_layout import ANNOTATION_NAMES, find_tasks
from .pairing import pair_poles_with_boxes
from .records import Box, FrameRecord, Point, Spindle

_FRAME_NAME = re.compile(r"frame_(\d+)$", re.IGNORECASE)
_STEP = re.compile(r"^\s*step\s*=\s*(\d+)\s*$")
_SHAPE_TAGS = ("box", "points", "skeleton")


@dataclass(frozen=True)
class CvatLabels:
    """Which CVAT label names mean a spindle box and which a pole pair (case-insensitive).

    ``poles``: labels of ``points`` shapes holding both poles; ``skeletons``: labels of skeletons
    whose ``points`` elements are the poles -- the elements labelled ``skeleton_poles``, or, when
    that is empty, the skeleton's only two elements.
    """

    boxes: Tuple[str, ...] = ("microtubule",)
    poles: Tuple[str, ...] = ("pole", "poles")
    skeletons: Tuple[str, ...] = ("spindle poles", "spindle", "poles", "pole")
    skeleton_poles: Tuple[str, ...] = ()

    def kind(self, label: str, skeleton: bool = False) -> Optional[str]:
        """"box", "poles" or None (not ours) for a shape (``skeleton``: a ``<skeleton>`` shape) of ``label``."""
        name = label.strip().lower()
        if skeleton:
            return "poles" if name in (n.lower() for n in self.skeletons) else None
        if name in (b.lower() for b in self.boxes):
            return "box"
        if name in (p.lower() for p in self.poles):
            return "poles"
        return None


@dataclass
class CvatExport:
    """The frames of one or more CVAT tasks and the problems met while reading them."""

    records: List[FrameRecord] = field(default_factory=list)
    tasks: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)

    @property
    def n_spindles(self) -> int:
        return sum(len(r.spindles) for r in self.records)


def read_cvat(source: PathLike, labels: Optional[CvatLabels] = None, pairing_margin: float = 10.0,
              cache_dir: Optional[PathLike] = None) -> CvatExport:
    """Read a CVAT export (task folder, zip, or folder of tasks).

    ``pairing_margin`` is how far (pixels) a pole may lie outside its spindle's box.
    Zips are unpacked once into ``cache_dir`` (default ``~/.cache/yoloxsp/cvat``).
    """
    labels = labels or CvatLabels()
    source = Path(source)
    if not source.exists():
        raise CvatFormatError("CVAT export not found", source)
    export = CvatExport()
    for task_dir, task_name in find_tasks(source, cache_dir):
        annotation = next(task_dir / n for n in ANNOTATION_NAMES if (task_dir / n).is_file())
        reader = _TaskReader(annotation, task_name, labels, pairing_margin)
        export.records.extend(reader.read())
        export.tasks.append(task_name)
        export.problems.extend(reader.problems)
    return export


# ------------------------------------------------------------------------------------ parsing

@dataclass
class _Shape:
    kind: str                 # "box" or "poles"
    frame: int
    track: Optional[int]
    data: tuple               # Box or (Point, Point)
    line: Optional[int]


class _TaskReader:
    """Parses one task's XML and turns its shapes into per-frame records."""

    def __init__(self, xml_path: Path, task_name: str, labels: CvatLabels, margin: float):
        self.xml_path, self.task_dir = xml_path, xml_path.parent
        self.task_name, self.labels, self.margin = task_name, labels, margin
        self.problems: List[str] = []
        self._images: Optional[Dict[str, Path]] = None

    # -- entry point
    def read(self) -> List[FrameRecord]:
        root = self._parse_xml()
        tracks, images = root.findall("track"), root.findall("image")
        if tracks and images:
            self._fail("export mixes <track> and <image> elements; expected one CVAT format")
        frames = self._read_images_format(images) if images else self._read_video_format(root, tracks)
        if not any(r.spindles or r.stray_poles for r in frames):
            self._fail("empty export: no spindle or pole annotations found")
        return frames

    def _parse_xml(self):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                                 remove_pis=True, huge_tree=False)
        try:
            root = etree.parse(str(self.xml_path), parser).getroot()
        except etree.XMLSyntaxError as exc:
            line = exc.lineno if getattr(exc, "lineno", None) else None
            raise CvatFormatError(f"malformed XML: {exc.msg}", self.xml_path, line=line) from None
        except (OSError, ValueError) as exc:
            raise CvatFormatError(f"cannot read XML: {exc}", self.xml_path) from None
        if root is None or root.tag != "annotations":
            self._fail(f"root element is <{getattr(root, 'tag', None)}>, expected <annotations>")
        return root

    # -- CVAT for video
    def _read_video_format(self, root, tracks) -> List[FrameRecord]:
        width, height = self._video_size(root)
        shapes: List[_Shape] = []
        used_labels, unknown = set(), set()
        next_free_id = 1 + max((self._int(t, "id", default=-1) for t in tracks), default=-1)
        for track in tracks:
            label = self._attr(track, "label")
            used_labels.add(label)
            children = [c for c in track if isinstance(c.tag, str) and c.tag in _SHAPE_TAGS]
            kind = self.labels.kind(label, skeleton=any(c.tag == "skeleton" for c in children))
            if kind is None:
                unknown.add(label)
                continue
            track_id = self._int(track, "id")
            current_id, left_at = track_id, None
            for el in sorted(children, key=lambda c: self._int(c, "frame")):
                frame = self._int(el, "frame", track=track_id)
                if self._outside(el, track=track_id, frame=frame):
                    left_at = frame if left_at is None else left_at
                    continue
                if left_at is not None and current_id == track_id:
                    current_id, next_free_id = next_free_id, next_free_id + 1
                    self._warn(f"track re-enters at frame {frame} after leaving at frame {left_at};"
                               f" its later shapes form a new track {current_id}", track=track_id)
                shapes.append(self._shape(el, kind, frame, current_id))
        self._check_labels(used_labels, unknown)
        frames = self._video_frames(root, shapes)
        return self._build_frames([s for s in shapes if s.data is not None],
                                  {f: (self._frame_image(f), width, height) for f in frames})

    def _video_size(self, root) -> Tuple[int, int]:
        size = root.find("meta//original_size")
        if size is None:
            self._fail("<meta> has no <original_size> (image width and height)")
        return (self._positive_int(size, "width", size.findtext("width")),
                self._positive_int(size, "height", size.findtext("height")))

    def _video_frames(self, root, shapes: Sequence[_Shape]) -> List[int]:
        """The task's frame numbers: ``size`` frames from ``start_frame`` every ``step`` (CVAT numbers
        a task's frames as the video's); without ``<size>``, the frames its images are named after."""
        meta = root.find("meta/task")
        meta = meta if meta is not None else root.find("meta/job")
        size_text = meta.findtext("size") if meta is not None else None
        if size_text is not None:
            n = self._meta_int(size_text, "size")
            start = self._meta_int(meta.findtext("start_frame") or "0", "start_frame")
            step_text = (meta.findtext("frame_filter") or "").strip()
            match = _STEP.match(step_text) if step_text else None
            if step_text and (match is None or int(match.group(1)) < 1):
                self._fail(f"<frame_filter> is {step_text!r}, expected empty or step=N with N >= 1")
            step = int(match.group(1)) if match else 1
            frames = [start + k * step for k in range(n)]
            described = f"the task has {n} frames" + (f" from frame {start}" if start else "") + \
                        (f" every {step}" if step > 1 else "")
        else:
            frames = sorted({int(m.group(1)) for m in (_FRAME_NAME.match(Path(k).stem) for k in self._image_index())
                             if m})
            described = f"no image is named after it ({len(frames)} frame images)"
        known = set(frames)
        for shape in shapes:
            if shape.frame not in known:
                self._fail(f"annotation on frame {shape.frame} but {described}", line=shape.line, track=shape.track)
        return frames

    def _meta_int(self, text: str, name: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            self._fail(f"<{name}> is {text!r}, expected a non-negative integer")
        return value

    def _frame_image(self, frame: int) -> Path:
        stem = f"frame_{frame:06d}"
        for suffix in IMAGE_SUFFIXES:
            path = self._image_index().get(stem + suffix)
            if path is not None:
                return path
        raise CvatFormatError(f"image {stem}.png (any image extension) is missing from"
                              f" {self.task_dir / 'images'}", self.xml_path, frame=frame)

    # -- CVAT for images
    def _read_images_format(self, images) -> List[FrameRecord]:
        shapes: List[_Shape] = []
        used_labels, unknown = set(), set()
        frame_info = {}
        for el in images:
            frame = self._int(el, "id")
            if frame in frame_info:
                self._fail(f"duplicate <image id=\"{frame}\">", line=el.sourceline)
            name = self._attr(el, "name", frame=frame)
            frame_info[frame] = (self._named_image(name, frame),
                                 self._positive_int(el, "width", el.get("width"), frame=frame),
                                 self._positive_int(el, "height", el.get("height"), frame=frame))
            for child in el:
                if not isinstance(child.tag, str) or child.tag not in _SHAPE_TAGS:
                    continue
                label = self._attr(child, "label", frame=frame)
                used_labels.add(label)
                kind = self.labels.kind(label, skeleton=child.tag == "skeleton")
                if kind is None:
                    unknown.add(label)
                else:
                    shapes.append(self._shape(child, kind, frame, None))
        self._check_labels(used_labels, unknown)
        return self._build_frames([s for s in shapes if s.data is not None], frame_info)

    def _named_image(self, name: str, frame: int) -> Path:
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts:
            self._fail(f"image name {name!r} must be a relative path inside the task", frame=frame)
        for candidate in (self.task_dir / "images" / rel, self.task_dir / rel):
            if _is_file(candidate):
                return candidate
        by_name = self._image_index().get(rel.name.lower())
        if by_name is not None:
            return by_name
        raise CvatFormatError(f"image {name!r} not found in {self.task_dir / 'images'} or {self.task_dir}",
                              self.xml_path, frame=frame)

    # -- shapes
    def _shape(self, el, kind: str, frame: int, track: Optional[int]) -> _Shape:
        """One shape; ``data`` is None for a skeleton whose poles are not both in view (warned)."""
        expected = ("box",) if kind == "box" else ("points", "skeleton")
        if el.tag not in expected:
            self._fail(f"label {el.get('label') or '(track label)'!r} is a {kind} label but the shape"
                       f" is <{el.tag}>", line=el.sourceline, track=track, frame=frame)
        if kind == "box":
            x1, y1, x2, y2 = (self._float(el, k, track=track, frame=frame) for k in ("xtl", "ytl", "xbr", "ybr"))
            if not (x2 > x1 and y2 > y1):
                self._fail(f"box has no area (xtl={x1}, ytl={y1}, xbr={x2}, ybr={y2})",
                           line=el.sourceline, track=track, frame=frame)
            data = (x1, y1, x2, y2)
        elif el.tag == "skeleton":
            data = self._skeleton_poles(el, track, frame)
        else:
            data = self._pole_pair(el, track, frame)
        return _Shape(kind, frame, track, data, el.sourceline)

    def _skeleton_elements(self, el, track, frame) -> list:
        """The two ``points`` elements of a skeleton that are its poles."""
        elements = [c for c in el if isinstance(c.tag, str) and c.tag == "points"]
        if self.labels.skeleton_poles:
            wanted = [n.lower() for n in self.labels.skeleton_poles]
            elements = [c for c in elements if (c.get("label") or "").strip().lower() in wanted]
        if len(elements) != 2:
            names = [c.get("label") for c in el if isinstance(c.tag, str)]
            self._fail(f"skeleton {el.get('label') or '(track label)'!r} has {len(elements)} pole element(s) among "
                       f"{names}; expected 2 (set CvatLabels.skeleton_poles to name them)",
                       line=el.sourceline, track=track, frame=frame)
        return elements

    def _skeleton_poles(self, el, track, frame) -> Optional[Tuple[Point, Point]]:
        elements = self._skeleton_elements(el, track, frame)
        visible = [c for c in elements if not self._int(c, "outside", default=0, track=track, frame=frame)]
        if len(visible) < 2:
            if visible:
                self._warn("skeleton has one pole marked outside; its pole pair is skipped", track=track, frame=frame)
            return None
        poles = []
        for element in visible:
            points = self._points(element, track, frame)
            if len(points) != 1:
                self._fail(f"skeleton element {element.get('label')!r} holds {len(points)} points, expected 1",
                           line=element.sourceline, track=track, frame=frame)
            poles.append(points[0])
        return poles[0], poles[1]

    def _outside(self, el, **where) -> bool:
        """CVAT marks a skeleton outside through its elements (all of them), other shapes directly."""
        if el.tag == "skeleton":
            elements = self._skeleton_elements(el, where.get("track"), where.get("frame"))
            return all(self._int(c, "outside", default=0, **where) for c in elements)
        return bool(self._int(el, "outside", default=0, **where))

    def _points(self, el, track, frame) -> List[Point]:
        text = self._attr(el, "points", track=track, frame=frame)
        try:
            points = [tuple(float(v) for v in p.split(",")) for p in text.strip().split(";") if p.strip()]
        except ValueError:
            points = None
        if points is None or any(len(p) != 2 or not all(math.isfinite(v) for v in p) for p in points):
            self._fail(f"points={text!r} is not a list of x,y pairs", line=el.sourceline, track=track, frame=frame)
        return points

    def _pole_pair(self, el, track, frame) -> Tuple[Point, Point]:
        points = self._points(el, track, frame)
        if len(points) != 2:
            self._fail(f"a pole pair needs exactly 2 points, this shape has {len(points)}",
                       line=el.sourceline, track=track, frame=frame)
        return points[0], points[1]

    def _build_frames(self, shapes: Iterable[_Shape], frame_info: Dict[int, Tuple[Path, int, int]]) -> List[FrameRecord]:
        by_frame: Dict[int, List[_Shape]] = defaultdict(list)
        for s in shapes:
            if s.frame not in frame_info:
                self._fail(f"shape on frame {s.frame}, which has no image", line=s.line, track=s.track)
            by_frame[s.frame].append(s)
        records = []
        for frame in sorted(frame_info):
            image_path, width, height = frame_info[frame]
            boxes = [self._clip_box(s, width, height) for s in by_frame[frame] if s.kind == "box"]
            box_shapes = [s for s in by_frame[frame] if s.kind == "box"]
            pole_shapes = [s for s in by_frame[frame] if s.kind == "poles"]
            matches, lone_boxes, lone_poles = pair_poles_with_boxes(
                boxes, [s.data for s in pole_shapes], self.margin)
            poles_of = {b: pole_shapes[p].data for b, p in matches}
            spindles = [Spindle(boxes[i], poles_of.get(i), box_shapes[i].track) for i in range(len(boxes))]
            for i in lone_boxes:
                self._warn("spindle box has no pole pair inside it; kept without poles",
                           track=box_shapes[i].track, frame=frame)
            for j in lone_poles:
                self._warn(f"pole pair {pole_shapes[j].data} lies in no spindle box; kept as stray poles",
                           track=pole_shapes[j].track, frame=frame)
            records.append(FrameRecord(image_path, width, height, frame, spindles,
                                       [pole_shapes[j].data for j in lone_poles], self.task_name))
        return records

    def _clip_box(self, shape: _Shape, width: int, height: int) -> Box:
        x1, y1, x2, y2 = shape.data
        cx1, cy1, cx2, cy2 = max(x1, 0.0), max(y1, 0.0), min(x2, float(width)), min(y2, float(height))
        if cx2 <= cx1 or cy2 <= cy1:
            self._fail(f"box ({x1}, {y1}, {x2}, {y2}) lies outside the {width}x{height} image",
                       line=shape.line, track=shape.track, frame=shape.frame)
        if (cx1, cy1, cx2, cy2) != (x1, y1, x2, y2):
            self._warn(f"box ({x1}, {y1}, {x2}, {y2}) extends beyond the {width}x{height} image; clipped",
                       track=shape.track, frame=shape.frame)
        return cx1, cy1, cx2, cy2

    def _check_labels(self, used: set, unknown: set) -> None:
        if unknown:
            self._warn(f"ignoring shapes with unknown labels {sorted(unknown)}; labels found: {sorted(used)};"
                       f" spindle labels: {list(self.labels.boxes)}, pole labels: {list(self.labels.poles)},"
                       f" pole skeleton labels: {list(self.labels.skeletons)}")

    # -- helpers
    def _image_index(self) -> Dict[str, Path]:
        """Lower-case file name -> path for every image in the task (images/ first)."""
        if self._images is None:
            self._images = {}
            for folder in (self.task_dir, self.task_dir / "images"):
                if folder.is_dir():
                    for p in folder.iterdir():
                        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES:
                            self._images[p.name.lower()] = p
        return self._images

    def _attr(self, el, key: str, **where) -> str:
        value = el.get(key)
        if value is None:
            self._fail(f"<{el.tag}> lacks the attribute {key!r}", line=el.sourceline, **where)
        return value

    def _int(self, el, key: str, default: Optional[int] = None, **where) -> int:
        value = el.get(key)
        if value is None and default is not None:
            return default
        try:
            return int(self._attr(el, key, **where))
        except ValueError:
            self._fail(f"{key}={value!r} is not an integer", line=el.sourceline, **where)

    def _positive_int(self, el, key: str, text: Optional[str], **where) -> int:
        try:
            value = int(text)
        except (TypeError, ValueError):
            value = 0
        if value <= 0:
            self._fail(f"{key} is {text!r}, expected a positive integer", line=el.sourceline, **where)
        return value

    def _float(self, el, key: str, **where) -> float:
        text = self._attr(el, key, **where)
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self._fail(f"{key}={text!r} is not a finite number", line=el.sourceline, **where)
        return value

    def _fail(self, message: str, **where) -> None:
        raise CvatFormatError(message, self.xml_path, **where)

    def _warn(self, message: str, **where) -> None:
        text = describe(message, self.xml_path, **where)
        self.problems.append(text)
        warnings.warn(text, InputWarning, stacklevel=4)


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for names the file system cannot even look up (too long, ...)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False
