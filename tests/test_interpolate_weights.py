"""tools/interpolate_weights.py: floating-point tensors are mixed, counters are not, and two
different architectures are refused; the written folder is a model that predicts."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from yoloxsp.model.checkpoint import load_weights, save_weights
from yoloxsp.model.yoloxsp import YoloxSp, YoloxSpConfig

pytestmark = pytest.mark.core

TOOL = Path(__file__).resolve().parent.parent / "tools" / "interpolate_weights.py"


@pytest.fixture(scope="module")
def tool_module(tool):
    return tool("interpolate_weights")


def test_floats_are_mixed_and_counters_taken_from_the_end(tool_module):
    start = {"w": torch.zeros(3), "n": torch.tensor(5)}
    end = {"w": torch.tensor([4.0, 8.0, -4.0]), "n": torch.tensor(9)}
    mixed = tool_module.interpolate_state(start, end, 0.25)
    torch.testing.assert_close(mixed["w"], torch.tensor([1.0, 2.0, -1.0]))
    assert mixed["n"].item() == 9 and mixed["n"].dtype == end["n"].dtype
    torch.testing.assert_close(tool_module.interpolate_state(start, end, 0.0)["w"], start["w"])


@pytest.mark.parametrize("start, alpha, message", [
    ({"w": torch.zeros(3)}, 1.5, "alpha"),
    ({"v": torch.zeros(3)}, 0.5, "keys"),
    ({"w": torch.zeros(4)}, 0.5, "shapes differ"),
])
def test_mismatched_states_and_alphas_are_refused(tool_module, start, alpha, message):
    with pytest.raises(ValueError, match=message):
        tool_module.interpolate_state(start, {"w": torch.ones(3)}, alpha)


def test_the_written_folder_holds_the_mix_and_predicts(tmp_path):
    config = YoloxSpConfig(size="nano")
    torch.manual_seed(0)
    start, end = YoloxSp(config), YoloxSp(config)
    save_weights(start, tmp_path / "start" / "pytorch_model.pt")
    save_weights(end, tmp_path / "end" / "pytorch_model.pt")
    (tmp_path / "end" / "configuration.json").write_text('{"model": {"size": "nano"}}', encoding="utf-8")
    subprocess.run([sys.executable, str(TOOL), str(tmp_path / "start"), str(tmp_path / "end"), "--alpha", "0.25",
                    "--out", str(tmp_path / "mid")], check=True, capture_output=True)
    mid = load_weights(tmp_path / "mid" / "pytorch_model.pt")
    name = next(k for k, v in mid.state_dict().items() if v.is_floating_point() and v.numel() > 1)
    torch.testing.assert_close(mid.state_dict()[name], 0.75 * start.state_dict()[name] + 0.25 * end.state_dict()[name])
    assert (tmp_path / "mid" / "configuration.json").read_text(encoding="utf-8") == '{"model": {"size": "nano"}}'
    assert len(mid.predict([np.zeros((64, 64, 3), np.uint8)])) == 1


def test_an_end_without_its_configuration_is_refused_by_name(tmp_path):
    save_weights(YoloxSp(YoloxSpConfig(size="nano")), tmp_path / "end.pt")
    result = subprocess.run([sys.executable, str(TOOL), "yoloxsp", str(tmp_path / "end.pt"), "--alpha", "0.5",
                             "--out", str(tmp_path / "mid")], capture_output=True, text=True)
    assert result.returncode == 2 and "end.pt: not a model folder" in result.stderr
    assert not (tmp_path / "mid").exists()


def test_a_folder_that_is_not_empty_is_left_as_it_is(tmp_path):
    end = tmp_path / "end"
    save_weights(YoloxSp(YoloxSpConfig(size="nano")), end / "pytorch_model.pt")
    (end / "configuration.json").write_text('{"model": {"size": "nano"}}', encoding="utf-8")
    before = (end / "pytorch_model.pt").read_bytes()
    result = subprocess.run([sys.executable, str(TOOL), "yoloxsp", str(end), "--alpha", "0.5", "--out", str(end)],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "not empty" in result.stderr
    assert (end / "pytorch_model.pt").read_bytes() == before
