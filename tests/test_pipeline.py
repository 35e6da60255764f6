"""The ModelScope spindle-detection pipeline: bare name, model folder, input kinds, outputs."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from modelscope.outputs import OutputKeys
from modelscope.pipelines import builder, pipeline
from modelscope.utils.constant import Tasks
from PIL import Image

import yoloxsp
from yoloxsp.errors import InputError
from yoloxsp.io import open_movie, read_image

pytestmark = pytest.mark.modelscope

KEYS = {OutputKeys.SCORES, OutputKeys.LABELS, OutputKeys.BOXES, OutputKeys.KEYPOINTS, "lengths_px", "lengths_um",
        "pole_sd_px", "poles_from"}


@pytest.fixture(scope="module")
def detector():
    return pipeline(Tasks.image_object_detection, model="yoloxsp")


def test_bare_name_runs_the_bundled_model_offline(detector, small_movie):
    out = detector(str(small_movie / "images" / "frame_000000.png"))
    assert set(out) == KEYS  # the same keys whatever the input
    n = len(out[OutputKeys.SCORES])
    assert np.isnan(out["lengths_um"]).all() and len(out["lengths_um"]) == n  # no pixel size: no um
    assert set(out["poles_from"]) <= {"spb", "tubulin", "model"} and out["pole_sd_px"].shape == (n, 2)
    assert n >= 2 and out[OutputKeys.BOXES].shape == (n, 4) and out[OutputKeys.KEYPOINTS].shape == (n, 2, 2)
    assert out[OutputKeys.LABELS] == ["spindle"] * n
    poles = out[OutputKeys.KEYPOINTS]
    complete = np.isfinite(poles).all(axis=(1, 2))
    chords = np.linalg.norm(poles[complete, 0] - poles[complete, 1], axis=1)
    ridge = out["lengths_px"][complete]  # along the tubulin ridge: never shorter than the chord
    assert complete.any() and np.all(ridge >= chords - 1e-6) and np.all(ridge <= chords * 1.2)


def test_straight_lengths_on_request(small_movie):
    straight = pipeline(Tasks.image_object_detection, model="yoloxsp", length="straight")
    out = straight(str(small_movie / "images" / "frame_000000.png"))
    poles = out[OutputKeys.KEYPOINTS]
    assert np.allclose(out["lengths_px"], np.linalg.norm(poles[:, 0] - poles[:, 1], axis=1), equal_nan=True)


def test_inputs_path_array_16bit_pil_and_list_agree(detector, small_movie):
    path = small_movie / "images" / "frame_000001.png"
    rgb = read_image(path)
    by_path = detector(str(path), pixel_size=0.15)
    by_array = detector(rgb)
    by_pil = detector(Image.fromarray(rgb))
    assert np.allclose(by_path[OutputKeys.BOXES], by_array[OutputKeys.BOXES])
    assert np.allclose(by_pil[OutputKeys.BOXES], by_array[OutputKeys.BOXES])
    assert np.allclose(by_path["lengths_um"], by_path["lengths_px"] * 0.15, equal_nan=True)
    sixteen = detector((rgb[..., :2].astype(np.uint16) * 257))  # 2-channel 16-bit: tubulin, SPB
    assert len(sixteen[OutputKeys.SCORES]) >= 1
    listed = detector([rgb, str(path)])
    assert isinstance(listed, list) and len(listed) == 2
    assert np.allclose(listed[0][OutputKeys.BOXES], by_array[OutputKeys.BOXES])


def test_the_pixel_size_reaches_the_contrast_of_16_bit_frames(detector, dead_cell_frames):
    """Given per call or to the pipeline, the pixel size lets the contrast leave a dead cell out
    (see tests/test_contrast.py): the spindles beside it are found only then."""
    pixel_size, frames = dead_cell_frames
    told = pipeline(Tasks.image_object_detection, model="yoloxsp", pixel_size=pixel_size)
    counts = {"per call": 0, "to the pipeline": 0, "not told": 0}
    for _, blobbed, _ in frames:
        counts["per call"] += len(detector(blobbed, pixel_size=pixel_size)[OutputKeys.SCORES])
        counts["to the pipeline"] += len(told(blobbed)[OutputKeys.SCORES])
        counts["not told"] += len(detector(blobbed)[OutputKeys.SCORES])
    assert counts["per call"] == counts["to the pipeline"] >= 2 * counts["not told"] + 4


def test_a_local_model_folder_works_too(tmp_path, small_movie):
    folder = shutil.copytree(yoloxsp.default_model_dir(), tmp_path / "model")
    out = pipeline(Tasks.image_object_detection, model=str(folder))(str(small_movie / "images" / "frame_000000.png"))
    assert len(out[OutputKeys.SCORES]) >= 2


def test_bad_input_is_named(detector, tmp_path):
    with pytest.raises(InputError, match="missing.png"):
        detector(str(tmp_path / "missing.png"))
    with pytest.raises(AssertionError, match="dict"):  # ModelScope's own input check
        detector({"not": "an image"})


def test_only_the_bare_name_is_rewritten(tmp_path):
    from modelscope.utils.hub import read_config

    shutil.copy(yoloxsp.default_model_dir() / "configuration.json", tmp_path / "configuration.json")
    assert builder.read_config(str(tmp_path)).to_dict() == read_config(str(tmp_path)).to_dict()  # passed through
    assert builder.normalize_model_input(str(tmp_path), None) == str(tmp_path)
    assert builder.normalize_model_input("yoloxsp", None) == str(yoloxsp.default_model_dir())
    assert builder.normalize_model_input(["yoloxsp"], None) == [str(yoloxsp.default_model_dir())]


def test_an_image_gives_what_yoloxsp_analyse_gives_for_that_frame(detector):
    """The pipeline runs one image through the analysis core as ``yoloxsp.analyse`` runs a movie:
    the sample's first frame (16-bit, with the pixel size its file records) gives that frame's rows
    of the movie's analysis (the first frame of a movie has no track to continue), on the torch
    backend the pipeline runs."""
    stack = Path(__file__).resolve().parents[1] / "res" / "sample" / "stack.tif"
    movie = open_movie(stack)
    out = detector(next(movie.frames()), pixel_size=movie.pixel_size)
    rows = yoloxsp.analyse(stack, backend="torch").detections.query("frame == 0")
    assert len(rows) == len(out[OutputKeys.SCORES]) >= 2
    np.testing.assert_allclose(out[OutputKeys.SCORES], rows.score)
    np.testing.assert_allclose(out[OutputKeys.BOXES], rows[["x1", "y1", "x2", "y2"]])
    np.testing.assert_allclose(out[OutputKeys.KEYPOINTS].reshape(-1, 4), rows[["pole1_x", "pole1_y", "pole2_x",
                                                                              "pole2_y"]])
    np.testing.assert_allclose(out["lengths_um"], rows.length_um)
    assert list(out["poles_from"]) == list(rows.poles_from)
