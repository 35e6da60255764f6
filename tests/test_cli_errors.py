"""Every way a run can stop ends in one line and a documented exit status (``yoloxsp --help``):
an output folder that cannot be created, a synthetic field too small for its cells, a damaged
TIFF (without tifffile's own log lines), a TIFF whose axes leave time a guess, and a device that
is not there. No empty output folder is left behind; ``--debug`` shows the traceback instead.

The real command runs as a subprocess, as a user runs it; the library parts are called directly.
"""
from __future__ import annotations

import logging
import re
import subprocess
import sys

import numpy as np
import pytest
import tifffile

import yoloxsp
from yoloxsp.errors import InputError
from yoloxsp.io import open_movie

pytestmark = pytest.mark.core

PROGRESS_BAR = re.compile(r"^\w+: +\d+%\|")  # tqdm's, e.g. "analysing:  40%|####      | 4/10"
CROWDED = ("--channel-mode", "tubulin-only", "--pixel-size", "0.065", "--size", "160", "160", "--quiet")


def yoloxsp_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", *map(str, args)], capture_output=True,
                          text=True, timeout=600)


def message_lines(stderr: str):
    """stderr's lines without the progress bar's."""
    return [line for line in stderr.splitlines() if line and not PROGRESS_BAR.match(line)]


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = message_lines(result.stderr)
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_help_documents_the_exit_statuses():
    result = yoloxsp_cli("--help")
    assert result.returncode == 0
    epilog = " ".join(result.stdout.split())
    assert "exit status: 0 done; 2 the input" in epilog and "130 interrupted" in epilog and "--debug" in epilog


def test_an_output_folder_that_cannot_be_created_is_one_line(small_movie, tmp_path):
    a_file = tmp_path / "results"
    a_file.write_text("not a folder")
    result = yoloxsp_cli("predict", small_movie / "stack.tif", "--out", a_file / "run1")
    assert result.returncode == 2
    assert one_line(result) == f"error: {a_file / 'run1'}: Not a directory"


def test_a_field_too_small_for_its_cells_is_one_line_and_leaves_no_folder(tmp_path):
    out = tmp_path / "new" / "movie"
    result = yoloxsp_cli("synth", out, *CROWDED)
    assert result.returncode == 2
    assert one_line(result).startswith("error: cannot fit 4 mitotic cells") and "larger field" in result.stderr
    assert not (tmp_path / "new").exists()  # neither the folder nor the parent the command made


def test_debug_shows_the_traceback_with_the_same_exit_status(tmp_path):
    result = yoloxsp_cli("synth", tmp_path / "movie", *CROWDED, "--debug")  # after the command, as users type it
    assert result.returncode == 2
    assert "Traceback" in result.stderr and "CrowdedFieldError: cannot fit" in result.stderr
    assert not (tmp_path / "movie").exists()


@pytest.fixture
def truncated_tiff(small_movie, tmp_path):
    """An ImageJ stack cut in half: tifffile logs two records about it when it opens it."""
    path = tmp_path / "cut.tif"
    blob = (small_movie / "stack.tif").read_bytes()
    path.write_bytes(blob[:len(blob) // 2])
    return path


@pytest.fixture
def huge_tiff(tmp_path):
    """A header for one 30000 x 30000 px frame with almost none of its pixels: found unreadable only
    once the frames are read, after the output folder was made."""
    path = tmp_path / "huge.tif"
    tifffile.imwrite(path, shape=(1, 30000, 30000), dtype="uint16", imagej=True)
    with open(path, "r+b") as handle:
        handle.truncate(100_000)
    return path


@pytest.mark.parametrize("movie, message", [("truncated_tiff", "declares 12 images but only"),
                                            ("huge_tiff", "frame 0: cannot read (truncated file?)")])
def test_a_damaged_tiff_is_one_line_without_tifffiles_log_and_leaves_no_folder(movie, message, request, tmp_path):
    path = request.getfixturevalue(movie)
    out = tmp_path / "out"
    result = yoloxsp_cli("predict", path, "--out", out)
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith(f"error: {path}: ") and message in line
    assert "tifffile" not in result.stderr
    assert not out.exists()


def test_tifffile_keeps_its_log_outside_yoloxsps_reads(truncated_tiff, caplog):
    """Held back while yoloxsp reads, and only then: the user's own reads still log."""
    logger = logging.getLogger("tifffile")
    filters = list(logger.filters)
    with caplog.at_level(logging.WARNING, logger="tifffile"):
        with pytest.raises(InputError, match="cut.tif: the ImageJ header declares 12 images"):
            open_movie(truncated_tiff)
        assert not [r for r in caplog.records if r.name == "tifffile"]
        with tifffile.TiffFile(truncated_tiff) as tif:
            assert tif.series  # the records come from reading the series
    assert [r for r in caplog.records if r.name == "tifffile"]
    assert logger.filters == filters


@pytest.mark.parametrize("shape, axes, as_time", [((4, 3, 2, 32, 32), "QCTYX", "Q and T"),
                                                  ((2, 3, 4, 32, 32), "QQSYX", "Q, Q and S")])
def test_a_tiff_whose_axes_leave_time_a_guess_is_refused_until_axes_say(tmp_path, shape, axes, as_time):
    data = np.arange(np.prod(shape), dtype=np.uint16).reshape(shape)
    path = tmp_path / "five.tif"
    tifffile.imwrite(path, data, metadata={"axes": axes})
    with tifffile.TiffFile(path) as tif:
        assert tif.series[0].axes == axes  # as the files: tifffile's letters for unknown axes
    with pytest.raises(InputError, match=rf"five\.tif: TIFF axes {axes} .*{as_time} would all be read as time.*"
                                         r"--axes, one letter of TZCYX per stored axis \(5 here\)"):
        open_movie(path)
    movie = open_movie(path, axes="ZCTYX")  # the user says: a movie of Z stacks in three colours
    frames = list(movie.frames())
    assert movie.n_frames == shape[2] and frames[1].shape == (32, 32, 3)
    assert np.array_equal(frames[1], data[:, :, 1].max(axis=0).transpose(1, 2, 0))


def test_a_single_unknown_axis_is_still_the_frames(tmp_path):
    """Pages without metadata are frames (documented); only a second such axis makes time a guess."""
    path = tmp_path / "pages.tif"
    tifffile.imwrite(path, np.zeros((5, 32, 32), np.uint16))  # tifffile records QYX
    assert open_movie(path).n_frames == 5


@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_the_device_asked_for_is_the_device_used_or_an_input_error(backend):
    import onnxruntime
    import torch

    has_cuda = (torch.cuda.is_available() if backend == "torch"
                else "CUDAExecutionProvider" in onnxruntime.get_available_providers())
    if not has_cuda:
        with pytest.raises(InputError, match="device 'cuda'"):
            yoloxsp.load(backend=backend, device="cuda")
        return
    detector = yoloxsp.load(backend=backend, device="cuda")
    model = detector.predictor.backend
    used = next(model.model.parameters()).device.type if backend == "torch" else model.session.get_providers()[0]
    assert used in ("cuda", "CUDAExecutionProvider")


def test_a_device_the_onnx_backend_has_no_provider_for_is_an_input_error():
    with pytest.raises(InputError, match="device 'mps': the onnx backend runs on cpu, cuda or cuda:N"):
        yoloxsp.load(backend="onnx", device="mps")
