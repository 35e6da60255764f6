"""tools/probe_display.py: each variant is the display change its name says, on the marker channels only."""
from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def probe(tool):
    return tool("probe_display")


def test_variants_remap_the_marker_channels_and_keep_an_empty_one_empty(probe):
    frame = np.zeros((8, 8, 3), np.uint8)
    frame[..., 0] = np.arange(64, dtype=np.uint8).reshape(8, 8) * 4  # tubulin levels 0-252, no SPB channel
    np.testing.assert_array_equal(probe.VARIANTS["as exported"](frame), frame)
    raised = probe.VARIANTS["black level +30"](frame)
    np.testing.assert_array_equal(raised[..., 0].astype(int), np.minimum(frame[..., 0].astype(int) + 30, 255))
    assert raised[..., 1:].max() == 0
    doubled = probe.VARIANTS["gain 2 (clipped)"](frame)[..., 0].astype(int)
    np.testing.assert_array_equal(doubled, np.minimum(2 * frame[..., 0].astype(int), 255))
    assert (doubled == 255).sum() == (frame[..., 0] >= 128).sum() > 0
    darker, lighter = probe.VARIANTS["gamma 1.6"](frame), probe.VARIANTS["gamma 0.6"](frame)
    assert (darker[..., 0] <= frame[..., 0]).all() and (lighter[..., 0] >= frame[..., 0]).all()
    assert (darker[..., 0] < frame[..., 0]).any() and (lighter[..., 0] > frame[..., 0]).any()
