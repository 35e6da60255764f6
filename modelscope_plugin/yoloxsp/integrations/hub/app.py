"""yoloxsp demo app (Gradio) for the hosted model page (ModelScope Studio / Hugging Face Space).

    yoloxsp demo [--model yoloxsp] [--port 7860]      # in a model repository: python app.py

Upload an image, a TIFF stack or a video; the model finds the spindles and their poles, links
them into tracks and measures them (the same job as ``yoloxsp predict``). Shows the overlay of the
middle frame, the detections table and the length plot, and offers the CSVs. The "Many movies" tab
takes several movies at once (the job of ``yoloxsp batch``, in this process): the condition of a
movie is its file name up to the first underscore (``wt_01.tif`` -> ``wt``), and the page shows the
per-condition table and figures.

It ships inside the package (``yoloxsp demo`` runs it from any install) and ``yoloxsp publish``
copies it into a model repository as ``app.py``, where it serves the model beside it. It imports
yoloxsp by absolute name only, so it runs there as a script. The examples, which run in one
click, are the served model folder's ``res/sample`` frame and stack (a published repository
carries them for its card); where the folder has none (the bundled model), a synthetic movie of
the same kind that yoloxsp's generator writes at start-up.
"""
from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path
from typing import List, Optional

import gradio as gr
import pandas as pd

from yoloxsp.batch.job import JobSettings
from yoloxsp.batch.manifest import read_movies
from yoloxsp.batch.runner import BatchReport, run_batch
from yoloxsp.errors import InputError
from yoloxsp.model.backends import Predictor
from yoloxsp.model.resolve import model_path, open_backend
from yoloxsp.movie import Analysis, Settings, analyse_movie
from yoloxsp.synth import SynthConfig, write_movie

HERE = Path(__file__).resolve().parent
IN_MODEL_REPO = (HERE / "configuration.json").is_file()  # app.py of a published model repository
DEFAULT_MODEL = str(HERE) if IN_MODEL_REPO else "yoloxsp"
COLUMNS = ("frame", "track_id", "score", "length_px", "length_um")
HEADERS = ["frame", "track", "score", "length (px)", "length (um)"]
# A movie like res/sample (8 frames of 256x256 px, 0.13 um/px, 30 s), for a model folder without one.
SAMPLE = SynthConfig(width=256, height=256, frames=8, seed=1, pixel_size=0.13, frame_interval=30.0, spindles=4)
FROM_METADATA = "empty: from the file's metadata"


def sample_folder(model: str) -> Path:
    """The model folder's ``res/sample``, or, where it has none, a synthetic movie of the same kind
    written into a temporary folder: a page without an example leaves a visitor nothing to try."""
    sample = model_path(model) / "res" / "sample"
    if (sample / "stack.tif").is_file():
        return sample
    return write_movie(Path(tempfile.mkdtemp(prefix="yoloxsp-sample-")) / "sample", SAMPLE)


def examples(sample: Path) -> List[list]:
    """(upload, pixel size, frame interval) rows for the sample's first frame, an 8-bit PNG that
    records no calibration, and its TIFF stack, which does."""
    rows = [[sample / "images" / "frame_000000.png", 0.13, 30.0], [sample / "stack.tif", None, None]]
    return [[str(path), *rest] for path, *rest in rows if path.is_file()]


def analyse_upload(upload: str, predictor: Predictor, pixel_size: Optional[float] = None,
                   frame_interval: Optional[float] = None) -> Analysis:
    """The "One movie" tab's job: ``predict`` with its defaults and PNG overlays into a new temporary
    folder (``Analysis.out``). An empty box (None or 0) leaves the value to the file's metadata."""
    out = Path(tempfile.mkdtemp(prefix="yoloxsp-demo-"))
    return analyse_movie(upload, out, predictor, Settings(overlay="frames"), pixel_size=pixel_size or None,
                         frame_interval=frame_interval or None, progress=False)


def analyse_uploads(uploads: List[str], model: str, pixel_size: Optional[float] = None,
                    frame_interval: Optional[float] = None, units: str = "um") -> BatchReport:
    """The "Many movies" tab's job: ``batch`` in this process into a new temporary folder
    (``BatchReport.out``), a movie's condition being its file name up to the first underscore.
    A pixel size or frame interval typed in goes into every movie's manifest row, so that it beats
    the file's metadata as in the "One movie" tab; an empty box leaves it to the metadata."""
    out = Path(tempfile.mkdtemp(prefix="yoloxsp-batch-"))
    manifest = out / "manifest.csv"
    with open(manifest, "w", newline="") as handle:  # the same validation as a user's manifest
        writer = csv.writer(handle)
        writer.writerow(["path", "condition", "pixel_size", "frame_interval"])
        writer.writerows([path, Path(path).stem.split("_")[0], pixel_size or "", frame_interval or ""]
                         for path in uploads)
    entries, problems = read_movies(manifest)
    settings = JobSettings(model=model, units=units, analysis=Settings(overlay="none"))
    return run_batch(entries, out / "results", settings, problems, progress=False)


def build_app(model: str = DEFAULT_MODEL) -> gr.Blocks:
    predictor = Predictor(open_backend(model))

    def run(upload: Optional[str], pixel_size: Optional[float], frame_interval: Optional[float]):
        if not upload:
            raise gr.Error("upload an image, a TIFF stack or a video first")
        try:
            analysis = analyse_upload(upload, predictor, pixel_size, frame_interval)
        except InputError as exc:  # the user's file: one clear line; anything else is a bug and shows as one
            raise gr.Error(str(exc)) from None
        out = analysis.out
        overlays = sorted((out / "overlay").iterdir())
        table = analysis.detections[list(COLUMNS)].astype(float).set_axis(HEADERS, axis="columns").round(3)
        return (str(overlays[len(overlays) // 2]), table, str(out / "lengths.png"),
                [str(out / "detections.csv"), str(out / "tracks.csv")], analysis.summary().rsplit(" -> ", 1)[0])

    with gr.Blocks(title="yoloxsp: mitotic spindles in S. pombe") as app:
        gr.Markdown("# yoloxsp: find mitotic spindles and their poles, and measure them\n"
                    "Upload a frame, a 16-bit TIFF stack or a video of S. pombe (red/first channel: tubulin, "
                    "green/second: spindle pole bodies).")
        with gr.Tab("One movie"):
            _one_movie(run, examples(sample_folder(model)))
        with gr.Tab("Many movies", elem_id="many-tab"):
            _many_movies(model)
    return app


def _one_movie(run, example_rows: List[list]) -> None:
    with gr.Row():
        upload = gr.File(label="image, TIFF stack or video", type="filepath", elem_id="upload")
        with gr.Column():
            # no value and a placeholder: an empty box (None), which Gradio otherwise shows as 0
            pixel_size = gr.Number(label="pixel size (um)", placeholder=FROM_METADATA, elem_id="pixel-size")
            frame_interval = gr.Number(label="frame interval (s)", placeholder=FROM_METADATA,
                                       elem_id="frame-interval")
            button = gr.Button("Detect spindles", variant="primary", elem_id="detect")
    summary = gr.Markdown(elem_id="summary")
    with gr.Row():
        overlay = gr.Image(label="overlay (middle frame)", type="filepath", elem_id="overlay")
        plot = gr.Image(label="spindle length over time", type="filepath", elem_id="lengths")
    table = gr.Dataframe(headers=HEADERS, label="detections", elem_id="table")
    files = gr.File(label="tables (CSV)", file_count="multiple", elem_id="csv")
    outputs = [overlay, table, plot, files, summary]
    button.click(run, [upload, pixel_size, frame_interval], outputs)
    if example_rows:  # one click runs an example, as on a hosted model page
        gr.Examples(example_rows, [upload, pixel_size, frame_interval], outputs=outputs, fn=run,
                    cache_examples=False, run_on_click=True, label="Examples (click one to run it)")


def _many_movies(model: str) -> None:
    def run(uploads: Optional[List[str]], pixel_size: Optional[float], frame_interval: Optional[float],
            units: str):
        if not uploads:
            raise gr.Error("upload two or more movies first")
        report = analyse_uploads(uploads, model, pixel_size, frame_interval, units)
        results = report.out
        lines = report.text().splitlines()
        status = lines[0].split(" -> ")[0] + "".join(f"\n- {line}" for line in lines[1:])
        return (status, pd.read_csv(results / "conditions.csv").round(3),
                *(str(results / name) for name in ("rates_by_condition.png", "lengths_by_condition.png",
                                                   "aligned_lengths.png")),
                [str(results / name) for name in ("summary.csv", "conditions.csv", "movies.csv")])

    gr.Markdown("Upload several movies; a movie's condition is its file name up to the first underscore "
                "(`wt_01.tif` and `wt_02.tif` -> `wt`).")
    with gr.Row():
        uploads = gr.File(label="movies (TIFF stacks or videos)", file_count="multiple", type="filepath",
                          elem_id="batch-upload")
        with gr.Column():
            pixel_size = gr.Number(label="pixel size (um)", placeholder="empty: from each file's metadata",
                                   elem_id="batch-pixel-size")
            frame_interval = gr.Number(label="frame interval (s)", placeholder="empty: from each file's metadata",
                                       elem_id="batch-frame-interval")
            units = gr.Radio(["um", "px"], value="um", label="summary units", elem_id="batch-units")
            button = gr.Button("Analyse all movies", variant="primary", elem_id="batch-run")
    status = gr.Markdown(elem_id="batch-status")
    conditions = gr.Dataframe(label="per condition", elem_id="batch-conditions")
    with gr.Row():
        rates = gr.Image(label="anaphase B rate per condition", type="filepath", elem_id="batch-rates")
        lengths = gr.Image(label="spindle length per condition", type="filepath", elem_id="batch-lengths")
    aligned = gr.Image(label="length aligned at anaphase B onset", type="filepath", elem_id="batch-aligned")
    files = gr.File(label="tables (CSV)", file_count="multiple", elem_id="batch-csv")
    button.click(run, [uploads, pixel_size, frame_interval, units],
                 [status, conditions, rates, lengths, aligned, files])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    build_app(args.model).launch(server_name=args.host, server_port=args.port)


if __name__ == "__main__":
    main()
