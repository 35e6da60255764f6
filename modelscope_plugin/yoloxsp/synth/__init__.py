"""Synthetic S. pombe time-lapse fields with exact ground truth (``yoloxsp synth``)."""
from .config import SynthConfig
from .movie import GROUND_TRUTH_COLUMNS, SynthFrame, TruthRow, generate, read_truth, write_movie

__all__ = ["GROUND_TRUTH_COLUMNS", "SynthConfig", "SynthFrame", "TruthRow", "generate", "read_truth",
           "write_movie"]
