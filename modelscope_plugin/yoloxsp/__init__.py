"""yoloxsp: find mitotic spindles and their poles in S. pombe fluorescence microscopy.

The core (``io``, ``data``, ``synth``, ``model``, ``analysis``, ``export``, ``metrics``, ``movie``,
``batch``) needs neither modelscope nor easycv. The ModelScope registrations (pipeline, model, dataset type, trainer entry) are made
when modelscope is imported, before or after ``import yoloxsp``: a post-import hook (wrapt) runs
them as soon as the ``modelscope`` package itself is loaded, before any of its sub-packages. So
``import yoloxsp`` followed by ``pipeline(Tasks.image_object_detection, model='yoloxsp')`` works,
while the CLI and plain inference never pay for importing modelscope, transformers and datasets.

The Python API (:mod:`yoloxsp.api`, over the analysis core :mod:`yoloxsp.movie`) is reached from
here and imported on first use, so ``import yoloxsp`` stays cheap:

    movie = yoloxsp.analyse("movie.tif")      # tracked and measured: .detections, .tracks, .plot(), .save()
    detector = yoloxsp.load()                 # the bundled model on ONNX Runtime
    results = detector("movie.tif")           # one FrameResult per frame, frames on their own
    results[0].to_dataframe()                 # .plot() a matplotlib Figure, .save("overlay.png")
"""
import warnings
from pathlib import Path

import wrapt

__version__ = "0.1.0"


def default_model_dir() -> Path:
    """The bundled default model's folder (configuration.json + pytorch_model.pt): what to pass
    as ``model=`` to ModelScope's ``build_trainer`` or ``Model.from_pretrained``."""
    from .model.resolve import model_path

    return model_path("yoloxsp")


# public names and the module holding each, imported on first access (PEP 562)
API = {"analyse": "api", "load": "api", "SpindleDetector": "api", "Analysis": "movie", "FrameResult": "movie",
       "Settings": "movie"}
__all__ = [*API, "default_model_dir", "__version__"]


def __getattr__(name: str):
    if name in API:
        from importlib import import_module

        return getattr(import_module(f".{API[name]}", __name__), name)
    if name == "cvat_ms_dataset":
        from .integrations.modelscope import cvat_ms_dataset

        return cvat_ms_dataset
    raise AttributeError(f"module 'yoloxsp' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *API, "cvat_ms_dataset"})


@wrapt.when_imported("modelscope")
def _register_with_modelscope(_module) -> None:
    """Never raises: ``import modelscope`` must not fail because of yoloxsp. A ModelScope that
    moved what the registrations use gets a warning naming what is unavailable."""
    try:
        # ``hooks`` as a submodule: when the user's first import was one of the integration
        # package's modules, that package is still initialising here and has no names yet.
        from .integrations.modelscope import hooks
    except Exception as exc:  # any failure here would otherwise fail `import modelscope` itself
        warnings.warn(f"yoloxsp: could not register with ModelScope ({type(exc).__name__}: {exc}); "
                      "pipeline(..., model='yoloxsp') and build_trainer('easycv') are unavailable, while yoloxsp's "
                      "own Python API and command line do not need ModelScope", stacklevel=2)
        return
    hooks.install_name_hooks()
