"""Physical units as microscope software spells them, converted to micrometres and seconds.

ImageJ/Fiji stores its unit as free text and escapes non-ASCII characters, so the same micrometre
arrives as ``micron``, ``um``, ``µm`` (micro sign), ``μm`` (Greek mu) or the literal six characters
``\\u00B5m``; OME metadata uses unit symbols (``µm``, ``nm``, ``s``, ``ms``...). A unit we do not
recognise gives None (unknown) rather than a wrong scale.
"""
from __future__ import annotations

import re
from typing import Optional

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")

_MICROMETRES_PER = {
    "um": 1.0, "micron": 1.0, "microns": 1.0, "micrometer": 1.0, "micrometre": 1.0, "micrometers": 1.0,
    "micrometres": 1.0,
    "nm": 1e-3, "nanometer": 1e-3, "nanometre": 1e-3, "nanometers": 1e-3, "nanometres": 1e-3,
    "å": 1e-4, "angstrom": 1e-4,
    "mm": 1e3, "millimeter": 1e3, "millimetre": 1e3, "millimeters": 1e3, "millimetres": 1e3,
    "cm": 1e4, "centimeter": 1e4, "centimetre": 1e4,
    "m": 1e6, "meter": 1e6, "metre": 1e6,
}

_SECONDS_PER = {
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "ms": 1e-3, "msec": 1e-3, "millisecond": 1e-3, "milliseconds": 1e-3,
    "us": 1e-6, "microsecond": 1e-6, "microseconds": 1e-6,
    "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
}


def _normalise(unit: str) -> str:
    text = _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), str(unit)).strip().lower()
    return text.replace("\u00b5", "u").replace("\u03bc", "u")  # micro sign and Greek mu


def micrometres_per(unit: Optional[str]) -> Optional[float]:
    """How many micrometres one ``unit`` is (``'\\u00B5m'`` -> 1.0, ``'nm'`` -> 0.001); None if unknown."""
    if unit is None:
        return None
    return _MICROMETRES_PER.get(_normalise(unit))


def seconds_per(unit: Optional[str]) -> Optional[float]:
    """How many seconds one ``unit`` is (``'min'`` -> 60.0); None if unknown."""
    if unit is None:
        return None
    return _SECONDS_PER.get(_normalise(unit))
