"""Two-pole evidence: a detection is a spindle only if its box is clear of the frame's edges and,
where an SPB channel shows dots, each end has one (yoloxsp.analysis.evidence)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from yoloxsp.analysis.ends import holds_dots
from yoloxsp.analysis.evidence import MIN_REACH, REACH_SHARE, two_pole_evidence
from yoloxsp.synth.looks import look_config
from yoloxsp.synth.movie import generate

pytestmark = pytest.mark.core

ROOT = Path(__file__).resolve().parents[1]


def _dots(shape, centres, peak=120.0, background=20.0, seed=0) -> np.ndarray:
    ys, xs = np.mgrid[:shape[0], :shape[1]] + 0.5
    image = np.full(shape, background)
    for x, y in centres:
        image += peak * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * 1.2 ** 2))
    return np.clip(image + np.random.default_rng(seed).normal(0, 2.0, shape), 0, 255).astype(np.uint8)


def _boxes(poles: np.ndarray) -> np.ndarray:
    """Each spindle's box: its poles' bounding box grown by 2 px (a missing pole left out)."""
    return np.array([[*(np.nanmin(p, axis=0) - 2), *(np.nanmax(p, axis=0) + 2)] for p in poles])


def test_both_ends_need_an_spb_dot_where_the_channel_shows_dots():
    spb = _dots((100, 120), [(20.5, 30.5), (50.5, 30.5), (80.5, 70.5)])
    assert holds_dots(spb)
    poles = np.array([[[20, 30], [50, 31]],      # a dot at each end
                      [[80, 70], [100, 70]],     # a dot at one end only (a bright interphase bundle)
                      [[30, 85], [60, 85]],      # no dot at either end (a pole-less bar)
                      [[21, 31], [np.nan, np.nan]]], float)  # one pole not placed: judged by the other
    boxes = _boxes(poles)
    np.testing.assert_array_equal(two_pole_evidence(boxes, poles, spb.shape, spb), [True, False, False, True])
    # tubulin alone: no signal tells a spindle's ends, so none of these is refused for it
    np.testing.assert_array_equal(two_pole_evidence(boxes, poles, spb.shape, None), [True, True, True, True])


def test_a_box_at_the_frames_edge_is_a_bar_cut_by_it():
    boxes = np.array([[0.5, 10, 20, 14], [5, 10, 119.5, 14], [5, 60, 9, 100], [3, 0.2, 9, 20], [2, 2, 118, 98]])
    poles = np.full((5, 2, 2), np.nan)
    np.testing.assert_array_equal(two_pole_evidence(boxes, poles, (100, 120)), [False, False, False, False, True])


def test_true_spindles_show_their_ends_and_poles_moved_off_them_do_not():
    """The spindles the generator draws (its exact poles) pass in every two-colour look, held-out
    haze included; the same poles moved outward along the axis beyond the reach of their dots, as
    an interphase bundle's ends lie, fail (but where a dot of a cell beside it lies by chance)."""
    kept = moved = total = 0
    for look in ("wells-avi", "dense-lawn", "green-glow", "dead-cells", "two-colour-raw", "widefield-haze",
                 "spb-decorates-mts"):
        for seed in range(4):
            frame = next(iter(generate(look_config(look, 500 + seed, 1))))
            spb = frame.image[..., 1]
            assert holds_dots(spb)
            poles = np.array([row.spindle.poles for row in frame.truth], float).reshape(-1, 2, 2)
            kept += int(two_pole_evidence(_boxes(poles), poles, frame.image.shape, spb).sum())
            axis = poles[:, 1] - poles[:, 0]
            length = np.linalg.norm(axis, axis=1, keepdims=True)
            shift = 2 * np.maximum(MIN_REACH, REACH_SHARE * length / 2) + 3.0
            outward = np.stack([-axis, axis], axis=1) / np.maximum(length, 1e-9)[:, None]
            away = poles + shift[:, None] * outward
            moved += int(two_pole_evidence(_boxes(poles), away, frame.image.shape, spb).sum())
            total += len(poles)
    assert total > 50
    assert kept >= 0.98 * total
    assert moved <= 0.1 * total


def test_predicts_analysis_drops_a_spindle_cut_by_the_frames_edge_unless_told_not_to():
    """The bundled sample's first frame cut 2 px inside one spindle's lower end: the model still
    finds the cut spindle; the analysis core reports it only with the check off."""
    import tifffile

    import yoloxsp

    frame = np.moveaxis(tifffile.imread(ROOT / "res" / "sample" / "stack.tif")[0], 0, -1)[:66]
    checked = yoloxsp.analyse(frame).detections
    unchecked = yoloxsp.analyse(frame, pole_check=False).detections
    assert len(unchecked) == len(checked) + 1
    at_edge = (unchecked[["x1", "y1"]].min(axis=1) < 1.0) | (unchecked["x2"] > frame.shape[1] - 1.0) \
        | (unchecked["y2"] > frame.shape[0] - 1.0)
    assert at_edge.sum() == 1
