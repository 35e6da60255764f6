"""Make ``build_trainer('easycv', ...)`` work right after ``import yoloxsp``.

ModelScope no longer indexes EasyCV's trainer, and importing EasyCV takes seconds (and, in
pai-easycv, may pip-install packages), so ``import yoloxsp`` registers this light entry under
``easycv`` instead. ModelScope's builder calls :meth:`_instantiate`, which imports the real
trainer (:class:`yoloxsp.integrations.easycv.trainer.YoloxSpTrainer`), lets it take the name
over, and builds it. If EasyCV's trainer was imported first, the entry is not registered.
"""
from __future__ import annotations

import importlib

from modelscope.trainers.base import TRAINERS
from modelscope.utils.registry import default_group

from ...metainfo import Trainers


class EasyCVTrainerEntry:
    @classmethod
    def _instantiate(cls, **kwargs):
        trainer_module = importlib.import_module("yoloxsp.integrations.easycv.trainer")
        return trainer_module.YoloxSpTrainer(**kwargs)


def make_room_for_easycv() -> None:
    """Drop this entry so that importing EasyCV's trainer module can register its name."""
    if TRAINERS.get(Trainers.easycv) is EasyCVTrainerEntry:
        del TRAINERS.modules[default_group][Trainers.easycv]


if TRAINERS.get(Trainers.easycv) is None:
    TRAINERS.register_module(module_name=Trainers.easycv, module_cls=EasyCVTrainerEntry)
