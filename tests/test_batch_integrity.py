"""``yoloxsp batch`` keeps every result with its own movie: same-named movies of two folders, a
manifest that loses a row, a movie that changes, calibration taken in the documented order, and
conditions kept in the manifest's order."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import tifffile

from yoloxsp.batch.job import JobSettings
from yoloxsp.batch.manifest import read_movies
from yoloxsp.batch.runner import run_batch
from yoloxsp.batch import summary
from yoloxsp.movie import Settings
from yoloxsp.synth import SynthConfig, write_movie

pytestmark = pytest.mark.core


def movie(path: Path, seed: int) -> Path:
    """A small calibrated movie (0.15 um/px, 30 s) of the generator, copied to ``path`` (the
    generator's own folder, hidden beside it, is not a movie of a folder input)."""
    generated = write_movie(path.with_name(f".{path.stem}-{seed}"), SynthConfig(
        width=160, height=160, frames=8, seed=seed, pixel_size=0.15, spindles=3, jpeg_quality=None, debris=0))
    shutil.copyfile(generated / "stack.tif", path)
    return path


@pytest.fixture(scope="module")
def screen(tmp_path_factory) -> Path:
    """``wt/cell01.tif`` and ``mut/cell01.tif``: two different movies of the same name."""
    root = tmp_path_factory.mktemp("screen")
    movie(root / "wt" / "cell01.tif", seed=11)
    movie(root / "mut" / "cell01.tif", seed=12)
    return root


@pytest.fixture(scope="module")
def two_runs(screen, tmp_path_factory):
    """``batch wt --out out`` then ``batch mut --out out`` (the issue's example)."""
    out = tmp_path_factory.mktemp("out")
    wt = run_batch(read_movies(screen / "wt")[0], out, JobSettings(), progress=False)
    mut = run_batch(read_movies(screen / "mut")[0], out, JobSettings(), progress=False)
    return out, wt, mut


def marker(folder: Path) -> dict:
    return json.loads((folder / "done.json").read_text())


def test_same_named_movies_of_two_folders_get_two_results_with_their_conditions(screen, two_runs):
    out, wt, mut = two_runs
    assert [r.status for r in wt.results] == [r.status for r in mut.results] == ["done"], mut.text()
    assert wt.results[0].name != mut.results[0].name
    for report, condition in ((wt, "wt"), (mut, "mut")):
        folder = out / report.results[0].name
        assert marker(folder)["path"] == str(screen / condition / "cell01.tif")
        assert marker(folder)["condition"] == condition
    table = pd.read_csv(out / "summary.csv")  # written by the mut run: the mut movie's tracks only
    tracks = pd.read_csv(out / mut.results[0].name / "tracks.csv")
    assert len(tracks) > 0 and len(table) == len(tracks)
    assert set(table["movie"]) == {mut.results[0].name} and set(table["condition"]) == {"mut"}
    pd.testing.assert_series_equal(table["track_id"], tracks["track_id"])


def test_removing_a_manifest_row_renames_no_other_folder(screen, two_runs, tmp_path):
    """The old names came from the rows' common folder: dropping ``mut`` renamed ``wt``'s folder."""
    _, wt, mut = two_runs
    out = Path(shutil.copytree(two_runs[0], tmp_path / "out"))
    rows = ["path,condition\n", f"{screen / 'wt' / 'cell01.tif'},wt\n", f"{screen / 'mut' / 'cell01.tif'},mut\n"]
    (tmp_path / "both.csv").write_text("".join(rows))
    (tmp_path / "one.csv").write_text("".join(rows[:2]))
    names = {e.condition: e.name for e in read_movies(tmp_path / "both.csv")[0]}
    assert names == {"wt": wt.results[0].name, "mut": mut.results[0].name}
    assert [e.name for e in read_movies(tmp_path / "one.csv")[0]] == [names["wt"]]
    again = run_batch(read_movies(tmp_path / "one.csv")[0], out, JobSettings(), progress=False)
    assert [(r.name, r.status) for r in again.results] == [(names["wt"], "skipped")]


def test_conditions_keep_the_manifest_order_and_figures_say_their_n(screen, two_runs, tmp_path):
    out = Path(shutil.copytree(two_runs[0], tmp_path / "out"))
    (tmp_path / "m.csv").write_text(f"path,condition\n{screen / 'wt' / 'cell01.tif'},wt\n"
                                    f"{screen / 'mut' / 'cell01.tif'},mut\n")  # not alphabetical
    report = run_batch(read_movies(tmp_path / "m.csv")[0], out, JobSettings(), progress=False)
    assert [r.status for r in report.results] == ["skipped", "skipped"]  # the folders' own results, reused
    conditions = pd.read_csv(out / "conditions.csv")
    assert list(conditions["condition"]) == ["wt", "mut"]

    tracks = pd.read_csv(out / "summary.csv")
    spindles = tracks[~summary.flagged(tracks)]  # every rate of them is pooled or counted as left out
    rates = [int(spindles.loc[spindles["condition"] == c, "anaphase_b_rate_um_per_min"].notna().sum())
             for c in ("wt", "mut")]
    assert list(conditions["n_anaphase_b_rate_um_per_min"] + conditions["n_rates_left_out"]) == rates
    box = summary._box_figure(tracks, ["wt", "mut"], [("anaphase_b_rate_um_per_min", "rate", "an anaphase B rate")])
    axes = box.axes[0]
    counts = [len(summary._values(tracks[tracks["condition"] == c], "anaphase_b_rate_um_per_min"))
              for c in ("wt", "mut")]
    assert [t.get_text() for t in axes.get_xticklabels()] == [f"wt\nn={counts[0]}", f"mut\nn={counts[1]}"]
    assert axes.get_title() == summary.n_note("an anaphase B rate")
    assert "tracks with an anaphase B rate" in axes.get_title() and "n differs between plots" in axes.get_title()
    curves = [{"condition": "mut", "time": [0.0, 1.0], "length": [2.0, 3.0]}]
    aligned = summary._aligned_figure(curves, ["wt", "mut"], summary.UNIT_COLUMNS["um"]).axes[0]
    assert "tracks with an anaphase B onset" in aligned.get_title()
    assert [t.get_text() for t in aligned.get_legend().get_texts()] == ["mut (n=1)"]
    assert aligned.get_lines()[0].get_color() == "C1"  # mut's colour in the box figures too


def test_a_changed_movie_is_analysed_again_and_settings_decide_reuse(tmp_path):
    path = movie(tmp_path / "movies" / "cell.tif", seed=21)
    out = tmp_path / "out"
    entries = read_movies(tmp_path / "movies")[0]
    first = run_batch(entries, out, JobSettings(), progress=False)
    folder = out / entries[0].name
    assert [r.status for r in first.results] == ["done"]

    # a fallback pixel size (given to rescue uncalibrated movies) does not re-run a movie whose metadata had one
    same = run_batch(entries, out, JobSettings(pixel_size=0.3, frame_interval=10.0), progress=False)
    assert [(r.status, r.reason) for r in same.results] == [("skipped", "")]
    straight = run_batch(entries, out, JobSettings(analysis=Settings(length="straight")), progress=False)
    assert [r.status for r in straight.results] == ["done"]
    assert straight.results[0].reason == "analysed again: length was 'ridge', now 'straight'"
    before = pd.read_csv(folder / "detections.csv")

    movie(path, seed=22)  # another movie written over the same file
    again = run_batch(entries, out, JobSettings(analysis=Settings(length="straight")), progress=False)
    assert [r.status for r in again.results] == ["done"]
    assert again.results[0].reason == "analysed again: the movie changed since it was analysed"
    assert "analysed again: the movie changed" in again.text()
    assert pd.read_csv(out / "movies.csv")["reason"][0] == again.results[0].reason
    assert not pd.read_csv(folder / "detections.csv").equals(before)  # the new movie's spindles
    assert marker(folder)["fingerprint"]["size"] == path.stat().st_size
    assert [p.name for p in out.iterdir() if p.is_dir()] == [folder.name]  # replaced, nothing left beside it


def test_a_folder_holding_another_movies_result_is_refused_by_name(tmp_path):
    movie(tmp_path / "movies" / "cell.tif", seed=23)
    entries = read_movies(tmp_path / "movies")[0]
    folder = tmp_path / "out" / entries[0].name
    folder.mkdir(parents=True)
    (folder / "done.json").write_text(json.dumps({"path": str(tmp_path / "elsewhere" / "cell.tif")}))
    report = run_batch(entries, tmp_path / "out", JobSettings(), progress=False)
    assert [r.status for r in report.results] == ["failed"]
    assert report.results[0].reason == (f"{folder} holds the results of another movie "
                                        f"({tmp_path / 'elsewhere' / 'cell.tif'}); remove it or use --overwrite")
    assert marker(folder) == {"path": str(tmp_path / "elsewhere" / "cell.tif")}  # left as it was


def test_the_row_beats_the_metadata_which_beats_the_fallback(tmp_path):
    movie(tmp_path / "calibrated.tif", seed=24)  # metadata: 0.15 um/px, 30 s
    tifffile.imwrite(tmp_path / "plain.tif", tifffile.imread(tmp_path / "calibrated.tif"), imagej=True,
                     metadata={"axes": "TCYX"})  # no calibration
    (tmp_path / "m.csv").write_text("path,condition,pixel_size,frame_interval\n"
                                    "calibrated.tif,wt,,20\n"
                                    "plain.tif,wt,0.2,\n")
    entries = read_movies(tmp_path / "m.csv")[0]
    report = run_batch(entries, tmp_path / "out", JobSettings(pixel_size=0.3, frame_interval=10.0), progress=False)
    assert [r.status for r in report.results] == ["done", "done"], report.text()
    calibrated, plain = (marker(tmp_path / "out" / e.name) for e in entries)
    assert (calibrated["pixel_size"], calibrated["frame_interval"]) == (0.15, 20.0)
    assert calibrated["calibration"] == {"pixel_size": {"value": 0.15, "from": "metadata"},
                                         "frame_interval": {"value": 20.0, "from": "manifest"}}
    assert (plain["pixel_size"], plain["frame_interval"]) == (0.2, 10.0)
    assert plain["calibration"]["frame_interval"] == {"value": 10.0, "from": "fallback"}


def test_axes_reach_every_movie_as_in_predict(small_movie, tmp_path, capsys):
    """A TIFF whose axes are a guess (QQYX) is refused without ``--axes`` and read with it; the
    file has no calibration, so the command line's fallbacks are used."""
    from yoloxsp.cli.main import build_parser

    (tmp_path / "movies").mkdir()
    tifffile.imwrite(tmp_path / "movies" / "bare.tif", tifffile.imread(small_movie / "stack.tif"),
                     photometric="minisblack")
    command = ["batch", str(tmp_path / "movies"), "--pixel-size", "0.15", "--frame-interval", "30", "--quiet"]
    args = build_parser().parse_args([*command, "--out", str(tmp_path / "guess")])
    assert args.run(args) == 1
    assert "say how to read them with --axes" in capsys.readouterr().out

    args = build_parser().parse_args([*command, "--out", str(tmp_path / "out"), "--axes", "TCYX"])
    assert args.run(args) == 0, capsys.readouterr().out
    record = marker(tmp_path / "out" / read_movies(tmp_path / "movies")[0][0].name)
    assert record["settings"]["axes"] == "TCYX" and record["n_frames"] == 6
    assert record["calibration"]["pixel_size"] == {"value": 0.15, "from": "fallback"}


def test_ctrl_c_keeps_the_finished_movies_and_lists_every_one(tmp_path):
    """SIGINT to a running ``yoloxsp batch``: one line, exit 130, ``movies.csv`` lists the finished
    movies as done and the others as not analysed, and the same command then resumes."""
    import signal
    import subprocess
    import sys
    import time

    for i in range(6):
        movie(tmp_path / "screen" / "wt" / f"cell{i}.tif", seed=40 + i)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "yoloxsp.cli.main", "batch", str(tmp_path / "screen" / "wt"), "--out", str(out),
               "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list(out.glob("*/done.json")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("yoloxsp: interrupted; ") and "movies.csv" in lines[0], stderr
    assert ".partial-" not in lines[0]  # the stopped movie's staging folder is gone: not named
    listed = pd.read_csv(out / "movies.csv")
    done = set(listed.name[listed.status == "done"])
    assert len(listed) == 6 and done and done == {p.parent.name for p in out.glob("*/done.json")}
    assert (listed.reason[listed.status != "done"].str.contains("interrupted")).all() and len(done) < 6
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0 and f"{6 - len(done)} movie(s) analysed, {len(done)} already finished" in \
        resumed.stdout, resumed.stdout + resumed.stderr
