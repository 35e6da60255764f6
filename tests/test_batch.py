"""``yoloxsp batch``: manifests, bad rows, resume, a local process pool and a real Dask cluster."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import tifffile

import yoloxsp
from yoloxsp.batch.job import JobSettings
from yoloxsp.batch.manifest import read_movies
from yoloxsp.batch.runner import run_batch
from yoloxsp.errors import InputError
from yoloxsp.movie import Settings
from yoloxsp.analysis.tracks import TRACK_SCORE_THRESHOLD
from yoloxsp.synth import SynthConfig, write_movie

pytestmark = pytest.mark.core

MOVIE_FILES = {"detections.csv", "tracks.csv", "overlay.avi", "lengths.png", "tracks.trackmate.xml", "done.json"}
SUMMARY_FILES = {"summary.csv", "conditions.csv", "rates_by_condition.png", "lengths_by_condition.png",
                 "aligned_lengths.png", "movies.csv"}
MANIFEST = """path,condition,pixel_size,frame_interval
wt_a/stack.tif,WT,,
wt_b/stack.tif,WT,,
mut_a/stack.tif,cut7,0.15,30
nocal.tif,cut7,,
broken.tif,WT,,
gone.tif,WT,,
mut_a/images,,,
wt_a/images,WT,zero,
wt_b/stack.tif,cut7,,
"""
GOOD = ["wt_a/stack.tif", "wt_b/stack.tif", "mut_a/stack.tif"]  # the movies that finish


def folder_name(path: Path) -> str:
    """The output folder name the batch documents: ``<stem>-<8 hex of the SHA-1 of the absolute path>``."""
    return f"{path.stem}-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]}"


@pytest.fixture(scope="module")
def good(screen) -> dict:
    """Output folder name of each movie that finishes, by its manifest path."""
    return {movie: folder_name(screen / movie) for movie in GOOD}


def synth(folder: Path, seed: int, frames: int = 8) -> Path:
    return write_movie(folder, SynthConfig(width=160, height=160, frames=frames, seed=seed, pixel_size=0.15,
                                           spindles=3, jpeg_quality=None, debris=0))


@pytest.fixture(scope="module")
def screen(tmp_path_factory) -> Path:
    """Three calibrated movies in two conditions, an uncalibrated TIFF, a truncated TIFF and a manifest."""
    root = tmp_path_factory.mktemp("screen")
    for name, seed in (("wt_a", 1), ("wt_b", 2), ("mut_a", 3)):
        synth(root / name, seed)
    tifffile.imwrite(root / "nocal.tif", tifffile.imread(root / "wt_a" / "stack.tif"), imagej=True,
                     metadata={"axes": "TCYX"})
    (root / "broken.tif").write_bytes((root / "wt_a" / "stack.tif").read_bytes()[:3000])
    (root / "manifest.csv").write_text(MANIFEST)
    return root


@pytest.fixture(scope="module")
def in_process(screen, tmp_path_factory):
    """The whole manifest analysed in this process (the reference for the other engines)."""
    entries, problems = read_movies(screen / "manifest.csv")
    out = tmp_path_factory.mktemp("batch")
    return run_batch(entries, out, JobSettings(), problems, progress=False)


def test_manifest_rows_names_and_problems(screen):
    entries, problems = read_movies(screen / "manifest.csv")
    movies = ["wt_a/stack.tif", "wt_b/stack.tif", "mut_a/stack.tif", "nocal.tif", "broken.tif"]
    assert [(e.row, e.path, e.name, e.condition) for e in entries] == [
        (row, screen.resolve() / movie, folder_name(screen / movie), condition)
        for row, movie, condition in zip(range(2, 7), movies, ["WT", "WT", "cut7", "cut7", "WT"])]
    assert entries[2].pixel_size == 0.15 and entries[2].frame_interval == 30.0 and entries[0].pixel_size is None
    reasons = {p.row: p.reason for p in problems}
    assert set(reasons) == {7, 8, 9, 10}
    assert "movie not found" in reasons[7] and "gone.tif" in reasons[7]
    assert reasons[8] == "empty condition"
    assert "pixel_size 'zero' is not a number" in reasons[9]
    assert "already listed in row 3" in reasons[10]
    assert str(problems[0]).startswith("row 7 (gone.tif): ")


def test_manifest_whole_file_errors_name_the_header(tmp_path):
    (tmp_path / "m.csv").write_text("path,condition,pixelsize\nx.tif,WT,0.1\n")
    with pytest.raises(InputError, match=r"m.csv, line 1: unknown column\(s\) pixelsize"):
        read_movies(tmp_path / "m.csv")
    (tmp_path / "n.csv").write_text("movie,condition\nx.tif,WT\n")
    with pytest.raises(InputError, match="path and condition required"):
        read_movies(tmp_path / "n.csv")
    (tmp_path / "o.csv").write_text("path,condition\nx.tif,WT,extra\n")
    entries, problems = read_movies(tmp_path / "o.csv")
    assert not entries and "3 cells but the header has 2 columns" in problems[0].reason


def test_folder_and_glob_inputs(screen):
    entries, problems = read_movies(screen)
    assert [e.name for e in entries] == [folder_name(screen / "broken.tif"), folder_name(screen / "nocal.tif")]
    assert {e.condition for e in entries} == {screen.name}
    entries, _ = read_movies(str(screen / "*" / "stack.tif"))
    assert [(e.name, e.condition) for e in entries] == [(folder_name(screen / f / "stack.tif"), f)
                                                        for f in ("mut_a", "wt_a", "wt_b")]
    with pytest.raises(InputError, match="matches no file"):
        read_movies(str(screen / "*.nd2"))


def test_folder_input_lists_vendor_files_too(screen, tmp_path):
    """Every kind of file ``open_movie`` reads is a movie of a folder; a DeltaVision file written by
    ``mrc`` beside a TIFF is not left out."""
    import mrc

    tifffile.imwrite(tmp_path / "a.tif", tifffile.imread(screen / "wt_a" / "stack.tif"), imagej=True,
                     metadata={"axes": "TCYX"})
    mrc.imsave(str(tmp_path / "b.dv"), tifffile.imread(screen / "wt_a" / "stack.tif")[:, 0], resolution=(0.15, 0.15),
               zAxisOrder="t")
    (tmp_path / "notes.txt").write_text("not a movie")
    entries, problems = read_movies(tmp_path)
    assert [e.name for e in entries] == [folder_name(tmp_path / "a.tif"), folder_name(tmp_path / "b.dv")]
    assert not problems


def test_batch_reports_bad_rows_and_summarises_the_rest(in_process, good):
    out = in_process.out
    status = {r.row: (r.status, r.reason) for r in in_process.results}
    assert [status[row][0] for row in range(2, 11)] == ["done"] * 3 + ["failed"] * 6
    assert "no pixel_size or frame_interval" in status[5][1] and "nocal.tif" in status[5][1]
    assert "broken.tif" in status[6][1]
    assert "row 7 (gone.tif): movie not found" in in_process.text()
    for name in good.values():
        assert {p.name for p in (out / name).iterdir()} == MOVIE_FILES
    assert {p.name for p in out.iterdir()} == set(good.values()) | SUMMARY_FILES  # no staging or failed folders
    movies = pd.read_csv(out / "movies.csv")
    assert list(movies["row"]) == list(range(2, 11)) and list(movies["status"][:3]) == ["done"] * 3

    summary = pd.read_csv(out / "summary.csv")
    tracks = {name: pd.read_csv(out / name / "tracks.csv") for name in good.values()}
    assert len(summary) == sum(len(t) for t in tracks.values()) > 0
    assert set(zip(summary["movie"], summary["condition"])) == {
        (n, "cut7" if movie.startswith("mut") else "WT") for movie, n in good.items() if len(tracks[n])}
    assert {"anaphase_b_rate_um_per_min", "plateau_length_um", "anaphase_onset_frame"} <= set(summary.columns)
    conditions = pd.read_csv(out / "conditions.csv")
    assert dict(zip(conditions["condition"], conditions["tracks"])) == summary.groupby("condition").size().to_dict()
    for figure in ("rates_by_condition.png", "lengths_by_condition.png", "aligned_lengths.png"):
        assert (out / figure).stat().st_size > 5000
    marker = json.loads((out / good["mut_a/stack.tif"] / "done.json").read_text())
    assert marker["pixel_size"] == 0.15 and marker["frame_interval"] == 30.0 and marker["condition"] == "cut7"


def test_rerun_skips_finished_movies_and_keeps_their_files(screen, in_process, good):
    out = in_process.out
    before = {p: p.stat().st_mtime_ns for name in good.values() for p in (out / name).iterdir()}
    staging = out / f"{good['wt_a/stack.tif']}.partial-deadbeef"
    staging.mkdir()  # left by a killed attempt
    entries, problems = read_movies(screen / "manifest.csv")
    again = run_batch(entries, out, JobSettings(), problems, progress=False)
    assert {r.name: r.status for r in again.results if r.status != "failed"} == dict.fromkeys(good.values(), "skipped")
    assert {p: p.stat().st_mtime_ns for p in before} == before
    assert not staging.exists()


def test_pixel_units_accept_the_uncalibrated_movie(screen, tmp_path):
    entries = [e for e in read_movies(screen / "manifest.csv")[0] if e.path.name == "nocal.tif"]
    report = run_batch(entries, tmp_path, JobSettings(units="px"), progress=False)
    assert [r.status for r in report.results] == ["done"]
    assert "length_px" in pd.read_csv(tmp_path / entries[0].name / "detections.csv").columns
    assert report.summary.uncalibrated == []


def test_process_pool_gives_the_same_results(screen, in_process, good, tmp_path):
    entries = [e for e in read_movies(screen / "manifest.csv")[0] if e.name in good.values()]
    report = run_batch(entries, tmp_path, JobSettings(), workers=2, progress=False)
    assert [r.status for r in report.results] == ["done"] * 3
    assert not any(r.worker.endswith(f":{os.getpid()}") for r in report.results)  # ran in the pool's processes
    for name in good.values():
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / name / "detections.csv"),
                                      pd.read_csv(in_process.out / name / "detections.csv"), atol=0.01)


def test_dask_cluster_retries_the_movie_of_a_killed_worker(tmp_path):
    """A real LocalCluster of two worker processes on loopback; one worker is killed while it
    writes a movie. The scheduler reruns that movie elsewhere; its result is published once."""
    from distributed import Client, LocalCluster

    for i in range(3):
        synth(tmp_path / "movies" / f"m{i}", seed=20 + i, frames=24)
    entries = read_movies(str(tmp_path / "movies" / "*" / "stack.tif"))[0]
    out = tmp_path / "out"
    killed = {}

    def kill_a_worker_mid_movie(client: Client) -> None:
        pids = client.run(os.getpid)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            for staging in out.glob("*.partial-*"):
                if not any(staging.glob("overlay.partial-*.avi")):  # the overlay of a movie in progress
                    continue
                name = staging.name.split(".partial-")[0]
                for worker, keys in client.processing().items():
                    if any(str(k).startswith(f"yoloxsp-movie-{name}-") for k in keys):
                        os.kill(pids[worker], signal.SIGKILL)
                        killed.update(name=name, pid=pids[worker])
                        return
            time.sleep(0.01)

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        killer = threading.Thread(target=kill_a_worker_mid_movie, args=(client,), daemon=True)
        killer.start()
        report = run_batch(entries, out, JobSettings(), scheduler=cluster.scheduler_address, progress=False)
        killer.join(timeout=10)

    assert killed, "no worker was caught mid-movie"
    assert [r.status for r in report.results] == ["done"] * 3, report.text()
    marker = json.loads((out / killed["name"] / "done.json").read_text())
    assert not marker["worker"].endswith(f":{killed['pid']}")  # finished by another worker process
    assert {p.name for p in out.iterdir()} == {e.name for e in entries} | SUMMARY_FILES  # staging removed
    summary = pd.read_csv(out / "summary.csv")
    for entry in entries:
        detections = pd.read_csv(out / entry.name / "detections.csv")
        assert not detections.duplicated(["frame", "track_id"]).any()  # nothing written twice
        assert (summary["movie"] == entry.name).sum() == len(pd.read_csv(out / entry.name / "tracks.csv"))
    # the retried movie equals an uninterrupted analysis of it
    alone = run_batch([e for e in entries if e.name == killed["name"]], tmp_path / "alone", JobSettings(),
                      progress=False)
    assert alone.results[0].status == "done"
    pd.testing.assert_frame_equal(pd.read_csv(out / killed["name"] / "detections.csv"),
                                  pd.read_csv(tmp_path / "alone" / killed["name"] / "detections.csv"), atol=0.01)


def test_cli_exit_codes(screen, tmp_path):
    (tmp_path / "m.csv").write_text(f"path,condition\n{screen / 'mut_a' / 'stack.tif'},cut7\n{screen / 'x.tif'},WT\n")
    run = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "batch", str(tmp_path / "m.csv"), "--out",
                          str(tmp_path / "out"), "--quiet"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stderr
    assert "1 movie(s) analysed, 0 already finished, 1 failed" in run.stdout
    assert f"failed: row 3 ({screen / 'x.tif'}): movie not found" in run.stdout
    (tmp_path / "bad.csv").write_text("path,condition,colour\n")
    run = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "batch", str(tmp_path / "bad.csv"), "--out",
                          str(tmp_path / "out2")], capture_output=True, text=True, timeout=600)
    assert run.returncode == 2 and "unknown column(s) colour" in run.stderr
    run = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "batch", str(tmp_path / "m.csv"), "--out",
                          str(tmp_path / "out3"), "--track-threshold", "0"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 2 and "track score threshold must be in (0, 1] (got 0.0)" in run.stderr
    assert not (tmp_path / "out3").exists()  # refused before any movie ran


def test_the_track_threshold_reaches_every_movie_and_its_record(screen, good, tmp_path):
    entries, _ = read_movies(screen / "manifest.csv")
    mut_a = good["mut_a/stack.tif"]
    report = run_batch([e for e in entries if e.name == mut_a], tmp_path,
                       JobSettings(analysis=Settings(track_threshold=1.0)), progress=False)
    assert not report.failed
    record = json.loads((tmp_path / mut_a / "done.json").read_text())
    assert record["settings"]["track_threshold"] == 1.0
    assert JobSettings().analysis.track_threshold == TRACK_SCORE_THRESHOLD
    with pytest.raises(InputError, match=r"track score threshold must be in \(0, 1\] \(got 0.0\)"):
        JobSettings(analysis=Settings(track_threshold=0.0))  # refused before any movie is opened


def test_a_batch_movie_holds_what_yoloxsp_analyse_gives(tmp_path):
    """The batch runs the analysis core as ``yoloxsp.analyse`` does: the sample's tables in its
    movie folder are those of ``yoloxsp.analyse(...).save()``, to the byte."""
    sample = Path(__file__).resolve().parents[1] / "res" / "sample" / "stack.tif"
    (tmp_path / "manifest.csv").write_text(f"path,condition\n{sample},wt\n")
    entries, problems = read_movies(tmp_path / "manifest.csv")
    report = run_batch(entries, tmp_path / "out", JobSettings(analysis=Settings(overlay="none")), problems,
                       progress=False)
    assert [r.status for r in report.results] == ["done"]
    saved = yoloxsp.analyse(sample).save(tmp_path / "analysed")
    for name in ("detections.csv", "tracks.csv"):
        assert (tmp_path / "out" / entries[0].name / name).read_text() == (saved / name).read_text()
