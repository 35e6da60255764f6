"""Annotated frames: CVAT reading and writing, COCO conversion, training datasets.

The names below are imported from their modules on first use (PEP 562), so that what only needs
one module of the package (inference needs :mod:`.scale`) does not pay for the CVAT reader's
imports (scipy's optimisers). The torch dataset lives in :mod:`yoloxsp.data.dataset`.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_HOMES = {"records_to_coco": ".coco", "CvatExport": ".cvat", "CvatLabels": ".cvat", "read_cvat": ".cvat",
          "write_cvat_images": ".cvat_writer", "write_cvat_video": ".cvat_writer", "FrameRecord": ".records",
          "Spindle": ".records"}
__all__ = sorted(_HOMES)

if TYPE_CHECKING:
    from .coco import records_to_coco
    from .cvat import CvatExport, CvatLabels, read_cvat
    from .cvat_writer import write_cvat_images, write_cvat_video
    from .records import FrameRecord, Spindle


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value
