"""yoloxsp's hooks into EasyCV stay small: EasyCV's own modules import after yoloxsp in any
order, ``build_trainer('easycv')`` still builds yoloxsp's trainer, and the CUDA device index is
faked only for EasyCV's call, only inside the block."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from yoloxsp.integrations.easycv.trainer import device_index_zero_for
from yoloxsp.synth import SynthConfig, write_movie

pytestmark = pytest.mark.easycv

BUILD = """
import sys
import yoloxsp
import modelscope
import easycv.toolkit.modelscope  # EasyCV's own trainer module, imported after yoloxsp: registers 'easycv'
from modelscope.trainers import build_trainer
from yoloxsp.metainfo import Trainers
data, work = sys.argv[1:3]
trainer = build_trainer(Trainers.easycv, dict(
    model=str(yoloxsp.default_model_dir()), train_dataset=data, eval_dataset=data, work_dir=work,
    cfg_options={"train.dataloader.workers_per_gpu": 0, "evaluation.dataloader.workers_per_gpu": 0}))
print(type(trainer).__module__, type(trainer).__name__)
"""


def test_easycv_imported_after_yoloxsp_and_build_trainer_still_builds_yoloxsps_trainer(tmp_path):
    data = write_movie(tmp_path / "task", SynthConfig(width=192, height=160, frames=2, seed=3, pixel_size=0.15, spindles=2))
    result = subprocess.run([sys.executable, "-c", BUILD, str(data), str(tmp_path / "work")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-2:] == ["yoloxsp.integrations.easycv.trainer", "YoloxSpTrainer"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="with CUDA the device index is torch's own")
def test_device_index_zero_only_for_the_named_module_and_only_inside_the_block():
    original = torch.cuda.current_device
    caller = {"__name__": "easycv.like.trainer", "torch": torch}  # a module's globals: eval runs "in" it
    with pytest.raises((AssertionError, RuntimeError)):  # torch without CUDA
        eval("torch.cuda.current_device()", caller)
    with device_index_zero_for("easycv.like.trainer"):
        assert eval("torch.cuda.current_device()", caller) == 0
        with pytest.raises((AssertionError, RuntimeError)):  # every other caller: torch's own answer
            torch.cuda.current_device()
    assert torch.cuda.current_device is original
    with pytest.raises((AssertionError, RuntimeError)):
        eval("torch.cuda.current_device()", caller)
