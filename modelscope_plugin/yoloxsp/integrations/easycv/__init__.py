"""EasyCV registrations: evaluators, training hooks and the trainer; imported on demand (by
``build_trainer('easycv', ...)`` through :mod:`yoloxsp.integrations.modelscope.trainer_entry`),
since importing easycv is slow."""
from .evaluators import PolePointEvaluator
from .hooks import ModelEMAHook, ProgressBarHook, YoloxSpModeSwitchHook
from .trainer import YoloxSpTrainer

__all__ = ["ModelEMAHook", "PolePointEvaluator", "ProgressBarHook", "YoloxSpModeSwitchHook", "YoloxSpTrainer"]
