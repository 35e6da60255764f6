"""Registry names of everything yoloxsp adds, as extensions of modelscope's metainfo classes.

``from yoloxsp.metainfo import Trainers`` gives ``Trainers.easycv`` back (modelscope removed it
in 1.6; pai-easycv still registers its trainer under that string). The classes are built on first
use (PEP 562): importing modelscope runs yoloxsp's registrations, which use these names, so this
module must not import modelscope while it is itself being imported.
"""
from __future__ import annotations

import importlib

OUR_NAMES = {
    "Models": {"yoloxsp": "yoloxsp"},
    "Pipelines": {"spindle_detection": "yoloxsp-spindle-detection"},
    "CustomDatasets": {"cvat_spindles": "yoloxsp-cvat-spindles"},
    "Trainers": {"easycv": "easycv"},
}


def __getattr__(name: str) -> type:
    if name not in OUR_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    base = getattr(importlib.import_module("modelscope.metainfo"), name)  # not modelscope.metainfo: a lazy module
    extended = type(name, (base,), {"__module__": __name__, **OUR_NAMES[name]})
    globals()[name] = extended
    return extended
