"""Annotated frames: CVAT reading and writing, COCO conversion, training datasets.

The torch dataset lives in :mod:`yoloxsp.data.dataset` (imported on demand so that reading
annotations does not need torch).
"""
from .coco import records_to_coco
from .cvat import CvatExport, CvatLabels, read_cvat
from .cvat_writer import write_cvat_images, write_cvat_video
from .records import FrameRecord, Spindle

__all__ = ["CvatExport", "CvatLabels", "FrameRecord", "Spindle", "read_cvat", "records_to_coco",
           "write_cvat_images", "write_cvat_video"]
