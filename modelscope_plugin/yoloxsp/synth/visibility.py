"""How far an annotated spindle stands above the camera noise in a raw synthetic stack.

The generator knows every spindle exactly, including those dimmed below anything a person could
see in one frame. A look that annotates such spindles teaches a model to report noise, and a
score counted over them says nothing about a real movie, whose annotators marked only what they
saw. These functions measure, per annotated spindle, its brightest level across the spindle above
the frame's background in units of the frame's noise sigma, on the tubulin channel's raw counts.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np

from .config import SynthConfig
from .movie import SynthFrame

Point = Tuple[float, float]

# The level is a maximum over a few dozen pixels, so noise alone reads about 2 sigma: a spindle
# under 4 carries a true signal of about 2.5 sigma or less (the real tubulin-only movie's long
# spindles stand ~7 sigma above background).
FAINT_SNR = 4.0


def spindle_level(channel: np.ndarray, poles: Sequence[Point], length_px: float) -> float:
    """Brightest pixel across the spindle at 35/50/65% of the pole-to-pole chord, their median
    (bends and hooks stay within the search half-width)."""
    (x1, y1), (x2, y2) = poles
    axis = np.array([x2 - x1, y2 - y1])
    norm = max(float(np.hypot(*axis)), 1e-6)
    normal = np.array([-axis[1], axis[0]]) / norm
    reach = 2.0 + 0.15 * length_px
    values = []
    for t in (0.35, 0.5, 0.65):
        centre = np.array([x1, y1]) + t * axis
        samples = [centre + k * normal for k in np.arange(-reach, reach + 0.5, 0.5)]
        pixels = [channel[int(y), int(x)] for x, y in samples
                  if 0 <= int(x) < channel.shape[1] and 0 <= int(y) < channel.shape[0]]
        if pixels:
            values.append(max(pixels))
    return float(np.median(values)) if values else float("nan")


def noise_sigma(channel: np.ndarray) -> float:
    """Robust sigma from horizontal neighbour differences (structure adds little to their MAD)."""
    diff = np.diff(channel.astype(np.float64), axis=1).ravel()
    return float(1.4826 * np.median(np.abs(diff - np.median(diff))) / np.sqrt(2))


def spindle_snrs(frame: SynthFrame, config: SynthConfig) -> List[float]:
    """Per annotated spindle of a raw-export frame (in ``frame.truth`` order): its level above the
    frame's median tubulin count, in noise sigmas (NaN for a spindle with no pixel in the frame)."""
    if config.export != "raw16":
        raise ValueError(f"noise sigmas are measured on raw counts; this movie's export is {config.export!r}")
    tubulin = frame.counts[config.channels.index("tubulin")].astype(np.float64)
    background, sigma = float(np.median(tubulin)), noise_sigma(tubulin)
    return [(spindle_level(tubulin, row.spindle.poles, row.length_um / config.pixel_size) - background) / sigma
            for row in frame.truth]

