"""Let ``pipeline(task, model='yoloxsp')`` mean the bundled default model, offline.

ModelScope reads a bare string that is not an existing path as a hub id and asks the hub about
it (which fails: 'yoloxsp' is not ``owner/name``). Its pipeline builder looks the model up through
three functions it imported by name (:data:`RESOLVERS`); :func:`resolve_bundled_name` wraps each
in the builder's namespace so that exactly the string ``yoloxsp`` (alone, or first of a list, as
the first positional argument) becomes the bundled model folder before the original runs. Every
other call reaches the original unchanged. Wrapping the builder's names, not ``pipeline`` itself,
works whichever of ``import yoloxsp`` and ``from modelscope.pipelines import pipeline`` came first.
The builder's fourth look-up, ``is_model_from_trusted_source``, is left alone: for a name that is
not ``owner/name`` it answers False without asking the hub, as it does for the folder.

All or nothing, and never an exception: when ModelScope no longer has one of the three, none is
wrapped and a warning says what to pass instead.
"""
from __future__ import annotations

import functools
import warnings
from typing import Callable

from ...metainfo import Models

RESOLVERS = ("is_official_hub_path", "read_config", "normalize_model_input")
MARK = "yoloxsp_resolves_bundled_name"


def _bundled_if_named(model):
    from ...model.resolve import model_path

    if model == Models.yoloxsp:
        return str(model_path(model))
    if isinstance(model, list) and model and model[0] == Models.yoloxsp:
        return [str(model_path(model[0]))] + model[1:]
    return model


def _resolving(function: Callable) -> Callable:
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if args:
            args = (_bundled_if_named(args[0]),) + args[1:]
        return function(*args, **kwargs)

    setattr(wrapper, MARK, True)
    return wrapper


def resolve_bundled_name() -> bool:
    """Wrap the builder's model look-ups (once); False, with a warning, when ModelScope lacks one."""
    from modelscope.pipelines import builder

    missing = [name for name in RESOLVERS if not callable(getattr(builder, name, None))]
    if missing:
        warnings.warn(f"yoloxsp: modelscope.pipelines.builder has no {', '.join(missing)} (a ModelScope version "
                      "yoloxsp does not know), so pipeline(..., model='yoloxsp') cannot resolve the bare name; "
                      "pass model=yoloxsp.default_model_dir() instead", stacklevel=2)
        return False
    for name in RESOLVERS:
        function = getattr(builder, name)
        if not getattr(function, MARK, False):
            setattr(builder, name, _resolving(function))
    return True
