"""``yoloxsp predict`` on every input kind, and the movie reader's errors."""
from __future__ import annotations

import csv
import subprocess
import sys

import cv2
import numpy as np
import pytest
import tifffile

from yoloxsp.errors import InputError
from yoloxsp.io import open_movie, read_image

pytestmark = pytest.mark.core


def predict(*args):
    return subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "predict", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def rows(path):
    with open(path) as handle:
        return list(csv.DictReader(handle))


def video_frames(path):
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            return frames
        frames.append(frame)


def test_tiff_stack_gives_tables_overlays_and_plot_with_metadata_units(small_movie, tmp_path):
    result = predict(small_movie / "stack.tif", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    detections = rows(tmp_path / "out" / "detections.csv")
    assert list(detections[0]) == ["frame", "track_id", "score", "x1", "y1", "x2", "y2", "pole1_x", "pole1_y",
                                   "pole2_x", "pole2_y", "pole1_sd_px", "pole2_sd_px", "poles_from", "length_px",
                                   "length_um"]
    assert {int(d["frame"]) for d in detections} <= set(range(6)) and len(detections) >= 6
    measured = [d for d in detections if d["length_px"] != "nan"]
    assert measured and all(float(d["length_um"]) == pytest.approx(float(d["length_px"]) * 0.15, abs=2e-3)
                            for d in measured)  # pixel size read from the ImageJ metadata
    tracks = rows(tmp_path / "out" / "tracks.csv")
    assert {t["track_id"] for t in tracks} == {d["track_id"] for d in detections}
    overlay = video_frames(tmp_path / "out" / "overlay.avi")
    assert len(overlay) == 6 and overlay[0].shape == (320, 384, 3)  # a 192x160 field is drawn 2x
    assert (tmp_path / "out" / "lengths.png").stat().st_size > 1000
    assert "0.15 um" in result.stdout and "30.0 s" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["detections.csv", "lengths.png", "overlay.avi",
                                                                     "tracks.csv"]  # no partial files left


def test_overlay_as_frames_replaces_the_video_on_overwrite(small_movie, tmp_path):
    assert predict(small_movie / "stack.tif", "--out", tmp_path).returncode == 0
    result = predict(small_movie / "stack.tif", "--out", tmp_path, "--overlay", "frames", "--overwrite")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "overlay").iterdir()) == [f"frame_{t:06d}.png" for t in range(6)]
    assert not (tmp_path / "overlay.avi").exists()  # the old overlay does not linger beside the new tables
    assert predict(small_movie / "stack.tif", "--out", tmp_path, "--overlay", "none", "--overwrite").returncode == 0
    assert not (tmp_path / "overlay").exists() and (tmp_path / "detections.csv").exists()


def test_refuses_to_overwrite_and_overwrites_when_asked(small_movie, tmp_path):
    image = small_movie / "images" / "frame_000000.png"
    assert predict(image, "--out", tmp_path).returncode == 0
    again = predict(image, "--out", tmp_path)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    assert predict(image, "--out", tmp_path, "--overwrite").returncode == 0


def test_a_track_threshold_outside_zero_to_one_is_refused_before_anything_is_written(small_movie, tmp_path):
    result = predict(small_movie / "stack.tif", "--out", tmp_path / "out", "--track-threshold", "1.5")
    assert result.returncode == 2 and "track score threshold must be in (0, 1] (got 1.5)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_folder_and_video_inputs(small_movie, tmp_path):
    frames = sorted((small_movie / "images").iterdir())
    video = tmp_path / "movie.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5, (192, 160))
    for frame in frames:
        writer.write(cv2.imread(str(frame)))
    writer.release()
    for source in (small_movie / "images", video):
        result = predict(source, "--out", tmp_path / source.stem, "--frame-interval", "30", "--pixel-size", "0.15")
        assert result.returncode == 0, result.stderr
        assert len(video_frames(tmp_path / source.stem / "overlay.avi")) == len(frames)


def test_channel_selection_and_bad_channel_count(small_movie, tmp_path):
    swapped = tmp_path / "swapped.tif"
    stack = tifffile.imread(small_movie / "stack.tif")  # T C Y X: tubulin, SPB
    tifffile.imwrite(swapped, stack[:, ::-1], imagej=True, metadata={"axes": "TCYX"})
    assert predict(swapped, "--out", tmp_path / "a", "--channels", "1", "0").returncode == 0
    bad = predict(swapped, "--out", tmp_path / "b", "--channels", "0", "5")
    assert bad.returncode == 2 and "frame 0" in bad.stderr and "swapped.tif" in bad.stderr


def test_movie_reader_errors_name_the_input(tmp_path, small_movie):
    with pytest.raises(InputError, match="not found"):
        open_movie(tmp_path / "missing.tif")
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes((small_movie / "stack.tif").read_bytes()[:3000])
    with pytest.raises(InputError, match="truncated.tif"):
        list(open_movie(truncated).frames())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no image files"):
        open_movie(empty)
    not_video = tmp_path / "movie.mp4"
    not_video.write_bytes(b"not a video")
    with pytest.raises(InputError, match="movie.mp4"):
        open_movie(not_video)
    four = tmp_path / "four.tif"
    tifffile.imwrite(four, np.zeros((2, 4, 32, 32), np.uint16), imagej=True, metadata={"axes": "TCYX"})
    with pytest.raises(InputError, match="4 channels"):
        open_movie(four)


def test_tiff_frames_stream_as_the_stack_holds_them(small_movie):
    movie = open_movie(small_movie / "stack.tif")
    assert (movie.n_frames, movie.pixel_size, movie.frame_interval) == (6, pytest.approx(0.15), 30.0)
    stack = tifffile.imread(small_movie / "stack.tif")
    for t, frame in enumerate(movie.frames()):
        assert frame.shape == (160, 192, 2) and np.array_equal(frame, stack[t].transpose(1, 2, 0))
    single = open_movie(small_movie / "images" / "frame_000002.png")
    assert single.n_frames == 1 and np.array_equal(next(single.frames()),
                                                   read_image(small_movie / "images" / "frame_000002.png"))


@pytest.mark.parametrize("frame, message", [
    (np.full((64, 64), np.nan, np.float32), "NaN"),
    (np.zeros((1, 9000, 1), np.uint8), "exceeds 8192"),
])
def test_unusable_frames_are_named(tmp_path, frame, message):
    path = tmp_path / "bad.tif"
    tifffile.imwrite(path, np.stack([frame, frame]))
    result = predict(path, "--out", tmp_path / "out")
    assert result.returncode == 2 and message in result.stderr and "bad.tif" in result.stderr
    assert "frame 0" in result.stderr and not any((tmp_path / "out").glob("*"))  # nothing half-written


def test_a_one_pixel_frame_gives_a_correct_empty_result(tmp_path):
    path = tmp_path / "dot.png"
    cv2.imwrite(str(path), np.zeros((1, 1, 3), np.uint8))
    result = predict(path, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert rows(tmp_path / "out" / "detections.csv") == []
    assert [p.name for p in (tmp_path / "out" / "overlay").iterdir()] == ["frame_000000.png"]  # one image: a PNG


def test_a_folder_of_differently_sized_frames_keeps_every_frame_in_the_video(small_movie, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for t, frame in enumerate(sorted((small_movie / "images").iterdir())[:3]):
        image = cv2.imread(str(frame))
        cv2.imwrite(str(folder / f"f{t}.png"), image if t != 1 else cv2.resize(image, (240, 200)))
    result = predict(folder, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    overlay = video_frames(tmp_path / "out" / "overlay.avi")
    assert len(overlay) == 3 and {f.shape for f in overlay} == {(320, 384, 3)}


def test_plain_stack_axes_option_and_fiji_units(small_movie, tmp_path):
    tubulin = tifffile.imread(small_movie / "stack.tif")[:3, 0]  # 3 frames of one channel, T Y X
    plain = tmp_path / "plain.tif"
    tifffile.imwrite(plain, tubulin)  # no metadata at all
    result = predict(plain, "--out", tmp_path / "frames")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("3 frame(s)") and "pixel size unknown" in result.stdout
    as_channels = predict(plain, "--out", tmp_path / "channels", "--axes", "CYX")
    assert as_channels.returncode == 0 and as_channels.stdout.startswith("1 frame(s)")
    bad = predict(plain, "--out", tmp_path / "bad", "--axes", "TZYX")
    assert bad.returncode == 2 and "plain.tif" in bad.stderr and "names 4 axes" in bad.stderr
    fiji = tmp_path / "fiji.tif"
    tifffile.imwrite(fiji, tubulin, imagej=True, resolution=(15.38, 15.38), metadata={"axes": "TYX", "unit": "\\u00B5m"})
    result = predict(fiji, "--out", tmp_path / "fiji")
    assert result.returncode == 0 and "pixel size 0.06502 um" in result.stdout


def test_a_tubulin_only_movie_exported_as_grey_or_green_video_is_read_as_tubulin(tmp_path):
    """The bundled sample's tubulin channel alone, written three ways a lab exports a one-channel
    movie: a one-channel TIFF, a grey AVI and a green-colour-table AVI (MJPEG, by OpenCV's writer).
    The exports must give the spindles the TIFF gives; read as they are stored, the grey export
    would show tubulin in the SPB channel too and the green one no tubulin at all."""
    from yoloxsp.io.contrast import auto_contrast

    tubulin = [auto_contrast(frame[..., :1])[..., 0] for frame in open_movie("res/sample/stack.tif").frames()]
    tifffile.imwrite(tmp_path / "tubulin.tif", np.stack(tubulin))
    exports = {"grey": lambda t: np.repeat(t[..., None], 3, axis=2),
               "green": lambda t: np.stack([np.zeros_like(t), t, np.zeros_like(t)], axis=-1)}
    for name, colour in exports.items():
        writer = cv2.VideoWriter(str(tmp_path / f"{name}.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 5,
                                 tubulin[0].shape[::-1])
        assert writer.isOpened(), "OpenCV has no MJPG encoder here"
        for frame in tubulin:
            writer.write(np.ascontiguousarray(colour(frame)[..., ::-1]))
        writer.release()
    from yoloxsp.metrics.boxes import matched_pairs, pairwise_iou

    boxes = {}
    for name in ("tubulin.tif", "grey.avi", "green.avi"):
        result = predict(tmp_path / name, "--out", tmp_path / name.split(".")[0], "--overlay", "none")
        assert result.returncode == 0, result.stderr
        table = rows(tmp_path / name.split(".")[0] / "detections.csv")
        boxes[name] = [np.array([[float(r[k]) for k in ("x1", "y1", "x2", "y2")] for r in table if int(r["frame"]) == t],
                                float).reshape(-1, 4) for t in range(len(tubulin))]
    reference = boxes["tubulin.tif"]
    n_reference = sum(map(len, reference))
    assert n_reference >= len(tubulin)  # the sample's spindles, in every frame
    for name in ("grey.avi", "green.avi"):
        same = sum(len(matched_pairs(pairwise_iou(b, r), 0.5)[0]) for b, r in zip(boxes[name], reference))
        extra = sum(map(len, boxes[name])) - same
        assert same >= 0.9 * n_reference and extra <= 2, (name, same, extra, n_reference)


def test_ends_are_fitted_on_the_pixels_unless_the_networks_poles_are_asked_for(small_movie, tmp_path):
    """Default: every end measured on the pixels (the small movie is two-colour: SPB spots, or the
    tubulin fit where a spot is missing); --ends model: the network's poles, no standard error."""
    fitted = predict(small_movie / "stack.tif", "--out", tmp_path / "fit", "--overlay", "none")
    model = predict(small_movie / "stack.tif", "--out", tmp_path / "model", "--overlay", "none", "--ends", "model")
    assert fitted.returncode == 0 and model.returncode == 0, fitted.stderr + model.stderr
    fit_rows, model_rows = rows(tmp_path / "fit" / "detections.csv"), rows(tmp_path / "model" / "detections.csv")
    assert {r["poles_from"] for r in model_rows} == {"model"} and all(r["pole1_sd_px"] == "nan" for r in model_rows)
    assert {r["poles_from"] for r in fit_rows} <= {"spb", "tubulin"} and "spb" in {r["poles_from"] for r in fit_rows}
    assert [r["x1"] for r in fit_rows] == [r["x1"] for r in model_rows]  # the same spindles, other ends
    moved = [abs(float(a["pole1_x"]) - float(b["pole1_x"])) for a, b in zip(fit_rows, model_rows)]
    assert max(moved) > 0.05
