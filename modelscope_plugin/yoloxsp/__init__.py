"""yoloxsp: find mitotic spindles and their poles in S. pombe fluorescence microscopy.

The core (``io``, ``data``, ``synth``; later ``model`` and ``post``) needs neither modelscope nor
easycv. Importing the package registers the ModelScope integrations when modelscope is
installed, which is what makes ``pipeline(Tasks.image_object_detection, model='yoloxsp')`` and
the ``yoloxsp-cvat-spindles`` dataset type resolvable.
"""
import importlib.util

__version__ = "0.1.0"

if importlib.util.find_spec("modelscope") is not None:
    from .integrations import modelscope as _modelscope_registrations  # noqa: F401
    from .integrations.modelscope import cvat_ms_dataset  # noqa: F401
