"""``yoloxsp predict`` keeps what it finished: Ctrl-C, a kill or a bad frame late in a movie leaves the
finished frames on disk, and a dense noisy movie (once a trackpy crash) completes.

The real command runs as a subprocess on generated movies; the tests wait until ``detections.csv``
shows a frame well into the movie, then strike.
"""
from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
import tifffile

pytestmark = pytest.mark.core

REPEATS = 100  # the 6-frame test movie 100 times: 600 frames, far more than a test waits for
STRIKE_AT = 12  # frame after which the run is interrupted


def _as_in_a_terminal() -> None:
    """The run as a user starts it: Ctrl-C interrupts it (a test runner started in the background
    hands its children SIGINT ignored, and Python then installs no KeyboardInterrupt handler), and it
    yields the CPU to this test (on a loaded machine the test must still strike at frame STRIKE_AT,
    long before the run could reach the end of the movie)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.nice(19)


def _start(movie, out, *extra):
    return subprocess.Popen([sys.executable, "-m", "yoloxsp.cli.main", "predict", str(movie), "--out", str(out),
                             *map(str, extra)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_as_in_a_terminal)


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _frames_on_disk(path):
    return [int(row["frame"]) for row in _rows(path)] if path.exists() else []


def _wait_for_frame(process, table, frame, timeout=300.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if max(_frames_on_disk(table), default=-1) >= frame:
            if process.poll() is not None:
                pytest.fail(f"predict finished (rc {process.returncode}) before the strike at frame {frame}")
            return
        if process.poll() is not None:
            pytest.fail(f"predict ended (rc {process.returncode}) before frame {frame}: {process.stderr.read()}")
        time.sleep(0.01)
    process.kill()
    pytest.fail(f"no frame {frame} in {table} after {timeout} s")


def _video_frames(path):
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


@pytest.fixture
def long_movie(small_movie, tmp_path):
    stack = tifffile.imread(small_movie / "stack.tif")  # T C Y X
    path = tmp_path / "long.tif"
    tifffile.imwrite(path, np.tile(stack, (REPEATS, 1, 1, 1)), imagej=True, metadata={"axes": "TCYX"})
    return path, len(stack) * REPEATS


def test_ctrl_c_keeps_every_finished_frame_and_finishes_the_outputs(long_movie, tmp_path):
    movie, n_frames = long_movie
    out = tmp_path / "out"
    process = _start(movie, out)
    _wait_for_frame(process, out / "detections.csv", STRIKE_AT)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130  # the CLI's policy for an interrupt: one line that says what was kept
    lines = [line for line in stderr.splitlines() if line and not line.startswith("analysing:")]  # no bar
    assert len(lines) == 1 and lines[0].startswith("yoloxsp: interrupted; ") and str(out) in lines[0], stderr
    stopped = re.search(r"stopped after (\d+) of (\d+) frame", stderr)
    assert stopped, stderr
    done = int(stopped.group(1))
    # frame STRIKE_AT was on disk; a strike before the writer counted it cuts it back out
    assert STRIKE_AT <= done < n_frames and int(stopped.group(2)) == n_frames
    detections = _rows(out / "detections.csv")
    frames = [int(d["frame"]) for d in detections]
    assert frames == sorted(frames) and max(frames) == done - 1  # every frame of the movie holds spindles
    tracks = _rows(out / "tracks.csv")
    assert tracks and {t["track_id"] for t in tracks} == {d["track_id"] for d in detections}
    assert _video_frames(out / "overlay.avi") in (done - 1, done)  # a strike while drawing loses that drawing
    assert (out / "lengths.png").stat().st_size > 1000
    assert not [p.name for p in out.iterdir() if "partial" in p.name]


def test_a_killed_run_leaves_its_finished_frames_in_detections_csv(long_movie, tmp_path):
    movie, n_frames = long_movie
    out = tmp_path / "out"
    out.mkdir()
    for name in ("tracks.csv", "lengths.png"):
        (out / name).write_text("an earlier run's output")
    process = _start(movie, out, "--overwrite")
    _wait_for_frame(process, out / "detections.csv", STRIKE_AT)
    process.kill()  # SIGKILL: no handler runs, only what was written survives
    process.communicate(timeout=60)
    detections = _rows(out / "detections.csv")
    frames = [int(d["frame"]) for d in detections]
    assert frames == sorted(frames) and STRIKE_AT <= max(frames) < n_frames - 1
    assert all(None not in d.values() and d["x2"] for d in detections)  # whole rows only
    assert not (out / "tracks.csv").exists() and not (out / "lengths.png").exists()  # none of an earlier run's


def test_a_bad_frame_late_in_the_movie_keeps_the_frames_before_it(small_movie, tmp_path):
    stack = tifffile.imread(small_movie / "stack.tif").astype(np.float32)
    movie = np.concatenate([stack, stack])  # 12 frames; frame 8 unusable
    movie[8] = np.nan
    path = tmp_path / "nan.tif"
    tifffile.imwrite(path, movie, imagej=True, metadata={"axes": "TCYX"})
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "predict", str(path), "--out", str(out)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 2 and "frame 8" in result.stderr and "nan.tif" in result.stderr
    assert "stopped after 8 of 12 frame(s)" in result.stderr
    frames = {int(d["frame"]) for d in _rows(out / "detections.csv")}
    assert frames and max(frames) <= 7
    assert _video_frames(out / "overlay.avi") == 8 and (out / "tracks.csv").exists()


def test_a_dense_noisy_movie_completes(tmp_path):
    """The issue's movie: 5 frames of 300x310 px, 3 channels, 16-bit noise. trackpy raised
    SubnetOversizeException on it and nothing was written."""
    noise = np.random.default_rng(13).integers(0, 65535, size=(5, 3, 310, 300), dtype=np.uint16)
    path = tmp_path / "noise.tif"
    tifffile.imwrite(path, noise, imagej=True, metadata={"axes": "TCYX"})
    result = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "predict", str(path), "--out",
                             str(tmp_path / "out")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "5 frame(s)" in result.stdout
    for name in ("detections.csv", "tracks.csv", "overlay.avi", "lengths.png"):
        assert (tmp_path / "out" / name).exists()


def test_a_run_that_fails_before_its_first_frame_keeps_the_earlier_outputs(small_movie, tmp_path):
    """--overwrite replaces the earlier detections.csv only once the new one holds a frame."""
    out = tmp_path / "out"
    first = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "predict", str(small_movie / "stack.tif"),
                            "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tifffile.imread(small_movie / "stack.tif").astype(np.float32)
    bad[0] = np.nan  # frame 0 unusable: the run stops before any frame is done
    path = tmp_path / "bad.tif"
    tifffile.imwrite(path, bad, imagej=True, metadata={"axes": "TCYX"})
    result = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "predict", str(path), "--out", str(out),
                             "--overwrite"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 2 and "frame 0" in result.stderr and "bad.tif" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # every earlier output, byte for byte
