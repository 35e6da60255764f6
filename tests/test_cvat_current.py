"""Exports as CVAT 2.x writes them: a video task over every 3rd frame from frame 10, and pole pairs
drawn as skeletons, in tracks ("CVAT for video 1.1") and in images mode ("CVAT for images 1.1").

The XML follows CVAT's own exporter (cvat/apps/dataset_manager/formats/cvat.py): frame numbers and
image names are the video's, ``<size>`` counts the task's frames, skeleton shapes carry no
``outside`` of their own (their ``points`` elements do), and the skeleton's label is declared in
``<labels>`` with its two point sub-labels.
"""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

from yoloxsp.data import CvatLabels, read_cvat
from yoloxsp.errors import CvatFormatError, InputWarning
from yoloxsp.synth import read_truth

pytestmark = pytest.mark.core

START, STEP, SIZE = 10, 3, 3
FRAMES = [START + k * STEP for k in range(SIZE)]  # 10, 13, 16
XML_PRECISION = 0.005 + 1e-4

LABELS = """
      <labels>
        <label><name>microtubule</name><color>#fa3253</color><type>rectangle</type><attributes/></label>
        <label><name>{skeleton}</name><color>#33ddff</color><type>skeleton</type><attributes/>
          <svg>&lt;circle r="0.75" cx="30" cy="50" data-label-name="{first}"&gt;&lt;/circle&gt;</svg></label>
        <label><name>{first}</name><color>#aaf0d1</color><type>points</type><attributes/><parent>{skeleton}</parent></label>
        <label><name>{second}</name><color>#b83df5</color><type>points</type><attributes/><parent>{skeleton}</parent></label>
      </labels>"""


def _meta(mode: str, frame_filter: str, skeleton="spindle", first="pole1", second="pole2") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>7</id>
      <name>spindles</name>
      <size>{SIZE}</size>
      <mode>{mode}</mode>
      <overlap>5</overlap>
      <start_frame>{START}</start_frame>
      <stop_frame>{FRAMES[-1]}</stop_frame>
      <frame_filter>{frame_filter}</frame_filter>{LABELS.format(skeleton=skeleton, first=first, second=second)}
      <original_size>
        <width>192</width>
        <height>160</height>
      </original_size>
    </task>
  </meta>"""


def _xy(point) -> str:
    return f"{point[0]:.2f},{point[1]:.2f}"


def _box_attrs(box) -> str:
    return f'xtl="{box[0]:.2f}" ytl="{box[1]:.2f}" xbr="{box[2]:.2f}" ybr="{box[3]:.2f}"'


@pytest.fixture
def truth(small_movie):
    """Ground truth of the movie's first three frames, keyed by the video frame numbers they get."""
    rows = [row for row in read_truth(small_movie / "ground_truth.csv") if row.frame < SIZE]
    return {FRAMES[row.frame]: [r.spindle for r in rows if r.frame == row.frame] for row in rows}


def _task_images(small_movie, task: Path) -> None:
    (task / "images").mkdir(parents=True)
    for k, frame in enumerate(FRAMES):
        shutil.copy(small_movie / "images" / f"frame_{k:06d}.png", task / "images" / f"frame_{frame:06d}.png")


def _video_xml(truth, poles_as: str, frame_filter: str = f"step={STEP}", extra_element: str = "",
               skeleton="spindle", first="pole1", second="pole2") -> str:
    parts = [_meta("interpolation", frame_filter, skeleton, first, second)]
    track_ids = sorted({s.track_id for spindles in truth.values() for s in spindles})
    next_id = 0
    for track_id in track_ids:
        shapes = [(f, s) for f, spindles in truth.items() for s in spindles if s.track_id == track_id]
        parts.append(f'  <track id="{next_id}" label="microtubule" source="manual">')
        for frame, s in shapes:
            parts.append(f'    <box frame="{frame}" keyframe="1" outside="0" occluded="0" {_box_attrs(s.box)} '
                         'z_order="0">\n    </box>')
        last = shapes[-1][0]
        if last != FRAMES[-1]:
            parts.append(f'    <box frame="{last + STEP}" keyframe="1" outside="1" occluded="0" '
                         f'{_box_attrs(shapes[-1][1].box)} z_order="0">\n    </box>')
        parts.append("  </track>")
        if poles_as == "skeleton":
            parts.append(f'  <track id="{next_id + 1}" label="{skeleton}" source="manual">')
            for frame, s in shapes:
                parts.append(f'    <skeleton frame="{frame}" keyframe="1" z_order="0">')
                for label, pole in ((first, s.poles[0]), (second, s.poles[1])):
                    parts.append(f'      <points label="{label}" keyframe="1" outside="0" occluded="0" '
                                 f'points="{_xy(pole)}">\n      </points>')
                parts.append(extra_element)
                parts.append("    </skeleton>")
        else:
            parts.append(f'  <track id="{next_id + 1}" label="poles" source="manual">')
            for frame, s in shapes:
                parts.append(f'    <points frame="{frame}" keyframe="1" outside="0" occluded="0" '
                             f'points="{_xy(s.poles[0])};{_xy(s.poles[1])}" z_order="0">\n    </points>')
        parts.append("  </track>")
        next_id += 2
    parts.append("</annotations>\n")
    return "\n".join(parts)


def _assert_matches(records, truth, frame_ids=FRAMES):
    """``records`` hold the truth of the video frames ``FRAMES``, under ``frame_ids``."""
    assert [r.frame for r in records] == frame_ids
    assert [r.image_path.name for r in records] == [f"frame_{f:06d}.png" for f in FRAMES]
    truth = {frame_id: truth[frame] for frame_id, frame in zip(frame_ids, FRAMES)}
    for record in records:
        assert record.stray_poles == []
        for want in truth[record.frame]:
            got = min(record.spindles, key=lambda s: sum(abs(a - b) for a, b in zip(s.box, want.box)))
            assert got.box == pytest.approx(want.box, abs=XML_PRECISION)
            assert got.poles is not None
            for got_pole, want_pole in zip(sorted(got.poles), sorted(want.poles)):
                assert got_pole == pytest.approx(want_pole, abs=XML_PRECISION)
        assert len(record.spindles) == len(truth[record.frame])


@pytest.mark.parametrize("poles_as", ["points", "skeleton"])
def test_video_task_on_every_third_frame_from_frame_10(small_movie, truth, tmp_path, poles_as):
    task = tmp_path / "task"
    _task_images(small_movie, task)
    (task / "annotations.xml").write_text(_video_xml(truth, poles_as))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # read as a clean export: no warning at all
        export = read_cvat(task)
    _assert_matches(export.records, truth)
    track_of = {(r.frame, s.box): s.track_id for r in export.records for s in r.spindles}
    assert len(set(track_of.values())) == len({s.track_id for v in truth.values() for s in v})


def test_skeleton_pole_names_are_configurable(small_movie, truth, tmp_path):
    task = tmp_path / "task"
    _task_images(small_movie, task)
    midzone = '      <points label="midzone" keyframe="1" outside="0" occluded="0" points="1.00,1.00">\n      </points>'
    (task / "annotations.xml").write_text(_video_xml(truth, "skeleton", extra_element=midzone, skeleton="SPB pair",
                                                     first="SPB a", second="SPB b"))
    labels = CvatLabels(skeletons=("spb pair",), skeleton_poles=("SPB a", "SPB b"))
    _assert_matches(read_cvat(task, labels=labels).records, truth)
    with pytest.raises(CvatFormatError, match=r"skeleton .* has 3 pole element\(s\).*skeleton_poles"):
        read_cvat(task, labels=CvatLabels(skeletons=("spb pair",)))
    with pytest.warns(InputWarning, match=r"unknown labels \['SPB pair'\]"):
        export = read_cvat(task)  # default names: the skeletons are not poles, and said so
    assert all(s.poles is None for r in export.records for s in r.spindles)


def test_images_export_with_skeletons(small_movie, truth, tmp_path):
    """Images mode numbers frames by ``<image id>`` (the task's own 0, 1, 2); names keep the video's."""
    task = tmp_path / "task"
    _task_images(small_movie, task)
    parts = [_meta("annotation", f"step={STEP}")]
    for k, frame in enumerate(FRAMES):
        parts.append(f'  <image id="{k}" name="frame_{frame:06d}.png" width="192" height="160">')
        for s in truth[frame]:
            parts.append(f'    <box label="microtubule" source="manual" occluded="0" {_box_attrs(s.box)} '
                         'z_order="0">\n    </box>')
            parts.append('    <skeleton label="spindle" source="manual" z_order="0">')
            for label, pole in (("pole1", s.poles[0]), ("pole2", s.poles[1])):
                parts.append(f'      <points label="{label}" source="manual" outside="0" occluded="0" '
                             f'points="{_xy(pole)}">\n      </points>')
            parts.append("    </skeleton>")
        parts.append("  </image>")
    parts.append("</annotations>\n")
    (task / "annotations.xml").write_text("\n".join(parts))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        export = read_cvat(task)
    _assert_matches(export.records, truth, frame_ids=list(range(SIZE)))


def test_skeleton_with_a_pole_outside_is_warned_and_skipped(small_movie, truth, tmp_path):
    task = tmp_path / "task"
    _task_images(small_movie, task)
    xml = _video_xml(truth, "skeleton")
    first_pole = xml.index('<points label="pole1" keyframe="1" outside="0"')
    xml = xml[:first_pole] + xml[first_pole:].replace('outside="0"', 'outside="1"', 1)
    (task / "annotations.xml").write_text(xml)
    with pytest.warns(InputWarning, match=f"frame {FRAMES[0]}: skeleton has one pole marked outside"):
        export = read_cvat(task)
    assert sum(s.poles is None for r in export.records for s in r.spindles) == 1
    assert len(export.problems) == 2  # the skipped pair, and its box left without poles


def test_a_skeleton_with_every_pole_outside_ends_its_track(small_movie, truth, tmp_path):
    task = tmp_path / "task"
    _task_images(small_movie, task)
    xml = _video_xml(truth, "skeleton")
    last = f'<skeleton frame="{FRAMES[-1]}" keyframe="1" z_order="0">'
    head, tail = xml.split(last, 1)
    block, rest = tail.split("</skeleton>", 1)
    xml = head + last + block.replace('outside="0"', 'outside="1"') + "</skeleton>" + rest
    (task / "annotations.xml").write_text(xml)
    with pytest.warns(InputWarning, match="no pole pair"):
        export = read_cvat(task)
    last_frame = export.records[-1]
    assert sum(s.poles is None for s in last_frame.spindles) == 1
    assert all(s.poles is not None for r in export.records[:-1] for s in r.spindles)


@pytest.mark.parametrize("frame_filter, message", [
    ("", r"annotation on frame 13 but the task has 3 frames from frame 10"),
    ("step=2", r"annotation on frame 13 but the task has 3 frames from frame 10 every 2"),
    ("every=3", r"<frame_filter> is 'every=3', expected empty or step=N"),
    ("step=0", r"<frame_filter> is 'step=0'"),
])
def test_frames_outside_the_task_or_a_bad_filter_are_named(small_movie, truth, tmp_path, frame_filter, message):
    task = tmp_path / "task"
    _task_images(small_movie, task)
    (task / "annotations.xml").write_text(_video_xml(truth, "points", frame_filter=frame_filter))
    with pytest.raises(CvatFormatError, match=message):
        read_cvat(task)
