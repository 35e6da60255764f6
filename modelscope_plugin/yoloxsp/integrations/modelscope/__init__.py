"""ModelScope registrations; imported by ``import yoloxsp`` when modelscope is installed."""
from .dataset import CvatSpindleDataset, cvat_ms_dataset
from .model import YoloxSpModel

__all__ = ["CvatSpindleDataset", "YoloxSpModel", "cvat_ms_dataset"]
