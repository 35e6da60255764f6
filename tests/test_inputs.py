"""One place decides a movie's pixel size and frame interval (yoloxsp.analysis.inputs): what is
given for the movie beats its metadata, which beats a fallback, for every entry point."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from yoloxsp.analysis.inputs import FALLBACK, GIVEN, METADATA, UNKNOWN, decide, open_input
from yoloxsp.errors import InputError

pytestmark = pytest.mark.core

STACK = Path(__file__).resolve().parents[1] / "res" / "sample" / "stack.tif"  # records 0.13 um/px and 30 s


@pytest.mark.parametrize("given, recorded, fallback, expected", [
    (0.2, 0.13, 0.5, (0.2, GIVEN)),
    (None, 0.13, 0.5, (0.13, METADATA)),
    (None, None, 0.5, (0.5, FALLBACK)),
    (None, 0.0, 0.5, (0.5, FALLBACK)),  # a zero in a file's metadata says nothing
    (None, None, None, (None, UNKNOWN)),
])
def test_given_beats_metadata_beats_fallback(given, recorded, fallback, expected):
    assert decide(given, recorded, fallback) == expected


def test_a_file_and_an_array_are_opened_alike():
    recorded = open_input(STACK, fallback_pixel_size=0.5, fallback_frame_interval=10.0)
    assert (recorded.pixel_size, recorded.pixel_size_from) == (pytest.approx(0.13), METADATA)
    assert (recorded.frame_interval, recorded.frame_interval_from) == (30.0, METADATA)
    given = open_input(STACK, pixel_size=0.2, channels=[1, 0])
    assert (given.pixel_size, given.pixel_size_from, given.frame_interval) == (0.2, GIVEN, 30.0)
    first, swapped = next(recorded.raw_frames()), next(given.raw_frames())
    assert np.array_equal(swapped, first[..., [1, 0]])
    array = open_input(np.stack([first, first]), fallback_pixel_size=0.5)
    assert (array.n_frames, array.path, array.pixel_size_from, array.frame_interval) == (2, None, FALLBACK, None)
    assert np.array_equal(open_input(first, pixel_size=0.13).prepare(0, first), recorded.prepare(0, first))
    with pytest.raises(InputError, match="frame 3: expected H x W x C with 1-4 channels"):
        array.prepare(3, np.zeros((8, 8, 5), np.uint16))


@pytest.mark.parametrize("option", ["pixel_size", "frame_interval", "fallback_pixel_size"])
def test_zero_or_less_is_refused(option):
    with pytest.raises(InputError, match="must be positive"):
        open_input(STACK, **{option: 0})
