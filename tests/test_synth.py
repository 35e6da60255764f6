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

pytestmark = pytest.mark.core


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


@pytest.mark.parametrize("bad", [dict(frames=0), dict(pixel_size=0), dict(width=8), dict(jpeg_quality=0),
                                 dict(psf_sigma=0.0), dict(dead_cell_brightness=0.0),
                                 dict(dead_cell_size=float("nan")), dict(dead_cell_size=float("inf"))])
def test_invalid_config_is_refused_with_reason(bad):
    with pytest.raises(ValueError, match="invalid synthetic config"):
        SynthConfig(**bad)


def test_crowded_field_with_wells_leaves_out_wells_instead_of_failing():
    # This field has no room for three 11-14 um mitotic cells between its wells.
    config = SynthConfig(width=256, height=256, frames=1, seed=903, pixel_size=0.1, spindles=3, wells=True)
    frame = next(generate(config))
    assert len(frame.truth) == 3


# ------------------------------------------------------------------ knobs that span real microscopes

def _frames(**changes):
    base = dict(width=192, height=192, frames=1, seed=4, pixel_size=0.12, spindles=2, jpeg_quality=None,
                debris=0, psf_sigma=0.2)
    base.update(changes)
    return list(generate(SynthConfig(**base)))


def test_dead_cells_are_drawn_as_bright_and_as_wide_as_asked():
    """The knobs scale what is drawn and nothing else: the same cells, spindles and noise."""
    plain, bright, wide = (_frames(dead_cells=2, export="raw16", **knobs)[0].counts[0].astype(float)
                           for knobs in ({}, dict(dead_cell_brightness=10.0), dict(dead_cell_size=2.0)))
    background = np.median(plain)
    assert np.mean(bright != plain) < 0.2 and np.mean(wide != plain) < 0.2
    assert (bright - background).max() > 5 * (plain - background).max()
    assert np.sum(wide - background > 0.5 * (wide.max() - background)) > 2.5 * np.sum(
        plain - background > 0.5 * (plain.max() - background))


def test_tubulin_only_stack_has_one_channel_and_an_empty_green(tmp_path):
    config = SynthConfig(width=128, height=256, frames=2, seed=2, pixel_size=0.07, spindles=1,
                         channel_mode="tubulin-only", channels=("tubulin",), export="raw16", jpeg_quality=None)
    out = write_movie(tmp_path / "m", config)
    data = tifffile.imread(out / "stack.tif")
    assert data.shape == (2, 1, 256, 128) or data.shape == (2, 256, 128)
    image = read_image(out / "images" / "frame_000001.png")
    assert image[..., 1].max() == 0 and image[..., 2].max() == 0 and image[..., 0].max() == 255
    frame = _frames(channel_mode="tubulin-only", channels=("tubulin",))[0]  # avi8: green stays empty too
    assert frame.counts.shape[0] == 1 and frame.image[..., 1].max() == 0 and frame.image[..., 0].max() > 200


def test_raw16_image_is_what_predict_makes_of_the_stack_frame(tmp_path):
    from yoloxsp.io import open_movie, to_rgb8

    config = SynthConfig(width=160, height=144, frames=3, seed=9, pixel_size=0.15, spindles=2, export="raw16",
                         jpeg_quality=None, channels=("spb", "tubulin"))
    frames = list(generate(config))
    for frame in frames:  # tubulin picked first, as with `yoloxsp predict --channels 1 0`
        assert np.array_equal(frame.image, to_rgb8(np.moveaxis(frame.counts[::-1], 0, -1), config.pixel_size))
    out = write_movie(tmp_path / "m", config)
    movie = open_movie(out / "stack.tif")
    stack_frames = list(movie.frames())
    assert movie.pixel_size == pytest.approx(config.pixel_size)
    assert np.array_equal(to_rgb8(stack_frames[2][..., ::-1], movie.pixel_size), frames[2].image)
    assert not np.array_equal(to_rgb8(stack_frames[2], movie.pixel_size), frames[2].image)
    assert np.array_equal(read_image(out / "images" / "frame_000002.png"), frames[2].image)


def test_channel_order_swaps_the_stack_channels(tmp_path):
    first = _frames(channels=("tubulin", "spb"))[0]
    swapped = _frames(channels=("spb", "tubulin"))[0]
    assert not np.array_equal(first.counts[0], first.counts[1])
    assert np.array_equal(swapped.counts, first.counts[::-1])
    assert np.array_equal(swapped.image, first.image)  # avi8 shows red tubulin whatever the stack order
    out = write_movie(tmp_path / "m", replace(SMALL, frames=1, channels=("spb", "tubulin")))
    with tifffile.TiffFile(out / "stack.tif") as tif:
        assert tif.imagej_metadata["Labels"][:2] == ["SPB", "tubulin"]


def test_long_spindles_are_dimmer_than_short_ones_in_the_same_movie():
    config = SynthConfig(width=256, height=256, frames=60, frame_interval=30, seed=5, spindles=3, debris=0,
                         cell_coverage=0.0, psf_sigma=0.2, pixel_size=0.1, jpeg_quality=None, noise=0.0)
    peaks = {"short": [], "long": []}
    for frame in generate(config):
        red = frame.counts[0].astype(float) - config.background
        for row in frame.truth:
            (p1x, p1y), (p2x, p2y) = row.spindle.poles
            mid = (int((p1x + p2x) / 2), int((p1y + p2y) / 2))
            peak = red[mid[1] - 2:mid[1] + 3, mid[0] - 2:mid[0] + 3].max()
            if row.length_um < 3.5:
                peaks["short"].append(peak)
            elif row.length_um > 8:
                peaks["long"].append(peak)
    assert peaks["short"] and peaks["long"]
    assert np.median(peaks["long"]) < 0.5 * np.median(peaks["short"])
    flat = replace(config, length_dimming=0.0)  # the knob off: the same movie, long spindles at full brightness
    a = next(f for f in generate(config) if any(r.length_um > 8 for r in f.truth))
    b = next(f for f in generate(flat) if f.index == a.index)
    assert b.counts[0].sum() > a.counts[0].sum()


def test_breakdown_has_two_spb_spots_and_no_truth_row():
    config = SynthConfig(width=192, height=192, frames=1, seed=3, pixel_size=0.1, spindles=0, breakdowns=1,
                         cell_coverage=0.0, debris=0, psf_sigma=0.2, noise=0.0, jpeg_quality=None)
    frame = next(generate(config))
    assert frame.truth == []
    green = frame.counts[1].astype(float) - config.spb_background
    from scipy.ndimage import label, maximum_filter
    peaks = (green == maximum_filter(green, size=9)) & (green > 0.5 * green.max())
    assert label(peaks)[1] == 2
    red = frame.counts[0].astype(float) - config.background
    field = build_field(config, np.random.default_rng(np.random.SeedSequence(3).spawn(3)[0]))
    (cell,) = field.cells
    ys, xs = np.nonzero(peaks)
    mid = np.array([xs.mean(), ys.mean()]).astype(int)
    assert red[mid[1] - 1:mid[1] + 2, mid[0] - 1:mid[0] + 2].max() < 0.3 * cell.spindle.red_peak  # no bar


def test_crops_of_80x250_hold_a_whole_spindle():
    config = SynthConfig(width=80, height=250, frames=20, seed=1, pixel_size=0.065, spindles=1, debris=0,
                         channel_mode="tubulin-only", channels=("tubulin",), export="raw16", jpeg_quality=None,
                         spindle_peak=44, hooks=1.0)
    rows = [row for frame in generate(config) for row in frame.truth]
    assert rows
    for row in rows:
        for x, y in row.spindle.poles:
            assert 0 <= x <= 80 and 0 <= y <= 250


@pytest.mark.parametrize("knob, channel", [(dict(green_glow=0.5), 1), (dict(dead_cells=4), 0),
                                           (dict(dead_cells=4), 1), (dict(autofluorescence=0.3), 0),
                                           (dict(channel_mode="spb-on-microtubules"), 1),
                                           (dict(bright_bundles=1.0), 0)])
def test_each_distractor_knob_adds_signal_where_it_should(knob, channel):
    plain = _frames(noise=0.0, cell_coverage=0.4)[0].counts[channel].astype(float) - 100
    more = _frames(noise=0.0, cell_coverage=0.4, **knob)[0].counts[channel].astype(float) - 100
    added = more - plain  # the same field (optional features draw from their own stream): only additions
    assert added.min() >= -1 and added.sum() > 0.05 * plain.sum()


def test_green_glow_lifts_the_8bit_green_background():
    plain = _frames(cell_coverage=0.4)[0].image[..., 1]
    glow = _frames(cell_coverage=0.4, green_glow=0.5, display_background=(25.0, 35.0))[0].image[..., 1]
    assert np.median(plain) < 10 and 25 < np.median(glow) < 45


def test_overlapping_lawn_reaches_high_coverage():
    config = SynthConfig(width=256, height=256, frames=1, seed=6, pixel_size=0.1, spindles=3, overlap=True,
                         cell_coverage=0.85)
    field = build_field(config, np.random.default_rng(0))
    canvas = np.zeros((256, 256), bool)
    ys, xs = np.mgrid[0:256, 0:256]
    for cell in field.cells:
        a, b = (p / config.pixel_size for p in cell.endpoints())
        ab = b - a
        t = np.clip(((xs - a[0]) * ab[0] + (ys - a[1]) * ab[1]) / max(ab @ ab, 1e-9), 0, 1)
        d = np.hypot(xs - a[0] - t * ab[0], ys - a[1] - t * ab[1])
        canvas |= d < cell.width / 2 / config.pixel_size
    assert 0.75 < canvas.mean() < 0.95


def test_jpeg_with_raw16_and_bad_channel_orders_are_refused():
    with pytest.raises(ValueError, match="avi8 export only"):
        SynthConfig(export="raw16", jpeg_quality=80)
    with pytest.raises(ValueError, match="channels"):
        SynthConfig(channel_mode="tubulin-only")  # default channels name the SPB too
    with pytest.raises(ValueError, match="channels"):
        SynthConfig(channels=("tubulin", "tubulin"))


def test_training_config_never_returns_an_excluded_look():
    from yoloxsp.synth.looks import LOOKS, look_config, raw_looks, training_config

    raw = raw_looks()
    assert {"tubulin-only-raw", "two-colour-raw", "tubulin-only-lawn"} <= set(raw) and "wells-avi" not in raw
    assert all(look_config(look, seed, 1).export == "raw16" for look in raw for seed in range(20))
    for seed in range(60):
        config = training_config(seed, frames=2, exclude=raw)
        assert config.export == "avi8"
    drawn = {training_config(seed, 2, exclude=["wells-avi"]).wells for seed in range(80)}
    assert drawn == {False}  # only wells-avi has micro-wells
    assert look_config("dense-lawn", 5, 3) == look_config("dense-lawn", 5, 3)
    assert look_config("dense-lawn", 5, 3) != look_config("dense-lawn", 6, 3)
    with pytest.raises(ValueError, match="every look is excluded"):
        training_config(0, 2, exclude=list(LOOKS))
    with pytest.raises(ValueError, match="unknown look"):
        training_config(0, 2, exclude=["no-such-look"])


def test_look_weights_draw_a_look_that_many_times_as_often_and_keep_unweighted_draws():
    from yoloxsp.synth.looks import LOOKS, look_config, training_config

    def drawn_look(config):
        return next(name for name in LOOKS if look_config(name, config.seed, 1) == config)

    seeds = range(600)
    plain = [drawn_look(training_config(seed, 1)) for seed in seeds]
    assert [drawn_look(training_config(seed, 1, weights={name: 1 for name in LOOKS})) for seed in seeds] == plain
    weighted = [drawn_look(training_config(seed, 1, weights={"tubulin-only-lawn": 3})) for seed in seeds]
    share = weighted.count("tubulin-only-lawn") / len(seeds)
    assert abs(share - 3 / (len(LOOKS) + 2)) < 0.05 and abs(plain.count("tubulin-only-lawn") / len(seeds) - 1 / len(LOOKS)) < 0.05
    assert drawn_look(training_config(7, 1, weights={"tubulin-only-lawn": np.int64(100)})) == "tubulin-only-lawn"
    for bad in ({"tubulin-only-lawn": 0}, {"tubulin-only-lawn": 1.5}, {"tubulin-only-lawn": True},
                {"tubulin-only-lawn": 10**9}):
        with pytest.raises(ValueError, match="whole numbers from 1 to 100"):
            training_config(0, 1, weights=bad)
    with pytest.raises(ValueError, match="both excluded and weighted: dense-lawn"):
        training_config(0, 1, exclude=["dense-lawn"], weights={"dense-lawn": 2})
    with pytest.raises(ValueError, match="map look names"):
        training_config(0, 1, weights='{"dense-lawn": 2')  # a --set value the shell cut short stays a string
    with pytest.raises(ValueError, match="unknown look"):
        training_config(0, 1, weights={"no-such-look": 2})


def test_synthetic_training_frames_follow_their_look_weights():
    from yoloxsp.synth.frames import SyntheticFrames
    from yoloxsp.synth.looks import look_config

    frames = SyntheticFrames(3, first_seed=40, look_weights={"tubulin-only-lawn": 100})
    for index in range(3):
        _, record = frames.load(index)
        seed = int(record.task.removeprefix("seed-"))
        lawn = look_config("tubulin-only-lawn", seed, 1)
        assert (record.width, record.height) == (lawn.width, lawn.height)
    with pytest.raises(ValueError, match="unknown look"):
        SyntheticFrames(3, look_weights={"no-such-look": 2})


@pytest.mark.parametrize("look", ["wells-avi", "dense-lawn", "green-glow", "spb-decorates-mts", "dead-cells",
                                  "tubulin-only-raw", "two-colour-raw", "tubulin-only-lawn", "widefield-haze",
                                  "tubulin-only-8bit"])
def test_every_look_renders_reproducibly_within_the_training_size(look):
    from yoloxsp.synth.looks import look_config

    for seed in (10_000_000, 10_000_001):
        config = look_config(look, seed, frames=2)
        assert max(config.width, config.height) <= 384 and min(config.width, config.height) >= 80
        first, again = list(generate(config)), list(generate(config))
        assert all(np.array_equal(a.image, b.image) and np.array_equal(a.counts, b.counts)
                   for a, b in zip(first, again))
        assert first[0].image.shape == (config.height, config.width, 3) and first[0].image.dtype == np.uint8
        assert first[0].counts.shape[0] == len(config.channels)


def test_the_8bit_tubulin_only_look_is_one_channel_in_an_8bit_export():
    from yoloxsp.synth.looks import look_config

    config = look_config("tubulin-only-8bit", 20_000_000, frames=1)
    assert config.channels == ("tubulin",) and config.export != "raw16" and config.jpeg_quality
    frame = next(iter(generate(config)))
    assert frame.counts.shape[0] == 1
    assert frame.image[..., 0].max() > 100 and frame.image[..., 1].max() < 40  # green: JPEG chroma bleed only


def test_cli_writes_a_tubulin_only_raw_crop_and_a_look(tmp_path):
    import subprocess
    import sys

    def synth(*args):
        return subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "synth", *args, "--quiet"],
                              capture_output=True, text=True)

    out = synth(str(tmp_path / "crop"), "--channel-mode", "tubulin-only", "--export", "raw16", "--size", "80", "250",
                "--pixel-size", "0.065", "--spindles", "1", "--frames", "2", "--spindle-peak", "44")
    assert out.returncode == 0, out.stderr
    stack = tifffile.imread(tmp_path / "crop" / "stack.tif")
    assert stack.shape[0] == 2 and stack.shape[-2:] == (250, 80) and stack.size == 2 * 250 * 80  # one channel
    image = read_image(tmp_path / "crop" / "images" / "frame_000000.png")
    assert image[..., 1].max() == 0
    out = synth(str(tmp_path / "swapped"), "--channels", "spb,tubulin", "--size", "160", "160", "--pixel-size", "0.15",
                "--spindles", "1", "--frames", "1")
    assert out.returncode == 0, out.stderr
    assert tifffile.imread(tmp_path / "swapped" / "stack.tif").shape == (2, 160, 160)
    out = synth(str(tmp_path / "look"), "--look", "dead-cells", "--seed", "20000000", "--frames", "1")
    assert out.returncode == 0, out.stderr
    from yoloxsp.synth.looks import look_config
    config = look_config("dead-cells", 20000000, 1)
    assert read_image(tmp_path / "look" / "images" / "frame_000000.png").shape == (config.height, config.width, 3)
    bad = synth(str(tmp_path / "bad"), "--export", "raw16", "--jpeg-quality", "80")
    assert bad.returncode == 2 and "avi8 export only" in bad.stderr


def test_held_out_sets_use_seeds_training_never_draws(tmp_path):
    from yoloxsp.synth.sets import VALIDATION_SEEDS, write_look_set

    assert min(VALIDATION_SEEDS) >= 10_000_000 and len(VALIDATION_SEEDS) == 12
    movies = write_look_set(tmp_path, "tubulin-only-raw", n_movies=2, frames=2)
    assert [m.name for m in movies] == ["tubulin-only-raw-20000000", "tubulin-only-raw-20000001"]
    for movie in movies:
        stack = tifffile.imread(movie / "stack.tif")
        assert stack.size == 2 * stack.shape[-1] * stack.shape[-2]  # two frames of one channel
        assert len(list((movie / "images").iterdir())) == 2


def test_the_raw_tubulin_only_look_covers_the_measured_movie_and_other_labs():
    """Half its movies stay near the one measured tubulin-only movie (0.065 um/px, short spindles
    ~44 counts above background), the rest reach coarser pixels and other brightnesses."""
    from yoloxsp.synth.looks import look_config

    configs = [look_config("tubulin-only-raw", seed, frames=1) for seed in range(200)]
    assert all(c.channels == ("tubulin",) and c.export == "raw16" for c in configs)
    near = [c for c in configs if c.pixel_size <= 0.08 and 30 <= c.spindle_peak <= 60]
    coarse = [c for c in configs if c.pixel_size > 0.1]
    assert 0.4 <= len(near) / len(configs) <= 0.8
    assert len(coarse) >= 0.15 * len(configs)
    assert {c.spindle_peak < 30 for c in configs} == {True, False}
    assert {c.spindle_peak > 60 for c in configs} == {True, False}


def test_crop_movies_are_reproducible_single_cell_tubulin_only_crops():
    from yoloxsp.synth.sets import CROP_MOVIE_SEED, crop_movie_configs

    configs = crop_movie_configs(4, frames=42)
    assert configs == crop_movie_configs(4, frames=42)
    assert [c.seed - CROP_MOVIE_SEED for c in configs] == [0, 2, 3, 4]  # seed 1 draws a full field
    for config in configs:
        assert config.spindles == 1 and config.channels == ("tubulin",) and config.export == "raw16"
        assert config.frames == 42
