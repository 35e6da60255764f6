"""Training hooks YOLOX-SP needs on top of ModelScope's and EasyCV's (registered in ModelScope's
HOOKS, which the EasyCV trainer uses).

- :class:`YoloxSpModeSwitchHook`: YOLOX's final epochs without augmentation and with L1 box loss
  (restarting the persistent data-loader workers, whose dataset copies would go on augmenting).
- :class:`ModelEMAHook`: an exponential moving average of the weights (YOLOX's ramped decay),
  used for evaluation and for the output folders' weights (:func:`scored_network`), and saved
  with the trainer state so a resumed run continues it. EasyCV's own EMAHook keeps its average
  outside any checkpoint.
- :class:`FrozenNormHook`: BatchNorm layers keep their trained statistics (fine-tuning recipe).
- :class:`StartingWeightsHook`: the weights a fine-tune starts from are scored on the validation
  data first and stay the best checkpoint unless an epoch beats them (fine-tuning recipe).
- :class:`ProgressBarHook`: a tqdm bar over the iterations of each epoch.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from modelscope.trainers.hooks import HOOKS, BestCkptSaverHook
from modelscope.trainers.hooks.hook import Hook
from modelscope.trainers.hooks.priority import Priority
from modelscope.utils.torch_utils import is_master
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader
from tqdm import tqdm


def _network(trainer) -> torch.nn.Module:
    """The bare :class:`~yoloxsp.model.YoloxSp` inside the trainer's (parallel) wrappers."""
    return trainer.unwrap_module(trainer.model).model


def scored_network(trainer) -> torch.nn.Module:
    """The network the trainer's evaluation scores: the moving average of a :class:`ModelEMAHook`
    once it has averaged a step, else the trained network. Output folders hold these weights, so
    the model a run hands over is the one its metrics describe; the epoch checkpoints keep the
    trained network, from which a resumed run goes on."""
    for hook in trainer.get_hook(ModelEMAHook):
        if hook.average is not None and int(hook.average.n_averaged) > 0:
            return hook.average.module
    return _network(trainer)


def stop_workers(loader: DataLoader) -> None:
    """Stop a data loader's persistent workers (and free what they cached); its next pass starts
    new ones. Each worker holds a copy of the dataset taken when it started, so a change made to
    the dataset afterwards reaches only new workers. (torch keeps the running workers in the
    loader's private ``_iterator``.)"""
    running = getattr(loader, "_iterator", None)
    if running is not None:
        running._shutdown_workers()
        loader._iterator = None


@HOOKS.register_module(module_name="YoloxSpModeSwitchHook")
class YoloxSpModeSwitchHook(Hook):
    """``num_last_epochs`` defaults to the learning-rate schedule's fixed-lr final epochs, as in YOLOX."""

    def __init__(self, num_last_epochs: Optional[int] = None):
        self.num_last_epochs = num_last_epochs
        self.switched = False

    def before_train_epoch(self, trainer):
        last = self.num_last_epochs
        if last is None:
            last = trainer.cfg.safe_get("train.lr_scheduler.num_last_epochs", 0)
        if trainer.epoch >= trainer.max_epochs - last and not self.switched:
            trainer.train_dataloader.dataset.disable_augmentation()
            stop_workers(trainer.train_dataloader)
            _network(trainer).use_l1 = True
            self.switched = True


@HOOKS.register_module(module_name="FrozenNormHook")
class FrozenNormHook(Hook):
    """Keep every BatchNorm layer in evaluation mode during training (see ``YoloxSpModel.train``)."""

    def before_run(self, trainer):
        wrapper = trainer.unwrap_module(trainer.model)
        wrapper.frozen_norm = True
        wrapper.train(wrapper.training)


@HOOKS.register_module(module_name="StartingWeightsHook")
class StartingWeightsHook(Hook):
    """Score the starting weights on the validation data before the first step and make them the
    best checkpoint (``output_best``) so far: an epoch replaces them only by beating them (strictly,
    by the :class:`BestCkptSaverHook`'s metric and rule). Few frames cannot say much, and a fine-tune
    that does not improve on a user's held-out frames must hand back what it was given, not the
    last of several noisy updates. Runs last among the hooks preparing the run (the checkpoint
    hooks set up their folders first); a resumed run keeps the best it had."""

    PRIORITY = Priority.LOWEST

    def before_run(self, trainer):
        best = trainer.get_hook(BestCkptSaverHook)
        if not best or trainer.iter > 0 or best[0]._best_metric is not None:
            return
        training_data, mode = trainer.data_loader, trainer._mode
        scores = trainer.evaluate()
        trainer.data_loader, trainer._mode = training_data, mode  # as the hooks after this one expect
        key = best[0].metric_key
        if not math.isfinite(scores.get("det_recall@0.5", 0.0)) or not math.isfinite(scores[key]):
            if is_master():  # every weights would score alike there: the epochs compete as they would without this hook
                trainer.logger.warning(f"the validation data holds no spindles ({key} {scores[key]}): it cannot tell "
                                       f"the starting weights from an epoch; give validation frames with spindles")
            return
        if best[0]._is_best_metric(scores) and best[0].processor.should_save_on_rank(trainer):
            best[0]._save_checkpoint(trainer, f"best_start_{key}{scores[key]}")
        if is_master():
            trainer.logger.info(f"the starting weights score {key} {scores[key]:.4f} on the validation data: "
                                f"{best[0].output_dir} holds them unless an epoch beats that")


@HOOKS.register_module(module_name="ModelEMAHook")
class ModelEMAHook(Hook):
    PRIORITY = Priority.ABOVE_NORMAL  # each step is averaged before the checkpoint hooks (LOW) save its state

    def __init__(self, decay: float = 0.9998, ramp_iters: int = 2000):
        self.decay, self.ramp_iters = decay, ramp_iters
        self.average = None
        self._pending_state = None
        self._live_state = None

    def _ramped(self, average, current, count):
        d = self.decay * (1 - math.exp(-float(count) / self.ramp_iters))
        return d * average + (1 - d) * current

    def before_run(self, trainer):
        self.average = AveragedModel(_network(trainer), avg_fn=self._ramped, use_buffers=True)
        if self._pending_state is not None:
            self.average.load_state_dict(self._pending_state)
            self._pending_state = None

    def after_train_iter(self, trainer):
        self.average.update_parameters(_network(trainer))

    def before_val(self, trainer):
        if self.average is not None and int(self.average.n_averaged) > 0:
            network = _network(trainer)
            self._live_state = {k: v.clone() for k, v in network.state_dict().items()}
            network.load_state_dict(self.average.module.state_dict())

    def after_val(self, trainer):
        if self._live_state is not None:
            _network(trainer).load_state_dict(self._live_state)
            self._live_state = None

    def after_run(self, trainer):
        if self.average is not None and int(self.average.n_averaged) > 0:
            _network(trainer).load_state_dict(self.average.module.state_dict())

    def state_dict(self) -> dict:
        return {"average": self.average.state_dict()} if self.average is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if "average" not in state:
            return
        if self.average is None:  # the checkpoint is loaded before this hook's before_run
            self._pending_state = state["average"]
        else:
            self.average.load_state_dict(state["average"])


@HOOKS.register_module(module_name="ProgressBarHook")
class ProgressBarHook(Hook):
    PRIORITY = Priority.VERY_LOW

    def __init__(self):
        self.bar = None

    def before_train_epoch(self, trainer):
        if is_master():
            self.bar = tqdm(total=len(trainer.train_dataloader), initial=trainer.inner_iter, unit="batch",
                            desc=f"epoch {trainer.epoch + 1}/{trainer.max_epochs}", leave=False)

    def after_train_iter(self, trainer):
        if self.bar is not None:
            self.bar.update(1)
            loss = trainer.log_buffer.val_history.get("loss")
            if loss:
                self.bar.set_postfix(loss=f"{loss[-1]:.3f}")

    def after_train_epoch(self, trainer):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
