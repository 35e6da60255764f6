"""Natural order of file names, shared by image folders (io.movies) and CVAT task folders (data.cvat_layout)."""
from __future__ import annotations

from pathlib import Path

import pytest

from yoloxsp.io.natural import natural_key

pytestmark = pytest.mark.core


def test_numbers_compare_as_numbers_and_case_is_ignored():
    names = ["frame_10.png", "Frame_2.png", "frame_1.png", "frame_100.png", "frame_02b.png"]
    assert sorted(names, key=natural_key) == ["frame_1.png", "Frame_2.png", "frame_02b.png", "frame_10.png",
                                              "frame_100.png"]


def test_a_path_sorts_by_its_file_name_only():
    assert sorted([Path("b9/task_10"), Path("a1/task_9")], key=natural_key) == [Path("a1/task_9"),
                                                                                Path("b9/task_10")]
