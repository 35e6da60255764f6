"""ModelScope registrations; imported by ``import yoloxsp`` when modelscope is installed."""
from .dataset import CvatSpindleDataset, cvat_ms_dataset

__all__ = ["CvatSpindleDataset", "cvat_ms_dataset"]
