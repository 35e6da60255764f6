"""The trainer reads a size config whole (base merged) and derives each dataset's heatmap stride
from the model's pole stride, overrides included."""
from __future__ import annotations

from pathlib import Path

import pytest

from yoloxsp.model.config_file import read_config
from yoloxsp.synth import SynthConfig, write_movie

pytestmark = pytest.mark.easycv

ROOT = Path(__file__).resolve().parents[1]


def test_trainer_reads_the_base_and_derives_the_heatmap_stride(tmp_path):
    import yoloxsp  # noqa: F401  (registers the trainer)
    from modelscope.trainers import build_trainer

    from yoloxsp.metainfo import Trainers

    movie = write_movie(tmp_path / "m", SynthConfig(width=128, height=128, frames=2, seed=3, pixel_size=0.2,
                                                    spindles=1, jpeg_quality=None, debris=0))
    config_file = ROOT / "configs" / "yoloxsp_tiny.json"
    trainer = build_trainer(Trainers.easycv, dict(
        cfg_file=str(config_file), train_dataset=str(movie), eval_dataset=str(movie), work_dir=str(tmp_path / "w"),
        cfg_options={"model.pole_stride": 8, "dataset.train.input_size": 128}))
    expected = read_config(config_file)
    assert trainer.cfg.safe_get("_base_") is None and trainer.cfg.model.size == "tiny"
    # the base's hooks (ModelScope moves its own four to train.checkpoint/logging, evaluation.period)
    assert {h["type"] for h in trainer.cfg.train.hooks} == {h["type"] for h in expected["train"]["hooks"]} - {
        "CheckpointHook", "BestCkptSaverHook", "EvaluationHook", "TextLoggerHook"}
    assert trainer.cfg.safe_get("train.checkpoint.best.metric_key") == "pole_F1@2px"
    assert trainer.cfg.evaluation.metrics == expected["evaluation"]["metrics"]
    assert trainer.unwrap_module(trainer.model).model.config.pole_stride == 8
    for dataset in (trainer.train_dataset, trainer.eval_dataset):
        assert dataset.dataset.spindle_dataset.heatmap_stride == 8
