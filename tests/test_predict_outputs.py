"""The writers behind ``yoloxsp predict``'s outputs, in process: the detections table appended frame by
frame (published after its first frame, an earlier table kept until then), the track table's
number format, and the overlay writer's keep-or-replace rules."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yoloxsp.model.decode import Detections
from yoloxsp.analysis.measure import DETECTION_COLUMNS, detection_rows, measure_spindles
from yoloxsp.export.overlay import VIDEO_FPS, OverlayWriter, draw_detections
from yoloxsp.io.atomic import AtomicPath
from yoloxsp.export.tables import CSV_OPTIONS, DetectionsWriter, detections_table, write_table

pytestmark = pytest.mark.core

FRAME = np.zeros((160, 192, 3), np.uint8)


def _detections(n: int, missing_pole: bool = False) -> Detections:
    boxes = np.array([[10 + 20 * i, 10, 25 + 20 * i, 30] for i in range(n)], np.float32).reshape(-1, 4)
    poles = np.stack([boxes[:, :2] + 2, boxes[:, 2:] - 2], axis=1).astype(np.float32)
    if missing_pole and n:
        poles[0, 1] = np.nan
    return Detections(boxes, np.full(n, 0.9, np.float32), np.zeros(n, int), poles, np.full((n, 2), 0.8, np.float32))


def _rows(frame: int, n: int, missing_pole: bool = False):
    measured = measure_spindles(FRAME, _detections(n, missing_pole), "straight", ends="model")
    return detection_rows(frame, measured, list(range(1, n + 1)), 0.15)


def test_detections_replace_an_earlier_table_only_after_the_first_frame(tmp_path):
    path = tmp_path / "detections.csv"
    path.write_text("the earlier table\n")
    with DetectionsWriter(path) as table:
        assert path.read_text() == "the earlier table\n"  # nothing written yet: the earlier table stays
        table.write(_rows(0, 2, missing_pole=True))
        on_disk = pd.read_csv(path)  # flushed and published after one frame
        assert list(on_disk.columns) == DETECTION_COLUMNS and list(on_disk["frame"]) == [0, 0]
        table.write([])  # a frame without spindles adds no row
        table.write(_rows(2, 1))
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(DETECTION_COLUMNS) and len(lines) == 4
    assert lines[1].split(",")[:5] == ["0", "1", "0.900", "10.000", "10.000"]  # ints as ints, floats to 3 decimals
    # a missing pole: no end, no standard error, no length
    assert lines[1].split(",")[-7:] == ["nan", "nan", "nan", "nan", "model", "nan", "nan"]
    assert [p.name for p in tmp_path.iterdir()] == ["detections.csv"]


def test_a_run_stopped_before_its_first_frame_leaves_the_earlier_table(tmp_path):
    path = tmp_path / "detections.csv"
    path.write_text("the earlier table\n")
    with pytest.raises(KeyboardInterrupt):
        with DetectionsWriter(path):
            raise KeyboardInterrupt
    assert path.read_text() == "the earlier table\n"
    assert [p.name for p in tmp_path.iterdir()] == ["detections.csv"]


@pytest.mark.parametrize("caught", ["half written", "written, not yet counted"])
def test_a_stop_cuts_the_table_back_to_its_counted_frames(tmp_path, caught):
    path = tmp_path / "detections.csv"
    frame_2 = detections_table(_rows(2, 1)).to_csv(header=False, **CSV_OPTIONS).encode()
    with pytest.raises(KeyboardInterrupt):
        with DetectionsWriter(path) as table:
            table.write(_rows(0, 2))
            table.write(_rows(1, 1))
            counted = path.read_text()
            table._handle.write(frame_2[:9] if caught == "half written" else frame_2)
            raise KeyboardInterrupt
    assert table.frames == 2 and path.read_text() == counted
    assert list(pd.read_csv(path)["frame"]) == [0, 0, 1]


@pytest.mark.parametrize("stop", ["before the rename", "after the rename"])
def test_a_stop_while_publishing_the_first_frame_keeps_it(tmp_path, monkeypatch, stop):
    """Counted means kept: the first frame, once counted, replaces the earlier table even when
    the stop comes while it is being published."""
    path = tmp_path / "detections.csv"
    path.write_text("the earlier table\n")
    publish, stops = AtomicPath.commit, []

    def stopped_once(staged):
        if not stops:
            stops.append(stop)
            if stop == "after the rename":
                publish(staged)
            raise KeyboardInterrupt
        return publish(staged)

    monkeypatch.setattr(AtomicPath, "commit", stopped_once)
    with pytest.raises(KeyboardInterrupt):
        with DetectionsWriter(path) as table:
            table.write(_rows(0, 2))
    assert table.frames == 1 and list(pd.read_csv(path)["frame"]) == [0, 0]
    assert [p.name for p in tmp_path.iterdir()] == ["detections.csv"]


def test_a_table_that_cannot_start_leaves_no_temporary_file(tmp_path, monkeypatch):
    def header_refused(writer, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(DetectionsWriter, "_append", header_refused)
    with pytest.raises(OSError, match="No space"):
        with DetectionsWriter(tmp_path / "detections.csv"):
            pass
    assert not list(tmp_path.iterdir())


def test_the_whole_table_reads_back_as_written(tmp_path):
    rows = _rows(0, 3) + _rows(1, 2, missing_pole=True)
    table = detections_table(rows)
    write_table(table, tmp_path / "d.csv")
    back = pd.read_csv(tmp_path / "d.csv")
    pd.testing.assert_frame_equal(back, table.astype(back.dtypes.to_dict()), atol=5e-4)


def test_overlay_frames_replace_an_earlier_video_once_a_frame_is_drawn(tmp_path):
    (tmp_path / "overlay.avi").write_bytes(b"an earlier video")
    with pytest.raises(RuntimeError):
        with OverlayWriter("frames", tmp_path):
            raise RuntimeError("stopped before the first frame")
    assert [p.name for p in tmp_path.iterdir()] == ["overlay.avi"]  # kept: nothing new was drawn
    with pytest.raises(RuntimeError):
        with OverlayWriter("frames", tmp_path) as overlay:
            overlay.write(FRAME, _detections(2), [1, 2])
            raise RuntimeError("stopped after one frame")
    assert [p.name for p in tmp_path.iterdir()] == ["overlay"]  # what was drawn is kept, the old video gone
    assert [p.name for p in (tmp_path / "overlay").iterdir()] == ["frame_000000.png"]


def test_overlay_video_is_motion_jpeg_holding_the_drawn_frames(tmp_path):
    import cv2

    rng = np.random.default_rng(0)
    frames = [cv2.GaussianBlur(rng.integers(0, 256, (420, 480, 3), dtype=np.uint8), (0, 0), 2) for _ in range(3)]
    with OverlayWriter("video", tmp_path) as overlay:
        for frame in frames:
            overlay.write(frame, _detections(2), [1, 2])
    capture = cv2.VideoCapture(str(tmp_path / "overlay.avi"))
    assert int(capture.get(cv2.CAP_PROP_FOURCC)) == cv2.VideoWriter_fourcc(*"MJPG")
    assert capture.get(cv2.CAP_PROP_FPS) == VIDEO_FPS
    drawn = [cv2.cvtColor(draw_detections(frame, _detections(2), ["1", "2"], scale=1), cv2.COLOR_RGB2BGR)
             for frame in frames]
    for k in range(len(frames)):
        ok, image = capture.read()
        errors = [np.abs(image.astype(int) - other).mean() for other in drawn]
        assert ok and errors[k] < 5 and np.delete(errors, k).min() > 2 * errors[k]  # JPEG's loss, and nothing else
    assert not capture.read()[0]


def test_overlay_video_holds_every_frame_at_one_size(tmp_path):
    import cv2

    with OverlayWriter("video", tmp_path) as overlay:
        overlay.write(FRAME, _detections(1), [1])
        overlay.write(np.zeros((480, 640, 3), np.uint8), _detections(0), [])  # another size: resized, not dropped
    capture = cv2.VideoCapture(str(tmp_path / "overlay.avi"))
    sizes = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        sizes.append(image.shape)
    capture.release()
    assert sizes == [(320, 384, 3)] * 2  # a small field is drawn 2x
    assert [p.name for p in tmp_path.iterdir()] == ["overlay.avi"]
