"""Synthetic S. pombe time-lapse fields with exact ground truth (``yoloxsp synth``).

The generator's names (:mod:`.movie`) are imported on first use (PEP 562): the settings
(:mod:`.config`, :mod:`.looks`), which the command line builds its options from at every start,
then cost no SciPy, OpenCV or CVAT writer.
"""
from .config import SynthConfig

_MOVIE = ("GROUND_TRUTH_COLUMNS", "SynthFrame", "TruthRow", "generate", "read_truth", "write_movie")
__all__ = ["SynthConfig", *_MOVIE]


def __getattr__(name: str):
    if name in _MOVIE:
        from . import movie

        return getattr(movie, name)
    raise AttributeError(f"module 'yoloxsp.synth' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_MOVIE})
