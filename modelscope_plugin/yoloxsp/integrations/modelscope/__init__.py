"""ModelScope registrations; imported by ``import yoloxsp`` when modelscope is installed."""
from .dataset import CvatSpindleDataset, cvat_ms_dataset
from .model import YoloxSpModel
from .trainer_entry import EasyCVTrainerEntry

__all__ = ["CvatSpindleDataset", "EasyCVTrainerEntry", "YoloxSpModel", "cvat_ms_dataset"]
