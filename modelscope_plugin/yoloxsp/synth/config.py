"""Parameters of a synthetic S. pombe time-lapse field (defaults follow the real upstream frames,
their annotations and published spindle kinetics).

Every knob is also a ``yoloxsp synth`` option; :mod:`.looks` draws them within the ranges of
named real microscope set-ups for training.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

from ..errors import InputError

CHANNEL_MODES = ("two-colour", "tubulin-only", "spb-on-microtubules")
CHANNEL_NAMES = ("tubulin", "spb")
EXPORTS = ("avi8", "raw16")


@dataclass(frozen=True)
class SynthConfig:
    """Everything that decides a generated movie; the same config and seed give the same files.

    Lengths are in micrometres unless the name says px; times in seconds unless it says min;
    brightnesses in camera counts above background unless said otherwise.
    """

    width: int = 512
    height: int = 512
    frames: int = 20
    seed: int = 0
    pixel_size: float = 0.1            # um per pixel (spinning disk, 100x: 0.06-0.13; binned ~0.16-0.2)
    frame_interval: float = 30.0       # s between frames
    spindles: int = 4                  # mitotic cells (one spindle track each)
    cell_coverage: float = 0.45        # share of the free field covered by cells
    overlap: bool = False              # cells may lie on top of each other (lawns without wells)
    wells: bool = False                # micro-wells like those of the real upstream frames
    well_diameter: float = 10.0
    psf_sigma: Optional[float] = None  # um; None draws 0.15-0.28 (max-projected spinning disk)
    z_blur: float = 0.0                # share of the signal spread into an out-of-focus halo (z max-projection)
    background: float = 100.0          # tubulin camera offset + autofluorescence, counts
    spb_background: float = 100.0      # the same for the SPB channel
    spindle_peak: Optional[float] = None  # counts above background of a short spindle; None draws 30-130
    length_dimming: float = 1.5        # spindle peak ~ (onset length / length)^this beyond 1.5x the plateau length
    max_bend: float = 0.07             # largest sagitta / chord of a long spindle
    hooks: float = 0.0                 # share of long spindles that curl into a hook at one end
    blurred_tips: bool = False         # spindle tips as a PSF blurs a bundle that stops at the SPBs (half
                                       # level at the poles); else a round cap brightest at the poles
    unevenness: float = 0.0            # brightness along a spindle varies up to this (needs blurred_tips)
    noise: float = 1.0                 # scales shot and read noise (1 = sigma ~3 counts at background)
    channel_mode: str = "two-colour"   # see CHANNEL_MODES
    channels: Tuple[str, ...] = CHANNEL_NAMES  # channel order in stack.tif (and in the raw16 image)
    crosstalk: float = 0.0             # share of each channel's signal that bleeds into the other
    autofluorescence: float = 0.05     # cytoplasm glow, share of the spindle brightness (tubulin channel)
    green_glow: float = 0.0            # diffuse SPB-channel background glow, share of the spindle brightness
    bright_bundles: float = 0.0        # share of interphase cells with a bright straight bundle (hard negative)
    mimics: float = 0.0                # share of interphase cells with a spindle look-alike: a bundle as bright
                                       # as a spindle with an SPB dot at one end, a pole-less bar, a crossing pair
    breakdowns: int = 0                # extra cells caught after spindle breakdown: two poles, no bar
    dead_cells: int = 0                # bright round red+green blobs, 1-2 um wide
    dead_cell_brightness: float = 1.0  # scales dead cells' peaks (drawn 0.5-2.5x the spindles')
    dead_cell_size: float = 1.0        # scales dead cells' width (drawn 1-2 um)
    debris: int = 1                    # bright irregular blobs per field (distractors)
    export: str = "avi8"               # avi8: 8-bit RGB with fixed display contrast; raw16: the 16-bit stack
    display_background: Tuple[float, float] = (18.0, 5.0)  # avi8: 8-bit level of the background (red, green)
    jpeg_quality: Optional[int] = 80   # avi8: MJPEG-like artefacts in the 8-bit frames; None = lossless

    @property
    def tubulin_first(self) -> Tuple[int, ...]:
        """The stack's channel indices, tubulin first: what a user passes as ``--channels``."""
        return tuple(sorted(range(len(self.channels)), key=lambda c: self.channels[c] != "tubulin"))

    def __post_init__(self):
        problems = []
        if self.width < 32 or self.height < 32:
            problems.append(f"size {self.width}x{self.height} is below 32x32")
        if self.frames < 1:
            problems.append(f"frames must be >= 1 (got {self.frames})")
        if self.psf_sigma is not None and self.psf_sigma <= 0:
            problems.append(f"PSF sigma must be positive (got {self.psf_sigma} um)")
        if not 0.02 <= self.pixel_size <= 1.0:
            problems.append(f"pixel size {self.pixel_size} um is outside 0.02-1.0")
        if self.frame_interval <= 0:
            problems.append(f"frame interval must be positive (got {self.frame_interval})")
        if min(self.spindles, self.debris, self.breakdowns, self.dead_cells) < 0:
            problems.append("spindles, breakdowns, dead cells and debris must be >= 0")
        if not 0 <= self.cell_coverage <= 0.9:
            problems.append(f"cell coverage {self.cell_coverage} is outside 0-0.9")
        for name in ("z_blur", "hooks", "bright_bundles", "mimics", "crosstalk", "unevenness"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name.replace('_', ' ')} {getattr(self, name)} is outside 0-1")
        for name in ("dead_cell_brightness", "dead_cell_size"):
            if not 0 < getattr(self, name) < math.inf:
                problems.append(f"{name.replace('_', ' ')} must be > 0 (got {getattr(self, name)})")
        for name in ("noise", "autofluorescence", "green_glow", "length_dimming", "max_bend"):
            if getattr(self, name) < 0:
                problems.append(f"{name.replace('_', ' ')} must be >= 0 (got {getattr(self, name)})")
        if min(self.background, self.spb_background) < 0:
            problems.append("backgrounds must be >= 0")
        if self.channel_mode not in CHANNEL_MODES:
            problems.append(f"channel mode {self.channel_mode!r} is not one of {', '.join(CHANNEL_MODES)}")
        wanted = {"tubulin"} if self.channel_mode == "tubulin-only" else set(CHANNEL_NAMES)
        if len(self.channels) != len(set(self.channels)) or set(self.channels) != wanted:
            problems.append(f"channels {','.join(self.channels)} must be an order of {','.join(sorted(wanted))} "
                            f"for channel mode {self.channel_mode}")
        if self.export not in EXPORTS:
            problems.append(f"export {self.export!r} is not one of {', '.join(EXPORTS)}")
        if self.export == "raw16" and self.jpeg_quality is not None:
            problems.append("JPEG compression applies to the avi8 export only")
        if len(self.display_background) != 2 or not all(0 <= v < 255 for v in self.display_background):
            problems.append(f"display background {self.display_background} must be two 8-bit levels below 255")
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 100:
            problems.append(f"jpeg quality {self.jpeg_quality} is outside 1-100")
        if self.unevenness and not self.blurred_tips:
            problems.append("unevenness along a spindle is drawn with blurred tips only")
        if problems:
            raise InputError("invalid synthetic config: " + "; ".join(problems))
