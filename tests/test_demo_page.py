"""The demo page as Gradio builds it (without a browser: ``test_demo_app.py`` drives one): a sample
to run in one click, whatever model folder it serves, and calibration boxes that are empty, not 0,
where empty means 'from the metadata'."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import yoloxsp
from yoloxsp.integrations.hub import demo_app_file
from yoloxsp.io import open_movie
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import open_backend

SAMPLE = Path(__file__).resolve().parents[1] / "res" / "sample" / "stack.tif"

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def app_module():
    """``app.py`` loaded as ``yoloxsp demo`` runs it: a script beside the model, not a package module."""
    with demo_app_file() as path:
        spec = importlib.util.spec_from_file_location("yoloxsp_demo_app", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def page(app_module):
    """The page's components by id, and its event listeners."""
    config = app_module.build_app("yoloxsp").get_config_file()
    return {c["id"]: c for c in config["components"]}, config["dependencies"]


def test_a_model_folder_without_a_sample_still_has_one_to_try(app_module):
    rows = app_module.examples(app_module.sample_folder("yoloxsp"))  # the bundled model carries no res/sample
    assert [row[0].rsplit("/", 1)[-1] for row in rows] == ["frame_000000.png", "stack.tif"]
    movie = open_movie(rows[1][0])
    assert movie.n_frames == 8 and movie.pixel_size == pytest.approx(0.13) and movie.frame_interval == 30


def test_clicking_an_example_runs_it(page):
    components, listeners = page
    [examples] = [id_ for id_, c in components.items() if c["type"] == "dataset"]
    assert len(components[examples]["props"]["samples"]) == 2
    [load] = [d for d in listeners if d["targets"] == [(examples, "click")]]
    [then] = [d for d in listeners if d.get("trigger_after") == load["id"]]
    ran = {components[i]["props"].get("elem_id") for i in then["outputs"]}
    assert {"summary", "overlay", "table"} <= ran  # the detection's outputs: no second click needed


@pytest.mark.parametrize("elem_id", ["pixel-size", "frame-interval", "batch-pixel-size", "batch-frame-interval"])
def test_calibration_boxes_start_empty_and_say_what_empty_means(page, elem_id):
    components, _ = page
    [box] = [c for c in components.values() if c["props"].get("elem_id") == elem_id]
    assert box["props"].get("value") is None  # Gradio leaves an unset value out
    assert "empty: from" in box["props"]["placeholder"] and "metadata" in box["props"]["placeholder"]


def test_the_demo_gives_what_yoloxsp_analyse_gives(app_module, tmp_path):
    """Both tabs run the analysis core: the "One movie" tab's tables are those of
    ``yoloxsp.analyse(...).save()`` to the byte, and so are the "Many movies" tab's (a batch)."""
    saved = yoloxsp.analyse(SAMPLE).save(tmp_path / "analysed")
    one = app_module.analyse_upload(str(SAMPLE), Predictor(open_backend("yoloxsp")))
    many = app_module.analyse_uploads([str(SAMPLE)], "yoloxsp")
    [movie] = [p for p in many.out.iterdir() if (p / "done.json").is_file()]
    for name in ("detections.csv", "tracks.csv"):
        assert (one.out / name).read_text() == (movie / name).read_text() == (saved / name).read_text()


def test_a_typed_calibration_beats_the_metadata_in_both_tabs(app_module):
    """An empty box leaves the pixel size to the file; a typed one is meant for the movie, in the
    "Many movies" tab as in the "One movie" tab (it goes into the movie's manifest row)."""
    one = app_module.analyse_upload(str(SAMPLE), Predictor(open_backend("yoloxsp")), pixel_size=0.2)
    many = app_module.analyse_uploads([str(SAMPLE)], "yoloxsp", pixel_size=0.2, frame_interval=10.0)
    [marker] = [json.loads(p.read_text()) for p in many.out.glob("*/done.json")]
    assert one.pixel_size == marker["pixel_size"] == 0.2
    assert marker["calibration"]["pixel_size"] == {"value": 0.2, "from": "manifest"}
    assert marker["frame_interval"] == 10.0 and one.frame_interval == 30.0  # the file's, where none was typed
