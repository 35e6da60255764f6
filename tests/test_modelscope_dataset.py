"""A CVAT export handed to a ModelScope trainer as an MsDataset reaches the CVAT spindle dataset."""
from __future__ import annotations

import shutil

import pytest
from modelscope.msdatasets import MsDataset
from modelscope.trainers.trainer import EpochBasedTrainer
from modelscope.utils.config import Config
from modelscope.utils.constant import ModeKeys, Tasks

import yoloxsp
from yoloxsp.integrations.modelscope import CvatSpindleDataset
from yoloxsp.metainfo import CustomDatasets

pytestmark = pytest.mark.modelscope


def _cfg(input_size=128):
    return Config({"task": Tasks.image_object_detection, "model": {"type": "yoloxsp"},
                   "dataset": {"train": {"type": CustomDatasets.cvat_spindles, "input_size": input_size},
                               "val": {"type": CustomDatasets.cvat_spindles, "input_size": input_size}}})


@pytest.mark.parametrize("as_zip", [False, True])
def test_trainer_build_dataset_turns_cvat_msdataset_into_spindle_dataset(small_movie, tmp_path, as_zip):
    source = shutil.make_archive(str(tmp_path / "task"), "zip", small_movie) if as_zip else small_movie
    ms = yoloxsp.cvat_ms_dataset(source)
    assert isinstance(ms, MsDataset)
    # The trainer's own conversion (EpochBasedTrainer.build_dataset uses no trainer state here).
    built = EpochBasedTrainer.build_dataset(None, ms, _cfg(), ModeKeys.TRAIN)
    assert isinstance(built, CvatSpindleDataset)
    assert len(built) == 6 and built.mode == ModeKeys.TRAIN
    item = built[0]
    assert item["img"].shape == (3, 128, 128) and item["gt_heatmap"].shape == (1, 32, 32)


def test_eval_mode_is_letterbox_only(small_movie):
    ms = yoloxsp.cvat_ms_dataset(small_movie, split="validation")
    built = EpochBasedTrainer.build_dataset(None, ms, _cfg(), ModeKeys.EVAL)
    first, again = built[2], built[2]
    assert (first["img"] == again["img"]).all()
    assert first["img_metas"]["scale_factor"] == pytest.approx(128 / 192)


def test_missing_split_config_is_explained():
    with pytest.raises(ValueError, match="cvat_ms_dataset"):
        CvatSpindleDataset(split_config=None)


def test_synthetic_training_source_takes_its_frames_seed_and_look_weights_from_the_config():
    def convert(cfg):  # as yoloxsp's trainer converts (ModelScope's build_dataset would log errors and go on)
        ms = yoloxsp.cvat_ms_dataset("synthetic:train")
        ms.to_custom_dataset(custom_cfg=cfg, preprocessor=None, mode=ModeKeys.TRAIN)
        return ms.ds_instance

    cfg = _cfg()
    cfg.dataset.train.synthetic = {"frames": 3, "first_seed": 40, "look_weights": {"tubulin-only-lawn": 100}}
    built = convert(cfg)
    assert isinstance(built, CvatSpindleDataset) and len(built) == 3 and built.frames.first_seed == 40
    assert built.frames.look_weights == {"tubulin-only-lawn": 100}
    cfg.dataset.train.synthetic["look_weights"] = {"no-such-look": 2}
    with pytest.raises(ValueError, match="unknown look"):
        convert(cfg)
