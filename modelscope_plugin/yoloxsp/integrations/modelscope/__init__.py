"""ModelScope registrations: importing this package registers the model, pipeline and dataset
type (ModelScope's plugin convention); :func:`install_name_hooks` adds the two look-ups a bare
name needs (``pipeline(..., model='yoloxsp')``, ``build_trainer('easycv', ...)``). ``import
yoloxsp`` does both when modelscope is imported (see ``yoloxsp._register_with_modelscope``)."""
from .dataset import CvatSpindleDataset, cvat_ms_dataset
from .hooks import install_name_hooks
from .model import YoloxSpModel
from .pipeline import SpindleDetectionPipeline


__all__ = ["CvatSpindleDataset", "SpindleDetectionPipeline", "YoloxSpModel", "cvat_ms_dataset",
           "install_name_hooks"]
