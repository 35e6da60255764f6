"""Parameters of a synthetic S. pombe time-lapse field (defaults follow ../shared/NOTES.md §3)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class SynthConfig:
    """Everything that decides a generated movie; the same config and seed give the same files.

    Lengths are in micrometres unless the name says px; times in seconds unless it says min.
    """

    width: int = 512
    height: int = 512
    frames: int = 20
    seed: int = 0
    pixel_size: float = 0.1            # um per pixel (spinning disk, 100x: 0.07-0.13; binned ~0.16)
    frame_interval: float = 30.0       # s between frames
    spindles: int = 4                  # mitotic cells (one spindle track each)
    cell_coverage: float = 0.45        # share of the free field covered by cells
    wells: bool = False                # micro-wells like the real frame in ../shared/real/
    well_diameter: float = 10.0
    psf_sigma: Optional[float] = None  # um; None draws 0.15-0.28 (max-projected spinning disk)
    background: float = 100.0          # camera offset + autofluorescence, counts
    spindle_peak: Optional[float] = None  # counts above background; None draws 30-130 per spindle
    noise: float = 1.0                 # scales shot and read noise (1 = sigma ~3 counts at background)
    jpeg_quality: Optional[int] = 80   # MJPEG-like artefacts in the 8-bit frames; None = lossless
    debris: int = 1                    # bright irregular blobs per field (distractors)

    def __post_init__(self):
        problems = []
        if self.width < 32 or self.height < 32:
            problems.append(f"size {self.width}x{self.height} is below 32x32")
        if self.frames < 1:
            problems.append(f"frames must be >= 1 (got {self.frames})")
        if not 0.02 <= self.pixel_size <= 1.0:
            problems.append(f"pixel size {self.pixel_size} um is outside 0.02-1.0")
        if self.frame_interval <= 0:
            problems.append(f"frame interval must be positive (got {self.frame_interval})")
        if self.spindles < 0 or self.debris < 0:
            problems.append("spindles and debris must be >= 0")
        if not 0 <= self.cell_coverage <= 0.9:
            problems.append(f"cell coverage {self.cell_coverage} is outside 0-0.9")
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 100:
            problems.append(f"jpeg quality {self.jpeg_quality} is outside 1-100")
        if self.noise < 0:
            problems.append("noise must be >= 0")
        if problems:
            raise ValueError("invalid synthetic config: " + "; ".join(problems))
