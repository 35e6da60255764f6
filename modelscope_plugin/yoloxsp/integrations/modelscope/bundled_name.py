"""Let ``pipeline(task, model='yoloxsp')`` mean the bundled default model, offline.

ModelScope treats a bare string that is not an existing path as a hub id and asks the hub about
it (which fails: 'yoloxsp' is not ``owner/name``). The pipeline builder resolves the model
through four functions it imported by name; each is wrapped so that exactly the string
``yoloxsp`` (alone or as the first of a list) becomes the bundled model folder before the
original function runs. Every other argument reaches the original unchanged, so no other model
behaves differently. Wrapping the builder's globals (not the ``pipeline`` function) works
whichever of ``import yoloxsp`` and ``from modelscope.pipelines import pipeline`` came first.
"""
from __future__ import annotations

import functools

from modelscope.pipelines import builder

from ...metainfo import Models

WRAPPED = ("is_model_from_trusted_source", "is_official_hub_path", "read_config", "normalize_model_input")


def _bundled_if_named(model):
    from ...model.resolve import model_path

    if model == Models.yoloxsp:
        return str(model_path(model))
    if isinstance(model, list) and model and model[0] == Models.yoloxsp:
        return [str(model_path(model[0]))] + model[1:]
    return model


def _resolving(function):
    @functools.wraps(function)
    def wrapper(model, *args, **kwargs):
        return function(_bundled_if_named(model), *args, **kwargs)

    wrapper.yoloxsp_wrapped = True
    return wrapper


for _name in WRAPPED:
    if not getattr(getattr(builder, _name), "yoloxsp_wrapped", False):
        setattr(builder, _name, _resolving(getattr(builder, _name)))
