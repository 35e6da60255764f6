"""The Python API (``yoloxsp.load``) on the bundled model and the bundled sample: what a notebook
user gets, checked against the sample's ground truth and against ``yoloxsp predict``'s table."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

import yoloxsp
from yoloxsp.errors import InputError, kept_notes
from yoloxsp.io import open_movie
from yoloxsp import movie
from yoloxsp.movie import analyse_movie
from yoloxsp.export.tables import CSV_OPTIONS, detections_table

pytestmark = pytest.mark.core

SAMPLE = Path(__file__).resolve().parents[1] / "res" / "sample"
COLUMNS = ["frame", "score", "x1", "y1", "x2", "y2", "pole1_x", "pole1_y", "pole2_x", "pole2_y", "pole1_sd_px",
           "pole2_sd_px", "poles_from", "length_px",
           "length_um"]


@pytest.fixture(scope="module")
def detector():
    return yoloxsp.load()


@pytest.fixture(scope="module")
def stack_results(detector):
    return detector(SAMPLE / "stack.tif")


def test_import_stays_cheap_and_the_api_is_found_at_the_top():
    probe = ("import sys, yoloxsp\nbefore = sorted(m for m in ('yoloxsp.api', 'numpy', 'onnxruntime') "
             "if m in sys.modules)\nyoloxsp.load\nafter = 'onnxruntime' in sys.modules\n"
             "print(before, after, 'load' in dir(yoloxsp), yoloxsp.load.__module__)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "False", "True", "yoloxsp.api"]
    with pytest.raises(AttributeError, match="no attribute 'lod'"):
        yoloxsp.lod


def test_a_stack_gives_every_frame_with_its_pixel_size_and_the_annotated_spindles(stack_results):
    truth = pd.read_csv(SAMPLE / "ground_truth.csv")
    assert len(stack_results) == truth.frame.max() + 1 == 8
    pole_errors, length_errors = [], []
    for result in stack_results:
        assert result.pixel_size == pytest.approx(0.13) and result.source == SAMPLE / "stack.tif"
        table, expected = result.to_dataframe(), truth[truth.frame == result.frame]
        assert list(table.columns) == COLUMNS and (table.frame == result.frame).all()
        assert len(table) == len(expected), f"frame {result.frame}"
        centres = lambda t: np.c_[(t.x1 + t.x2) / 2, (t.y1 + t.y2) / 2]  # noqa: E731
        rows, cols = linear_sum_assignment(np.linalg.norm(centres(table)[:, None] - centres(expected)[None], axis=2))
        for found, (_, annotated) in zip(table.iloc[rows].itertuples(), expected.iloc[cols].iterrows()):
            poles = np.array([[found.pole1_x, found.pole1_y], [found.pole2_x, found.pole2_y]])
            true_poles = annotated[["pole1_x", "pole1_y", "pole2_x", "pole2_y"]].to_numpy(float).reshape(2, 2)
            pole_errors.append(min(np.linalg.norm(poles - true_poles, axis=1).max(),
                                   np.linalg.norm(poles[::-1] - true_poles, axis=1).max()))
            assert found.length_um == pytest.approx(found.length_px * 0.13)
            length_errors.append(abs(found.length_um - annotated.length_um) / annotated.length_um)
    assert max(pole_errors) < 3.0 and np.median(pole_errors) < 1.0
    assert np.median(length_errors) < 0.05


def test_the_same_numbers_as_yoloxsp_predict(detector, stack_results, tmp_path):
    analysis = analyse_movie(SAMPLE / "stack.tif", tmp_path, detector.predictor, overlay="none", progress=False)
    predicted = pd.read_csv(tmp_path / "detections.csv")
    ours = pd.concat([r.to_dataframe() for r in stack_results], ignore_index=True)
    assert len(ours) == len(predicted) == len(analysis.detections)
    for column in ("frame", "x1", "y2", "pole1_x", "pole2_y", "length_px", "length_um"):
        np.testing.assert_allclose(ours[column], predicted[column], atol=1e-3, err_msg=column)


def test_a_stop_inside_a_table_write_leaves_the_outputs_agreeing(detector, tmp_path, monkeypatch, capsys):
    """Ctrl-C after frame 3's rows went to disk: the table, the tracks and the message all end at frame 2."""
    class StoppedAtFrame3(movie.DetectionsWriter):
        def write(self, rows):
            if self.frames == 3:  # frame 3 on disk, the stop comes before it is counted
                self._handle.write(detections_table(rows).to_csv(header=False, **CSV_OPTIONS).encode())
                raise KeyboardInterrupt
            super().write(rows)

    monkeypatch.setattr(movie, "DetectionsWriter", StoppedAtFrame3)
    with pytest.raises(KeyboardInterrupt) as stop:
        analyse_movie(SAMPLE / "stack.tif", tmp_path, detector.predictor, overlay="none", progress=False)
    assert "stopped after 3 of 8 frame(s)" in kept_notes(stop.value)[-1]
    detections, tracks = pd.read_csv(tmp_path / "detections.csv"), pd.read_csv(tmp_path / "tracks.csv")
    assert sorted(set(detections.frame)) == [0, 1, 2]
    assert set(tracks.track_id) == set(detections.track_id) and tracks.last_frame.max() == 2


def test_a_stop_while_the_summaries_are_written_still_writes_them(detector, tmp_path, monkeypatch, capsys):
    """Ctrl-C after the last frame, while the track table is made: it is made again and the stop
    reported, so no earlier run's tracks.csv stands beside the new table."""
    (tmp_path / "tracks.csv").write_text("an earlier run's tracks\n")
    make, stops = movie.tracks_table, []

    def stopped_once(*args, **kwargs):
        if not stops:
            stops.append(True)
            raise KeyboardInterrupt
        return make(*args, **kwargs)

    monkeypatch.setattr(movie, "tracks_table", stopped_once)
    with pytest.raises(KeyboardInterrupt) as stop:
        analyse_movie(SAMPLE / "stack.tif", tmp_path, detector.predictor, overlay="none", progress=False,
                      overwrite=True)
    assert "stopped after 8 of 8 frame(s)" in kept_notes(stop.value)[-1]
    detections, tracks = pd.read_csv(tmp_path / "detections.csv"), pd.read_csv(tmp_path / "tracks.csv")
    assert set(tracks.track_id) == set(detections.track_id) and tracks.last_frame.max() == 7
    assert (tmp_path / "lengths.png").stat().st_size > 1000


def test_summaries_that_fail_are_not_made_twice(detector, tmp_path, monkeypatch, capsys):
    calls = []

    def broken(*args, **kwargs):
        calls.append(True)
        raise RuntimeError("the plot failed")

    monkeypatch.setattr(movie, "plot_lengths", broken)
    with pytest.raises(RuntimeError, match="the plot failed") as failure:
        analyse_movie(SAMPLE / "stack.tif", tmp_path, detector.predictor, overlay="none", progress=False)
    assert len(calls) == 1 and not kept_notes(failure.value)
    assert len(set(pd.read_csv(tmp_path / "detections.csv").frame)) == 8  # the table stays whole


def test_arrays_paths_and_lists_mix_and_a_pixel_size_overrides(detector):
    frame = cv2.cvtColor(cv2.imread(str(SAMPLE / "images" / "frame_000000.png")), cv2.COLOR_BGR2RGB)
    [single] = detector(frame)
    assert single.source is None and single.pixel_size is None and single.frame == 0 and len(single) >= 1
    assert single.to_dataframe().length_um.isna().all()
    mixed = detector([frame, frame[..., 0], str(SAMPLE / "stack.tif")], pixel_size=0.2)
    assert len(mixed) == 2 + 8 and {r.pixel_size for r in mixed} == {0.2}
    assert [r.frame for r in mixed] == [0, 1, *range(8)]  # arrays: their place in the list; files: their own
    np.testing.assert_allclose(mixed[0].to_dataframe().x1, single.to_dataframe().x1)
    table = mixed[3].to_dataframe()
    np.testing.assert_allclose(table.length_um, table.length_px * 0.2)


def test_an_empty_frame_gives_an_empty_table_with_the_columns(detector):
    [empty] = detector(np.zeros((96, 128), np.uint8))
    table = empty.to_dataframe()
    assert len(empty) == 0 and table.empty and list(table.columns) == COLUMNS
    assert "0 spindle(s)" in repr(empty)


def test_plot_is_a_figure_outside_pyplot_and_save_writes_the_overlay(stack_results, tmp_path):
    result = stack_results[0]
    had_pyplot = "matplotlib.pyplot" in sys.modules  # other tests in this process may have imported it
    figure = result.plot(width=4)
    assert type(figure).__name__ == "Figure" and figure.canvas.manager is None  # pyplot's figures have one
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot  # plot() does not import pyplot
    height, width = result.image.shape[:2]
    assert tuple(figure.get_size_inches()) == pytest.approx((4, 4 * height / width))
    figure.savefig(tmp_path / "figure.png")
    assert cv2.imread(str(tmp_path / "figure.png")) is not None
    saved = result.save(tmp_path / "overlay.png")
    written = cv2.cvtColor(cv2.imread(str(saved)), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(written, result.overlay())
    assert written.shape[:2] == (2 * height, 2 * width)  # a small field is enlarged, as in predict's overlays
    assert not np.array_equal(written, cv2.resize(result.image, None, fx=2, fy=2,
                                                  interpolation=cv2.INTER_NEAREST))  # something is drawn


def test_bad_inputs_are_named(detector, tmp_path):
    with pytest.raises(InputError, match="expected an image array, a path or a list of them, got int"):
        detector(42)
    with pytest.raises(InputError, match="missing.tif: input not found"):
        detector([np.zeros((64, 64), np.uint8), tmp_path / "missing.tif"])
    with pytest.raises(InputError, match="frame 1: expected H x W x C with 1-4 channels"):
        detector([np.zeros((64, 64), np.uint8), np.zeros((64, 64, 5), np.uint8)])
    with pytest.raises(InputError, match="pixel size must be positive"):
        detector(np.zeros((64, 64), np.uint8), pixel_size=0)
    with pytest.raises(InputError, match="unknown length method 'curvy'"):
        yoloxsp.load(length="curvy")
    with pytest.raises(InputError, match="cannot write an image there"):
        detector(np.zeros((64, 64), np.uint8))[0].save(tmp_path / "overlay.unknown")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no partial file left behind


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """The sample movie through ``yoloxsp.analyse``, run in an empty working folder: (the result,
    that folder)."""
    folder = tmp_path_factory.mktemp("working")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return yoloxsp.analyse(SAMPLE / "stack.tif"), folder


def test_analyse_gives_predicts_tables_in_memory(analysed, tmp_path):
    """``yoloxsp.analyse`` on a movie: the same tracks and detections ``predict`` writes, nothing
    written until ``save``, which writes the same tables."""
    result, working = analysed
    assert result.out is None and list(working.iterdir()) == []
    predicted = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "predict", str(SAMPLE / "stack.tif"),
                                "--out", str(tmp_path / "predict"), "--overlay", "none"], capture_output=True, text=True)
    assert predicted.returncode == 0, predicted.stderr
    for name, table in (("detections.csv", result.detections), ("tracks.csv", result.tracks)):
        on_disk = pd.read_csv(tmp_path / "predict" / name)
        assert len(table) == len(on_disk) > 0 and list(table.columns) == list(on_disk.columns)
        numeric = [c for c in on_disk.columns if c not in ("poles_from", "flags")]
        np.testing.assert_allclose(table[numeric].to_numpy(float), on_disk[numeric].to_numpy(float), atol=1e-3)
    assert result.tracks["anaphase_b_rate_um_per_min"].notna().any()  # the sample's spindles elongate
    saved = result.save(tmp_path / "saved")
    assert (saved / "detections.csv").read_text() == (tmp_path / "predict" / "detections.csv").read_text()
    assert (saved / "tracks.csv").read_text() == (tmp_path / "predict" / "tracks.csv").read_text()
    with pytest.raises(FileExistsError):
        result.save(saved)
    assert len(result.plot().axes[0].lines) == result.tracks.track_id.nunique()


def test_an_array_is_analysed_as_its_file_is(analysed):
    """The frames of the sample as one T x H x W x C array, with the calibration its file records,
    give the file's tables: arrays and files meet in one place before the analysis."""
    movie = open_movie(SAMPLE / "stack.tif")
    frames = np.stack(list(movie.frames()))
    result = yoloxsp.analyse(frames, pixel_size=movie.pixel_size, frame_interval=movie.frame_interval)
    expected, _ = analysed
    pd.testing.assert_frame_equal(result.detections, expected.detections)
    pd.testing.assert_frame_equal(result.tracks, expected.tracks)
    uncalibrated = yoloxsp.analyse(frames[:1])  # one frame, no metadata: lengths in px only
    assert uncalibrated.n_frames == 1 and uncalibrated.detections["length_um"].isna().all()
    assert len(uncalibrated.detections) == (expected.detections.frame == 0).sum()


def test_settings_are_refused_before_the_model_loads():
    with pytest.raises(InputError, match="unknown end method 'guess'"):
        yoloxsp.analyse(SAMPLE / "stack.tif", ends="guess", model="no-such-model")
    with pytest.raises(TypeError, match="track_score_threshold"):
        yoloxsp.analyse(SAMPLE / "stack.tif", track_score_threshold=0.2, model="no-such-model")
