"""CVAT reader: exact round trips from the generator's ground truth, layouts, and bad input."""
from __future__ import annotations

import shutil
import warnings
import zipfile
from pathlib import Path

import pytest

from yoloxsp.data import CvatLabels, read_cvat, records_to_coco, write_cvat_images
from yoloxsp.errors import CvatFormatError, InputWarning
from yoloxsp.synth import read_truth

pytestmark = pytest.mark.core

XML_PRECISION = 0.005 + 1e-4  # CVAT writes two decimals; the truth CSV has four


def _by_key(records):
    return {(r.frame, s.track_id): s for r in records for s in r.spindles}


def _assert_matches_truth(records, truth_rows, with_tracks=True):
    found = [(r.frame, s) for r in records for s in r.spindles]
    assert len(found) == len(truth_rows)
    if with_tracks:
        spindles = _by_key(records)
        pairs = [(spindles[(t.frame, t.spindle.track_id)], t.spindle) for t in truth_rows]
    else:  # no track ids in an images export: match within each frame by box
        pairs = []
        for t in truth_rows:
            frame = next(r for r in records if r.frame == t.frame)
            pairs.append((min(frame.spindles, key=lambda s: sum(abs(a - b) for a, b in zip(s.box, t.spindle.box))),
                          t.spindle))
    for got, want in pairs:
        assert got.box == pytest.approx(want.box, abs=XML_PRECISION)
        assert got.poles is not None
        for gp, wp in zip(got.poles, want.poles):
            assert gp == pytest.approx(wp, abs=XML_PRECISION)


def test_video_export_round_trip_is_exact(small_movie):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean export reads without a single warning
        export = read_cvat(small_movie)
    assert len(export.records) == 6 and export.problems == []
    assert [r.frame for r in export.records] == list(range(6))
    assert all(r.image_path.is_file() for r in export.records)
    _assert_matches_truth(export.records, read_truth(small_movie / "ground_truth.csv"))


def test_images_export_round_trip_is_exact(small_movie, tmp_path):
    records = read_cvat(small_movie).records
    task = tmp_path / "images_task"
    shutil.copytree(small_movie / "images", task / "images")
    write_cvat_images(task / "annotations.xml", records)
    export = read_cvat(task)
    assert [r.image_path.name for r in export.records] == [r.image_path.name for r in records]
    assert all(s.track_id is None for r in export.records for s in r.spindles)
    _assert_matches_truth(export.records, read_truth(small_movie / "ground_truth.csv"), with_tracks=False)


def test_zip_export_round_trip_is_exact(small_movie, tmp_path):
    archive = shutil.make_archive(str(tmp_path / "task"), "zip", small_movie)
    export = read_cvat(archive, cache_dir=tmp_path / "cache")
    _assert_matches_truth(export.records, read_truth(small_movie / "ground_truth.csv"))
    again = read_cvat(archive, cache_dir=tmp_path / "cache")  # unpacked once, reused
    assert again.records[0].image_path == export.records[0].image_path


def test_folder_of_tasks_and_zips_in_natural_order(small_movie, tmp_path):
    root = tmp_path / "tasks"
    for name in ("task_2", "task_10"):
        shutil.copytree(small_movie, root / name)
    shutil.make_archive(str(root / "task_3"), "zip", small_movie)
    export = read_cvat(root, cache_dir=tmp_path / "cache")
    assert export.tasks == ["task_2", "task_3", "task_10"]
    assert len(export.records) == 18
    assert {r.task for r in export.records} == {"task_2", "task_3", "task_10"}


def test_zip_with_path_traversal_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("annotations.xml", "<annotations/>")
        zf.writestr("../escape.txt", "x")
    with pytest.raises(CvatFormatError, match="outside the archive"):
        read_cvat(archive, cache_dir=tmp_path / "cache")


def test_upper_case_extensions_and_annotation_xml_name(movie_copy):
    for png in (movie_copy / "images").iterdir():
        png.rename(png.with_suffix(".PNG"))
    (movie_copy / "annotations.xml").rename(movie_copy / "annotation.xml")
    export = read_cvat(movie_copy)
    assert export.records[0].image_path.suffix == ".PNG"


def test_labels_are_case_insensitive_and_configurable(movie_copy):
    xml = movie_copy / "annotations.xml"
    xml.write_text(xml.read_text().replace('label="microtubule"', 'label="Spindle"')
                   .replace('label="poles"', 'label="SPB"'))
    export = read_cvat(movie_copy, CvatLabels(boxes=("spindle",), poles=("spb",)))
    assert export.n_spindles > 0 and all(s.poles for r in export.records for s in r.spindles)


def test_pole_label_singular_is_accepted(movie_copy):
    xml = movie_copy / "annotations.xml"
    xml.write_text(xml.read_text().replace('label="poles"', 'label="Pole"'))
    export = read_cvat(movie_copy)
    assert all(s.poles for r in export.records for s in r.spindles)


# ------------------------------------------------------------------------------- bad input

def _edit(task: Path, old: str, new: str, count: int = 1) -> Path:
    xml = task / "annotations.xml"
    text = xml.read_text()
    assert old in text, old
    xml.write_text(text.replace(old, new, count))
    return xml


def test_malformed_xml_names_file_and_line(movie_copy):
    xml = _edit(movie_copy, "</track>", "</trak>")
    with pytest.raises(CvatFormatError) as err:
        read_cvat(movie_copy)
    assert str(xml) in str(err.value) and "line" in str(err.value) and "malformed XML" in str(err.value)


def test_missing_image_names_frame_and_file(movie_copy):
    (movie_copy / "images" / "frame_000004.png").unlink()
    with pytest.raises(CvatFormatError, match=r"frame 4: image frame_000004\.png"):
        read_cvat(movie_copy)


def test_an_image_name_too_long_for_the_file_system_is_a_missing_image(movie_copy):
    (movie_copy / "annotations.xml").write_text(
        f'<annotations><image id="0" name="{"9" * 5000}.png" width="192" height="160"/></annotations>')
    with pytest.raises(CvatFormatError, match=r"frame 0: image '9{100}.* not found"):
        read_cvat(movie_copy)


def test_unknown_labels_warn_with_the_labels_found(movie_copy):
    _edit(movie_copy, 'label="poles"', 'label="kinetochore"')
    with pytest.warns(InputWarning, match=r"unknown labels \['kinetochore'\]; labels found: \['kinetochore', "
                                          r"'microtubule', 'poles'\]"):
        export = read_cvat(movie_copy)
    assert any("unknown labels" in p for p in export.problems)


def test_points_shape_with_three_points_names_track_and_frame(movie_copy):
    text = (movie_copy / "annotations.xml").read_text()
    start = text.index('<points frame="2"')
    points = text[start:].split('points="', 1)[1].split('"', 1)[0]
    _edit(movie_copy, f'<points frame="2" outside="0" occluded="0" keyframe="1" points="{points}"',
          f'<points frame="2" outside="0" occluded="0" keyframe="1" points="{points};1.00,1.00"')
    with pytest.raises(CvatFormatError, match=r"line \d+, track \d+, frame 2: a pole pair needs exactly 2 points,"
                                              r" this shape has 3"):
        read_cvat(movie_copy)


def test_box_outside_the_image_is_an_error_and_partly_outside_is_clipped(movie_copy, tmp_path):
    task2 = Path(shutil.copytree(movie_copy, tmp_path / "partly"))
    text = (movie_copy / "annotations.xml").read_text()
    first_box = text[text.index("<box "):].split("/>", 1)[0]
    xtl = first_box.split('xtl="')[1].split('"')[0]
    xbr = first_box.split('xbr="')[1].split('"')[0]
    _edit(movie_copy, first_box, first_box.replace(f'xtl="{xtl}"', 'xtl="500.00"').replace(f'xbr="{xbr}"', 'xbr="520.00"'))
    with pytest.raises(CvatFormatError, match=r"track 0, frame 0: box \(500.0, .*\) lies outside the 192x160 image"):
        read_cvat(movie_copy)
    _edit(task2, first_box, first_box.replace(f'xtl="{xtl}"', 'xtl="-7.00"'))
    with pytest.warns(InputWarning, match="extends beyond the 192x160 image; clipped"):
        export = read_cvat(task2)
    assert export.records[0].spindles[0].box[0] == 0.0


def test_empty_export_is_an_error(movie_copy):
    xml = movie_copy / "annotations.xml"
    text = xml.read_text()
    xml.write_text(text[:text.index("<track")] + "</annotations>\n")
    with pytest.raises(CvatFormatError, match="empty export"):
        read_cvat(movie_copy)


def test_folder_without_annotations_is_an_error(tmp_path):
    with pytest.raises(CvatFormatError, match="no CVAT task found"):
        read_cvat(tmp_path)


def test_outside_shapes_end_tracks_and_reentry_becomes_a_new_track(movie_copy):
    records = read_cvat(movie_copy).records
    track0_frames = [r.frame for r in records for s in r.spindles if s.track_id == 0]
    # Mark track 0 as outside on its second frame: it must vanish there ...
    second = track0_frames[1]
    text = (movie_copy / "annotations.xml").read_text()
    track = text[text.index('<track id="0"'):text.index("</track>")]
    shape = next(line for line in track.splitlines() if f'<box frame="{second}"' in line)
    _edit(movie_copy, shape, shape.replace('outside="0"', 'outside="1"'))
    with pytest.warns(InputWarning, match=f"re-enters at frame {second + 1}"):
        export = read_cvat(movie_copy)
    frames_by_id = {}
    for r in export.records:
        for s in r.spindles:
            frames_by_id.setdefault(s.track_id, []).append(r.frame)
    assert second not in frames_by_id[0] and frames_by_id[0] == [track0_frames[0]]
    new_id = max(frames_by_id)
    assert frames_by_id[new_id][0] == second + 1  # ... and come back under a fresh id, not dropped


def test_unpaired_box_and_stray_poles_are_kept_and_reported(movie_copy):
    text = (movie_copy / "annotations.xml").read_text()
    start = text.index('<points frame="0"')
    shape = text[start:text.index("/>", start) + 2]
    points = shape.split('points="')[1].split('"')[0]
    _edit(movie_copy, f'points="{points}"', 'points="2.00,2.00;4.00,4.00"')
    with pytest.warns(InputWarning) as caught:
        export = read_cvat(movie_copy)
    messages = [str(w.message) for w in caught]
    assert any("frame 0: spindle box has no pole pair" in m for m in messages)
    assert any("frame 0: pole pair ((2.0, 2.0), (4.0, 4.0)) lies in no spindle box" in m for m in messages)
    frame0 = export.records[0]
    assert any(s.poles is None for s in frame0.spindles)
    assert frame0.stray_poles == [((2.0, 2.0), (4.0, 4.0))]


def test_coco_conversion_has_two_keypoints_per_spindle(small_movie):
    export = read_cvat(small_movie)
    coco = records_to_coco(export.records)
    assert len(coco["images"]) == 6 and len(coco["annotations"]) == export.n_spindles
    ann = coco["annotations"][0]
    assert len(ann["keypoints"]) == 6 and ann["num_keypoints"] == 2
    x, y, w, h = ann["bbox"]
    assert ann["area"] == pytest.approx(w * h)
    from pycocotools.coco import COCO
    api = COCO()
    api.dataset = coco
    api.createIndex()
    assert len(api.getAnnIds()) == export.n_spindles
