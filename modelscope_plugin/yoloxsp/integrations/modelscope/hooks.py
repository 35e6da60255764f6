"""The two look-ups a bare name needs, installed together.

A module of its own so that ``yoloxsp``'s post-import hook can reach it while this package is
still being imported: when a user's first import is one of this package's modules, that import
is what loads modelscope and fires the hook, and the package's ``__init__`` has not yet defined
anything (Python imports a submodule of a package that is still initialising, but cannot take
a name the package has not defined yet).
"""
from __future__ import annotations

from .bundled_name import resolve_bundled_name
from .trainer_entry import index_easycv_trainer


def install_name_hooks() -> None:
    """Each hook applies or warns on its own: one that a ModelScope change defeats costs only its name."""
    resolve_bundled_name()
    index_easycv_trainer()
