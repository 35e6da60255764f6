"""``yoloxsp batch --scheduler`` on a real ``dask scheduler`` and ``dask worker`` started in another
folder than the batch, and a scheduler that is not there."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from yoloxsp.batch.job import JobSettings
from yoloxsp.batch.runner import DASK_CONNECT_SECONDS, run_batch
from yoloxsp.errors import InputError
from yoloxsp.synth import SynthConfig, write_movie

pytestmark = pytest.mark.core

DASK = str(Path(sys.executable).with_name("dask"))  # the environment's own `dask` command


def yoloxsp(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and one worker process, both started in ``tmp_path/elsewhere``; the address."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    address_file = elsewhere / "scheduler.json"
    commands = {"scheduler": ["--port", "0"], "worker": ["--nworkers", "1", "--nthreads", "1"]}
    processes = []
    try:
        for role, options in commands.items():
            with open(elsewhere / f"{role}.log", "w") as log:  # read them when the fixture fails
                processes.append(subprocess.Popen([DASK, role, "--host", "127.0.0.1", "--scheduler-file",
                                                   str(address_file), "--no-dashboard", *options], cwd=elsewhere,
                                                  stdout=log, stderr=subprocess.STDOUT))
        from distributed import Client

        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(address_file.read_text())["address"]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)


def test_a_relative_manifest_runs_on_workers_started_elsewhere(cluster, tmp_path):
    for name, seed in (("wt", 31), ("mut", 32)):
        write_movie(tmp_path / "screen" / name, SynthConfig(width=160, height=160, frames=6, seed=seed,
                                                            pixel_size=0.15, spindles=2, jpeg_quality=None, debris=0))
    (tmp_path / "screen" / "m.csv").write_text("path,condition\nwt/stack.tif,wt\nmut/stack.tif,mut\n")
    run = yoloxsp("batch", "screen/m.csv", "--out", "out", "--scheduler", cluster, "--quiet", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 movie(s) analysed, 0 already finished, 0 failed" in run.stdout
    movies = pd.read_csv(tmp_path / "out" / "movies.csv")
    assert list(movies["status"]) == ["done", "done"]
    assert list(movies["path"]) == [str(tmp_path / "screen" / c / "stack.tif") for c in ("wt", "mut")]
    for name in movies["name"]:
        assert (tmp_path / "out" / name / "done.json").is_file()  # under the batch's out, not the worker's
    assert not (tmp_path / "elsewhere" / "out").exists()
    assert len(pd.read_csv(tmp_path / "out" / "summary.csv")) > 0


def test_an_unreachable_scheduler_is_one_line_and_fast(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    write_movie(tmp_path / "movies", SynthConfig(width=96, height=96, frames=2, seed=1, pixel_size=0.15, spindles=1,
                                                 jpeg_quality=None, debris=0))
    started = time.monotonic()
    run = yoloxsp("batch", "movies", "--out", "out", "--scheduler", f"tcp://127.0.0.1:{port}", cwd=tmp_path,
                  timeout=60)
    assert time.monotonic() - started < 10
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        f"error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port} (Timed out trying to connect to "
        f"tcp://127.0.0.1:{port} after {DASK_CONNECT_SECONDS} s); is `dask scheduler` running there?"]
    assert not (tmp_path / "out").exists()  # refused before anything was written
    with pytest.raises(InputError, match=r"cannot reach the Dask scheduler at nonsense \(missing port number"):
        run_batch([], tmp_path / "out2", JobSettings(), scheduler="nonsense", progress=False)
