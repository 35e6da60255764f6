"""YOLOX-SP: shapes, SimOTA, learning, ONNX parity, weights files, ModelScope loading."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchvision.ops import batched_nms as torchvision_batched_nms

from yoloxsp.data import read_cvat
from yoloxsp.data.dataset import SpindleDataset, collate
from yoloxsp.errors import InputError
from yoloxsp.io import read_image
from yoloxsp.model import SIZES, YoloxSp, YoloxSpConfig, load_weights, save_weights
from yoloxsp.model.assign import simota_assign
from yoloxsp.model.backends import OnnxBackend, Predictor, TorchBackend
from yoloxsp.model.decode import batched_nms
from yoloxsp.model.grid import anchor_grid
from yoloxsp.model.onnx_export import export_onnx
from yoloxsp.model.preprocess import prepare_batch
from yoloxsp.synth import SynthConfig, read_truth, write_movie

pytestmark = pytest.mark.easycv


@pytest.mark.parametrize("size", sorted(SIZES))
def test_output_shapes_for_every_size(size):
    model = YoloxSp(size=size).eval()
    with torch.no_grad():
        boxes, poles = model.forward_raw(torch.zeros(2, 3, 64, 96))
    assert boxes.shape == (2, 8 * 12 + 4 * 6 + 2 * 3, 10)
    assert poles.shape == (2, 3, 16, 24)


def test_pole_stride_8_design_and_input_checks():
    model = YoloxSp(size="tiny", pole_stride=8).eval()
    with torch.no_grad():
        assert model.forward_raw(torch.zeros(1, 3, 64, 64))[1].shape == (1, 3, 8, 8)
        with pytest.raises(ValueError, match="multiples of 32"):
            model.forward_raw(torch.zeros(1, 3, 64, 70))
    with pytest.raises(ValueError, match="unknown model size"):
        YoloxSpConfig(size="xl")


def test_simota_takes_the_dynamic_k_best_anchors_and_resolves_conflicts():
    grids, strides = anchor_grid((64, 64), strides=(8,), device="cpu")
    centres = (grids + 0.5) * strides[:, None]
    gt = torch.tensor([[16.0, 16.0, 48.0, 48.0]])
    far = torch.tensor([0.0, 0.0, 1.0, 1.0])
    pred = far.repeat(len(centres), 1)
    perfect = [27, 28, 35]                      # anchors near the box centre predicting it exactly
    pred[perfect] = gt[0]
    obj = torch.full((len(centres),), 5.0)
    cls = torch.full((len(centres), 1), 5.0)
    a = simota_assign(centres, strides, pred, obj, cls, gt, torch.tensor([0]))
    # k = floor(sum of the 10 best IoUs) = 3: exactly the three perfect anchors.
    assert sorted(a.foreground.nonzero().squeeze(1).tolist()) == perfect
    assert torch.allclose(a.iou, torch.ones(3)) and (a.gt_index == 0).all()
    # A second, identical ground truth competes for the same anchors: each anchor goes to one box only.
    b = simota_assign(centres, strides, pred, obj, cls, torch.cat([gt, gt]), torch.tensor([0, 0]))
    assert b.num_foreground == 3 and len(b.gt_index) == 3
    # No ground truth: nothing is foreground.
    assert simota_assign(centres, strides, pred, obj, cls, gt[:0], torch.tensor([], dtype=torch.long)).num_foreground == 0


STEPS = 250
ROOT = Path(__file__).resolve().parents[1]
NO_AUGMENTATION = {"mosaic_prob": 0.0, "degrees": 0.0, "translate": 0.0, "scale": [1.0, 1.0], "shear": 0.0,
                   "dihedral": False, "degradations": {"drop_spb_prob": 0.0, "blur_prob": 0.0, "jpeg_prob": 0.0}}


@pytest.fixture(scope="module")
def overfitted(tmp_path_factory):
    """A tiny model trained from scratch by the package's trainer for 250 steps on 4 synthetic
    128x128 frames (one batch, no augmentation), and its loss history."""
    import yoloxsp  # noqa: F401  (registers the trainer)
    from modelscope.trainers import build_trainer
    from modelscope.trainers.hooks.hook import Hook

    from yoloxsp.metainfo import Trainers

    class LossRecorder(Hook):
        def __init__(self):
            self.history = []

        def after_train_iter(self, trainer):
            self.history.append(float(trainer.train_outputs["loss"]))

    folder = tmp_path_factory.mktemp("overfit")
    movie = write_movie(folder / "m", SynthConfig(width=128, height=128, frames=4, seed=21, pixel_size=0.2,
                                                  spindles=2, jpeg_quality=None, debris=0))
    recorder = LossRecorder()
    trainer = build_trainer(Trainers.easycv, dict(
        cfg_file=str(ROOT / "configs" / "yoloxsp_tiny.json"), train_dataset=str(movie), eval_dataset=str(movie),
        work_dir=str(folder / "work"), callbacks=[recorder], cfg_options={
            "model.loss_balance": "fixed", "dataset.train.input_size": 128, "dataset.train.augment": NO_AUGMENTATION,
            "train.max_epochs": STEPS, "train.lr_scheduler.num_last_epochs": STEPS,  # L1 loss throughout
            "train.dataloader.batch_size_per_gpu": 4, "train.dataloader.workers_per_gpu": 0,
            "train.hooks": [{"type": "EvaluationHook", "interval": 10 * STEPS},
                            {"type": "CheckpointHook", "interval": 10 * STEPS},
                            {"type": "TextLoggerHook", "interval": 10 * STEPS}]}))
    trainer.train()
    model = trainer.unwrap_module(trainer.model).model
    return model.eval(), movie, read_cvat(movie).records, recorder.history


def test_loss_falls_steadily_when_overfitting(overfitted):
    _, _, _, history = overfitted
    assert len(history) == STEPS
    windows = [np.mean(history[i:i + 50]) for i in range(0, STEPS, 50)]
    assert all(later < earlier for earlier, later in zip(windows, windows[1:])), windows
    assert windows[-1] < 0.2 * windows[0]


def test_overfitted_model_finds_its_spindles_and_poles(overfitted):
    model, movie, records, _ = overfitted
    truth = read_truth(movie / "ground_truth.csv")
    frames = [read_image(r.image_path) for r in records]
    detections = model.predict(frames)
    errors = []
    for frame_index, dets in enumerate(detections):
        want = [t.spindle for t in truth if t.frame == frame_index]
        assert len(dets) == len(want)
        for spindle in want:
            ious = [_iou(spindle.box, box) for box in dets.boxes]
            best = int(np.argmax(ious))
            assert ious[best] > 0.5  # found, by the AP50 criterion
            got = dets.poles[best]
            assert np.isfinite(got).all(), "both poles are visible, so both must be reported"
            want_poles = np.array(spindle.poles)
            errors += min((np.hypot(*(want_poles - got).T) for got in (got, got[::-1])), key=np.sum).tolist()
    assert np.median(errors) < 1.5, errors


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_onnx_parity_at_three_input_sizes(overfitted, tmp_path):
    model, _, records, _ = overfitted
    path = export_onnx(model, tmp_path / "m.onnx")
    torch_backend, onnx_backend = TorchBackend(model), OnnxBackend(path)
    frame = read_image(records[0].image_path)
    for hw in ((128, 128), (160, 224), (256, 192)):
        canvas = np.zeros(hw + (3,), np.uint8)
        canvas[:128, :128] = frame
        images = np.repeat(canvas.transpose(2, 0, 1)[None].astype(np.float32), 2, axis=0)
        for a, b in zip(torch_backend.raw(images), onnx_backend.raw(images)):
            assert a.shape == b.shape
            assert float(np.abs(a - b).max()) < 1e-4
        from_torch, from_onnx = Predictor(torch_backend)(canvas)[0], Predictor(onnx_backend)(canvas)[0]
        assert len(from_torch) == len(from_onnx) == 2
        np.testing.assert_allclose(from_torch.boxes, from_onnx.boxes, atol=1e-3)
        np.testing.assert_allclose(from_torch.poles, from_onnx.poles, atol=1e-3)
        np.testing.assert_allclose(from_torch.scores, from_onnx.scores, atol=1e-4)


def test_onnx_frames_of_a_batch_run_side_by_side_with_unchanged_outputs(overfitted, tmp_path):
    model, _, records, _ = overfitted
    path = export_onnx(model, tmp_path / "m.onnx")
    side_by_side, one_run = OnnxBackend(path), OnnxBackend(path, threads=2)
    assert side_by_side.parallel_frames == (os.cpu_count() or 1) and one_run.parallel_frames == 1
    images = prepare_batch([read_image(r.image_path) for r in records]).images
    assert len(images) == 4
    for a, b in zip(side_by_side.raw(images), one_run.raw(images)):
        assert a.shape == b.shape and float(np.abs(a - b).max()) < 1e-4


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(0, 80), classes=st.integers(1, 3),
       threshold=st.floats(0.05, 0.95))
def test_nms_keeps_exactly_what_torchvision_keeps(seed, n, classes, threshold):
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, 100, (n, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(0.5, 40, (n, 2))], axis=1).astype(np.float32)
    scores = rng.uniform(0, 1, n).astype(np.float32)
    labels = rng.integers(0, classes, n)
    expected = torchvision_batched_nms(torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(labels),
                                       threshold).numpy()
    np.testing.assert_array_equal(batched_nms(boxes, scores, labels, threshold), expected)


def test_weights_round_trip_and_bad_files(overfitted, tmp_path):
    model, _, records, _ = overfitted
    path = save_weights(model, tmp_path / "w.pt")
    again = load_weights(path)
    frame = read_image(records[1].image_path)
    np.testing.assert_array_equal(model.predict(frame)[0].boxes, again.predict(frame)[0].boxes)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(InputError, match=r"truncated\.pt: cannot read weights"):
        load_weights(truncated)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(InputError, match="not a yoloxsp weights file"):
        load_weights(other)
    wrong_size = save_weights(YoloxSp(size="nano"), tmp_path / "nano.pt")
    payload = torch.load(wrong_size, weights_only=True)
    payload["config"]["size"] = "tiny"
    torch.save(payload, wrong_size)
    with pytest.raises(InputError, match="do not fit a tiny model"):
        load_weights(wrong_size)
    with pytest.raises(InputError, match="not found"):
        load_weights(tmp_path / "missing.pt")


def test_easycv_style_test_mode(overfitted):
    model, _, records, _ = overfitted
    dataset = SpindleDataset(records, input_size=128, train=False)
    batch = collate([dataset[0], dataset[1]])
    out = model(**batch, mode="test")  # the dataset's items are named as the forward's arguments
    assert set(out) >= {"detection_boxes", "detection_scores", "detection_classes", "detection_poles", "img_metas"}
    found = len(out["detection_boxes"][0])
    assert len(out["detection_boxes"]) == 2 and found >= 1 and out["detection_boxes"][0].shape == (found, 4)
    assert out["detection_poles"][0].shape == (found, 2, 2) and out["detection_scores"][0].shape == (found,)


def test_modelscope_builds_the_model_from_a_model_folder(overfitted, tmp_path):
    from modelscope.models import Model

    import yoloxsp  # noqa: F401  (registers the model type)

    model, _, records, _ = overfitted
    save_weights(model, tmp_path / "pytorch_model.pt")
    (tmp_path / "configuration.json").write_text(json.dumps({
        "framework": "pytorch", "task": "image-object-detection",
        "model": {"type": "yoloxsp", **model.config.to_dict()}}))
    loaded = Model.from_pretrained(str(tmp_path))
    assert loaded.model.config.size == "tiny"
    frame = read_image(records[0].image_path)
    np.testing.assert_allclose(loaded.model.predict(frame)[0].boxes, model.predict(frame)[0].boxes)
    # In training mode the wrapper also reports "loss", the key ModelScope's optimizer hook reads.
    batch = collate([SpindleDataset(records, input_size=128, train=False)[0]])
    losses = loaded(**batch, mode="train")
    assert losses["loss"] is losses["total_loss"] and losses["loss"].requires_grad


def test_export_command_writes_a_working_onnx(overfitted, tmp_path):
    model, _, records, _ = overfitted
    save_weights(model, tmp_path / "w.pt")
    out = subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "export", "--model", str(tmp_path / "w.pt"),
                          "--out", str(tmp_path / "w.onnx")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    detections = Predictor(OnnxBackend(tmp_path / "w.onnx"))(read_image(records[0].image_path))[0]
    assert len(detections) == 2
