"""The bundled default model ships twice (torch weights and their ONNX export): the two must stay
one model. Whoever retrains the weights must re-export (``yoloxsp export --model yoloxsp --out
modelscope_plugin/yoloxsp/assets/default_model/model.onnx``); these tests fail until they do.
Both decode with the folder's configuration.json (tests/test_model_folder_settings.py: for any
folder). Whatever weights are bundled must also stay silent on an empty field."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from yoloxsp.io import open_movie
from yoloxsp.model.backends import OnnxBackend, Predictor, TorchBackend
from yoloxsp.model.config import YoloxSpConfig
from yoloxsp.model.preprocess import prepare_batch
from yoloxsp.model.resolve import DEFAULT_MODEL_DIR, ONNX_NAME, open_backend
from yoloxsp.synth.render import camera_noise

pytestmark = pytest.mark.core

SAMPLE = "res/sample/stack.tif"


@pytest.fixture(scope="module")
def backends():
    return open_backend("yoloxsp", "torch"), open_backend("yoloxsp", "onnx")


@pytest.fixture(scope="module")
def sample_frames():
    return [frame for _, frame in zip(range(2), open_movie(SAMPLE).frames())]


def test_default_backend_of_the_bundled_model_is_onnx_runtime():
    assert isinstance(open_backend("yoloxsp"), OnnxBackend)


def test_both_backends_decode_as_the_configuration_says(backends):
    """configuration.json is the one source of the bundled model's settings: ``yoloxsp predict``
    on either backend decodes with them, as ModelScope's pipeline does."""
    section = json.loads((DEFAULT_MODEL_DIR / "configuration.json").read_text())["model"]
    configured = YoloxSpConfig.from_dict({key: value for key, value in section.items() if key != "type"})
    torch_backend, onnx_backend = backends
    assert torch_backend.config == onnx_backend.config == configured


def test_onnx_export_computes_what_the_weights_compute(backends, sample_frames):
    torch_backend, onnx_backend = backends
    images = prepare_batch(sample_frames).images
    for from_torch, from_onnx in zip(torch_backend.raw(images), onnx_backend.raw(images)):
        assert from_torch.shape == from_onnx.shape
        assert float(np.abs(from_torch - from_onnx).max()) < 1e-3
    for a, b in zip(Predictor(torch_backend)(sample_frames), Predictor(onnx_backend)(sample_frames)):
        assert len(a) == len(b) > 0  # the sample shows spindles: an export of other weights finds others
        np.testing.assert_allclose(a.boxes, b.boxes, atol=1e-2)
        np.testing.assert_allclose(a.poles, b.poles, atol=1e-2)


@pytest.mark.parametrize("channels", [1, 2])
def test_the_bundled_model_reports_nothing_on_camera_noise(backends, channels):
    # Raw frames of an empty field are contrast-stretched to full range, so the model meets pure
    # grain at spindle brightness: an earlier model reported 7 spindles in 10 such frames.
    _, onnx_backend = backends
    assert [len(found) for found in Predictor(onnx_backend)(camera_noise(channels))] == [0] * 10


def test_onnx_file_is_package_data(tmp_path):
    # setuptools' own build step: what it copies is what a wheel or an installed copy holds.
    out = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    shipped = tmp_path / "yoloxsp" / DEFAULT_MODEL_DIR.relative_to(DEFAULT_MODEL_DIR.parents[1])
    assert (shipped / ONNX_NAME).read_bytes() == (DEFAULT_MODEL_DIR / ONNX_NAME).read_bytes()


def test_cli_runs_the_bundled_model_on_onnx_runtime(tmp_path):
    out = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "predict", SAMPLE, "--out", str(tmp_path / "o"),
                          "--model", "yoloxsp", "--backend", "onnx", "--overlay", "none"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "o" / "detections.csv").read_text().count("\n") > 1


def test_default_predict_runs_without_importing_torch(tmp_path):
    # The CLI in-process, so the probe sees every module the whole run loaded, outputs included.
    probe = ("import sys\n"
             "from yoloxsp.cli.main import main\n"
             f"code = main(['predict', {SAMPLE!r}, '--out', {str(tmp_path / 'o')!r}])\n"
             "print(code, sorted(m for m in ('torch', 'torchvision', 'modelscope') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0 []"
    assert (tmp_path / "o" / "detections.csv").read_text().count("\n") > 1


def test_a_higher_threshold_decodes_the_same_weights_into_fewer_detections():
    model = Predictor(open_backend("yoloxsp"))
    own = model.config.decode
    frame = next(open_movie(SAMPLE).frames())
    counts = [len(model.at_score_threshold(t)([frame])[0]) for t in (own.score_threshold, 0.95)]
    assert counts[0] > counts[1], counts
    assert model.config.decode == own  # the model itself is left as it was

