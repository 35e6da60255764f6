"""ModelScope registrations: importing this package registers the model, pipeline and dataset
type (ModelScope's plugin convention); :func:`install_name_hooks` adds the two look-ups a bare
name needs (``pipeline(..., model='yoloxsp')``, ``build_trainer('easycv', ...)``). ``import
yoloxsp`` does both when modelscope is imported (see ``yoloxsp._register_with_modelscope``)."""
from .bundled_name import resolve_bundled_name
from .dataset import CvatSpindleDataset, cvat_ms_dataset
from .model import YoloxSpModel
from .pipeline import SpindleDetectionPipeline
from .trainer_entry import index_easycv_trainer


def install_name_hooks() -> None:
    """Each hook applies or warns on its own: one that a ModelScope change defeats costs only its name."""
    resolve_bundled_name()
    index_easycv_trainer()


__all__ = ["CvatSpindleDataset", "SpindleDetectionPipeline", "YoloxSpModel", "cvat_ms_dataset",
           "install_name_hooks"]
