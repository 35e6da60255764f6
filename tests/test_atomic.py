"""The one write-then-rename helper: a failure mid-write leaves the old file (or folder) intact and
no temporary file behind; success replaces it; writers that choose the format by suffix still work."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from yoloxsp.io.atomic import TEMPORARY_TAG, AtomicPath, atomic_path

pytestmark = pytest.mark.core


def test_success_replaces_the_file_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "tracks.csv"
    target.write_text("old\n")
    with atomic_path(target) as partial:
        assert partial.parent == tmp_path and partial.suffix == ".csv" and TEMPORARY_TAG in partial.name
        assert not partial.exists()  # nothing is created for the writer
        partial.write_text("new\n")
        assert target.read_text() == "old\n"  # not yet visible under the real name
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tracks.csv"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failure_mid_write_keeps_the_old_file_and_removes_the_temporary_one(tmp_path, error):
    target = tmp_path / "model.pt"
    target.write_bytes(b"the old model")
    with pytest.raises(type(error)):
        with atomic_path(target) as partial:
            partial.write_bytes(b"half a mod")
            raise error
    assert target.read_bytes() == b"the old model"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_a_failure_before_anything_was_written_is_fine(tmp_path):
    with pytest.raises(ValueError):
        with atomic_path(tmp_path / "new.json"):
            raise ValueError("bad input")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_replaces_an_earlier_folder_only_when_complete(tmp_path):
    target = tmp_path / "images"
    target.mkdir()
    (target / "old.png").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as staging:
            staging.mkdir()
            (staging / "frame_000000.png").write_bytes(b"new")
            raise RuntimeError("stopped after one frame")
    assert [p.name for p in tmp_path.iterdir()] == ["images"] and (target / "old.png").exists()
    with atomic_path(target) as staging:
        staging.mkdir()
        (staging / "frame_000000.png").write_bytes(b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["images"]
    assert [p.name for p in target.iterdir()] == ["frame_000000.png"]


def test_two_writers_of_one_target_get_separate_temporary_paths(tmp_path):
    first, second = AtomicPath(tmp_path / "a.csv"), AtomicPath(tmp_path / "a.csv")
    assert first.path != second.path


def test_published_early_then_appended_through_the_open_handle(tmp_path):
    """The way detections.csv is written: visible after its first frame, appended to after."""
    staged = AtomicPath(tmp_path / "detections.csv")
    with open(staged.path, "w") as handle:
        handle.write("frame\n0\n")
        handle.flush()
        staged.commit()
        handle.write("1\n")
    assert (tmp_path / "detections.csv").read_text() == "frame\n0\n1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["detections.csv"]


def test_the_suffix_is_kept_for_writers_that_choose_the_format_by_name(tmp_path):
    from matplotlib.figure import Figure

    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])
    with atomic_path(tmp_path / "lengths.png") as partial:
        figure.savefig(partial)
    assert (tmp_path / "lengths.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_killed_writer_leaves_the_old_file_under_its_name(tmp_path):
    """SIGKILL mid-write: no handler runs; the real name still holds the old, whole file."""
    target = tmp_path / "big.bin"
    target.write_bytes(b"old")
    script = ("import sys, time\n"
              "from yoloxsp.io.atomic import atomic_path\n"
              "with atomic_path(sys.argv[1]) as partial, open(partial, 'wb') as handle:\n"
              "    handle.write(b'x' * 1000); handle.flush(); print('writing', flush=True); time.sleep(60)\n")
    process = subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "writing"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(0.1)
    assert target.read_bytes() == b"old"
    left = [p for p in tmp_path.iterdir() if p != target]
    assert len(left) == 1 and TEMPORARY_TAG in left[0].name and left[0].stat().st_size == 1000
    with atomic_path(target) as partial:  # the next successful write clears what the killed one left
        partial.write_bytes(b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["big.bin"] and target.read_bytes() == b"new"


def test_only_partials_of_writers_gone_from_this_host_are_removed(tmp_path):
    """A live writer's partial, another machine's (a shared folder) and another target's stay."""
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    host = AtomicPath(tmp_path / "x").path.name.split(TEMPORARY_TAG)[1].split("-")[0]
    try:
        names = {"dead": f"t{TEMPORARY_TAG}{host}-{dead.pid}-0000aaaa.csv",
                 "dead folder": f"t{TEMPORARY_TAG}{host}-{dead.pid}-0000bbbb.csv",
                 "live": f"t{TEMPORARY_TAG}{host}-{live.pid}-0000cccc.csv",
                 "other host": f"t{TEMPORARY_TAG}{'0' * 8 if host != '0' * 8 else '1' * 8}-{dead.pid}-0000dddd.csv",
                 "other target": f"u{TEMPORARY_TAG}{host}-{dead.pid}-0000eeee.csv",
                 "other suffix": f"t{TEMPORARY_TAG}{host}-{dead.pid}-0000ffff.csv.gz",
                 "this process": f"t{TEMPORARY_TAG}{host}-{os.getpid()}-00001111.csv"}
        for kind, name in names.items():
            (tmp_path / name).mkdir() if kind == "dead folder" else (tmp_path / name).write_text(kind)
        with atomic_path(tmp_path / "t.csv") as partial:
            partial.write_text("table")
        kept = {p.name for p in tmp_path.iterdir()}
        assert kept == {"t.csv"} | {names[k] for k in ("live", "other host", "other target", "other suffix",
                                                         "this process")}
    finally:
        live.kill()
        live.wait(timeout=30)


def test_a_partial_that_cannot_be_removed_stays_and_the_write_still_succeeds(tmp_path, monkeypatch):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    host = AtomicPath(tmp_path / "x").path.name.split(TEMPORARY_TAG)[1].split("-")[0]
    stuck = tmp_path / f"a[1]{TEMPORARY_TAG}{host}-{dead.pid}-0000aaaa"  # a folder target, a stem with glob characters
    stuck.mkdir()
    sibling = tmp_path / f"a[1]{TEMPORARY_TAG}{host}-{dead.pid}-0000bbbb.tif"  # partial of a[1].tif, not of a[1]
    sibling.write_text("other")

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(shutil, "rmtree", refuse)
    with atomic_path(tmp_path / "a[1]") as partial:
        partial.write_text("done")
    assert (tmp_path / "a[1]").read_text() == "done" and stuck.is_dir()
    monkeypatch.undo()
    with atomic_path(tmp_path / "a[1]") as partial:
        partial.write_text("again")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a[1]", sibling.name]
