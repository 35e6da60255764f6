"""yoloxsp: find mitotic spindles and their poles in S. pombe fluorescence microscopy.

The core (``io``, ``data``, ``synth``, ``model``, ``metrics``, ``post``) needs neither modelscope
nor easycv. The ModelScope registrations (pipeline, model, dataset type, trainer entry) are made
when modelscope is imported, before or after ``import yoloxsp``: a post-import hook (wrapt) runs
them as soon as the ``modelscope`` package itself is loaded, before any of its sub-packages. So
``import yoloxsp`` followed by ``pipeline(Tasks.image_object_detection, model='yoloxsp')`` works,
while the CLI and plain inference never pay for importing modelscope, transformers and datasets
(about 6 s on a 2-core machine).
"""
from pathlib import Path

import wrapt

__version__ = "0.1.0"


def default_model_dir() -> Path:
    """The bundled default model's folder (configuration.json + pytorch_model.pt): what to pass
    as ``model=`` to ModelScope's ``build_trainer`` or ``Model.from_pretrained``."""
    from .model.resolve import model_path

    return model_path("yoloxsp")


def __getattr__(name: str):
    if name == "cvat_ms_dataset":
        from .integrations.modelscope import cvat_ms_dataset

        return cvat_ms_dataset
    raise AttributeError(f"module 'yoloxsp' has no attribute {name!r}")


@wrapt.when_imported("modelscope")
def _register_with_modelscope(_module) -> None:
    from .integrations import modelscope  # noqa: F401  (its import registers everything)
