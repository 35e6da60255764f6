"""yoloxsp: find mitotic spindles and their poles in S. pombe fluorescence microscopy."""

__version__ = "0.1.0"
