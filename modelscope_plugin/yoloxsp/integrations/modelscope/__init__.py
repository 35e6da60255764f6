"""ModelScope registrations; imported by ``import yoloxsp`` when modelscope is installed."""
from .dataset import CvatSpindleDataset, cvat_ms_dataset
from . import bundled_name  # noqa: F401  (pipeline(..., model='yoloxsp'))
from .model import YoloxSpModel
from .pipeline import SpindleDetectionPipeline
from .trainer_entry import EasyCVTrainerEntry

__all__ = ["CvatSpindleDataset", "EasyCVTrainerEntry", "SpindleDetectionPipeline", "YoloxSpModel",
           "cvat_ms_dataset"]
