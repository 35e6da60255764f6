"""yoloxsp: find mitotic spindles and their poles in S. pombe fluorescence microscopy.

The core (``io``, ``data``, ``synth``; later ``model`` and ``post``) needs neither modelscope nor
easycv. Importing the package registers the ModelScope integrations when modelscope is
installed, which is what makes ``pipeline(Tasks.image_object_detection, model='yoloxsp')`` and
the ``yoloxsp-cvat-spindles`` dataset type resolvable.
"""
import importlib.util
from pathlib import Path

__version__ = "0.1.0"


def default_model_dir() -> Path:
    """The bundled default model's folder (configuration.json + pytorch_model.pt): what to pass
    as ``model=`` to ModelScope's ``build_trainer`` or ``Model.from_pretrained``."""
    from .model.resolve import model_path

    return model_path("yoloxsp")

if importlib.util.find_spec("modelscope") is not None:
    from .integrations import modelscope as _modelscope_registrations  # noqa: F401
    from .integrations.modelscope import cvat_ms_dataset  # noqa: F401
