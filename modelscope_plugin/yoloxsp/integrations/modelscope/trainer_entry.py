"""Let ``build_trainer('easycv', ...)`` find yoloxsp's trainer right after ``import yoloxsp``.

ModelScope builds a trainer by name in two steps: it imports the module that its lazy-import
index lists for ``('TRAINERS', 'default', name)``, then looks the name up in TRAINERS.
ModelScope no longer indexes EasyCV's trainer, and importing EasyCV takes seconds, so
:func:`index_easycv_trainer` adds that one index entry, naming
:mod:`yoloxsp.integrations.easycv.trainer`: the first ``build_trainer('easycv')`` imports it, and
it registers :class:`~yoloxsp.integrations.easycv.trainer.YoloxSpTrainer` (EasyCV's trainer,
changed only for YOLOX-SP models and machines without CUDA) under ``easycv``. Nothing is put into
or taken out of TRAINERS before that, so EasyCV's own modules import cleanly in any order.

Never an exception: when ModelScope's index is not where it was, a warning says how to get the
trainer anyway (import :mod:`yoloxsp.integrations.easycv` before ``build_trainer``).
"""
from __future__ import annotations

import warnings
from pathlib import Path

from ...metainfo import Trainers

TRAINER_MODULE = "yoloxsp.integrations.easycv.trainer"
TRAINER_FILE = Path(__file__).resolve().parent.parent / "easycv" / "trainer.py"


def index_easycv_trainer() -> bool:
    """Point ModelScope's index entry for the ``easycv`` trainer at yoloxsp's; False, with a
    warning, when ModelScope's index cannot be reached."""
    try:
        from modelscope.trainers.base import TRAINERS
        from modelscope.utils.ast_utils import FILE_NAME_KEY, IMPORT_KEY, INDEX_KEY, MODULE_KEY
        from modelscope.utils.import_utils import LazyImportModule
        from modelscope.utils.registry import default_group

        index = LazyImportModule.get_ast_index()[INDEX_KEY]
        # ours replaces an entry naming EasyCV's own trainer: it is that trainer, fixed for CPUs
        index[(TRAINERS.name.upper(), default_group, Trainers.easycv)] = {
            MODULE_KEY: TRAINER_MODULE, IMPORT_KEY: [], FILE_NAME_KEY: str(TRAINER_FILE)}
    except (ImportError, AttributeError, KeyError, TypeError) as exc:
        warnings.warn(f"yoloxsp: ModelScope's lazy-import index is not where yoloxsp expects it ({type(exc).__name__}:"
                      f" {exc}), so build_trainer('{Trainers.easycv}') will not find yoloxsp's trainer by itself; "
                      "import yoloxsp.integrations.easycv before calling it", stacklevel=2)
        return False
    return True
