"""The synthetic generator: reproducible files, correct metadata, exact and plausible ground truth."""
from __future__ import annotations

import csv
import hashlib
from dataclasses import replace

import numpy as np
import pytest
import tifffile

from yoloxsp.io import read_image
from yoloxsp.synth import GROUND_TRUTH_COLUMNS, SynthConfig, generate, read_truth, write_movie
from yoloxsp.synth.render import render_signal
from yoloxsp.synth.scene import build_field

from conftest import SMALL


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_files_other_seed_other_files(small_movie, tmp_path):
    again = write_movie(tmp_path / small_movie.name, SMALL)  # the task name is the folder name
    for name in ("stack.tif", "ground_truth.csv", "annotations.xml", "images/frame_000003.png"):
        assert _digest(again / name) == _digest(small_movie / name), name
    other = write_movie(tmp_path / "other", replace(SMALL, seed=8))
    assert _digest(other / "ground_truth.csv") != _digest(small_movie / "ground_truth.csv")


def test_stack_is_16bit_two_channel_time_series_with_calibration(small_movie):
    with tifffile.TiffFile(small_movie / "stack.tif") as tif:
        assert tif.is_imagej
        data = tif.asarray()
        meta = tif.imagej_metadata
        x_res = tif.pages[0].tags["XResolution"].value
    assert data.dtype == np.uint16
    assert data.shape == (SMALL.frames, 2, SMALL.height, SMALL.width)
    assert meta["unit"] == "um" and meta["finterval"] == pytest.approx(SMALL.frame_interval)
    assert x_res[1] / x_res[0] == pytest.approx(SMALL.pixel_size, rel=1e-4)
    assert abs(float(np.median(data)) - SMALL.background) < 15  # mostly background counts


def test_png_frames_are_8bit_rgb_red_tubulin_green_spb(small_movie):
    frame = read_image(small_movie / "images" / "frame_000000.png")
    assert frame.dtype == np.uint8 and frame.shape == (SMALL.height, SMALL.width, 3)
    assert frame[..., 2].max() == 0  # lossless frames: blue stays empty
    assert frame[..., 0].max() > 200 and frame[..., 1].max() > 200


def test_ground_truth_columns_and_rows(small_movie):
    with open(small_movie / "ground_truth.csv") as fh:
        header = next(csv.reader(fh))
    assert header == GROUND_TRUTH_COLUMNS
    rows = read_truth(small_movie / "ground_truth.csv")
    assert rows and {r.frame for r in rows} <= set(range(SMALL.frames))
    keys = [(r.frame, r.spindle.track_id) for r in rows]
    assert len(keys) == len(set(keys)), "one row per spindle per frame"
    for r in rows:
        (x1, y1, x2, y2), ((p1x, p1y), (p2x, p2y)) = r.spindle.box, r.spindle.poles
        assert x1 <= min(p1x, p2x) and max(p1x, p2x) <= x2 and y1 <= min(p1y, p2y) and max(p1y, p2y) <= y2
        chord = np.hypot(p2x - p1x, p2y - p1y) * SMALL.pixel_size
        assert chord <= r.length_um + 1e-3  # the arc is never shorter than the chord
        assert r.phase in (1, 2, 3)


def test_poles_sit_exactly_on_rendered_spb_spots():
    """Sub-pixel truth: the noise-free SPB spot's centroid is where the ground truth says."""
    config = SynthConfig(width=160, height=160, frames=1, seed=3, pixel_size=0.15, spindles=2, debris=0,
                         cell_coverage=0.0)
    field = build_field(config, np.random.default_rng(0))
    field.cells = [c for c in field.cells if c.spindle is not None]
    _, green, views = render_signal(field, t=field.cells[0].spindle.start + 6.0)
    assert views
    ys, xs = np.mgrid[0:160, 0:160] + 0.5
    for view in views:
        for end in (view.curve[0], view.curve[-1]):
            px, py = end / config.pixel_size
            window = (np.abs(xs - px) < 3) & (np.abs(ys - py) < 3)
            w = green * window
            cx, cy = (w * xs).sum() / w.sum(), (w * ys).sum() / w.sum()
            assert np.hypot(cx - px, cy - py) < 0.25


def test_spindles_follow_the_three_phases():
    config = SynthConfig(width=256, height=256, frames=120, frame_interval=20, seed=5, spindles=3, jpeg_quality=None)
    lengths = {}
    for frame in generate(config):
        for row in frame.truth:
            lengths.setdefault(row.spindle.track_id, []).append((row.phase, row.length_um))
    assert any({p for p, _ in track} == {1, 2, 3} for track in lengths.values())
    for track in lengths.values():
        plateau = [length for p, length in track if p == 2]
        elongation = [length for p, length in track if p == 3]
        if plateau:
            assert 2.1 < np.median(plateau) < 3.3
        if len(elongation) > 1:
            assert np.all(np.diff(elongation) > -0.05), "anaphase B only elongates"
            assert max(elongation) <= 14.5


def test_refuses_to_overwrite_without_permission(small_movie, tmp_path):
    target = tmp_path / "movie"
    write_movie(target, replace(SMALL, frames=1))
    with pytest.raises(FileExistsError, match="--overwrite"):
        write_movie(target, replace(SMALL, frames=1))
    write_movie(target, replace(SMALL, frames=2), overwrite=True)
    assert len(list((target / "images").iterdir())) == 2


@pytest.mark.parametrize("bad", [dict(frames=0), dict(pixel_size=0), dict(width=8), dict(jpeg_quality=0)])
def test_invalid_config_is_refused_with_reason(bad):
    with pytest.raises(ValueError, match="invalid synthetic config"):
        SynthConfig(**bad)


def test_crowded_field_with_wells_leaves_out_wells_instead_of_failing():
    # This field has no room for three 11-14 um mitotic cells between its wells.
    config = SynthConfig(width=256, height=256, frames=1, seed=903, pixel_size=0.1, spindles=3, wells=True)
    frame = next(generate(config))
    assert len(frame.truth) == 3
