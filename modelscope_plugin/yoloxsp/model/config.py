"""YOLOX-SP's architecture and inference settings, apart from the network: an ONNX file carries
them too, and ONNX Runtime inference reads them without importing torch."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Dict, Optional, Tuple

from .decode import DecodeConfig

# Where an exported ONNX file stores its YoloxSpConfig (JSON in the model's metadata).
METADATA_KEY = "yoloxsp_config"

# (depth, width, depthwise) of the standard YOLOX sizes.
SIZES: Dict[str, Tuple[float, float, bool]] = {
    "nano": (0.33, 0.25, True),
    "tiny": (0.33, 0.375, False),
    "s": (0.33, 0.50, False),
    "m": (0.67, 0.75, False),
}


@dataclass
class YoloxSpConfig:
    """Architecture and inference settings; stored with the weights and in configuration.json."""

    size: str = "s"
    num_classes: int = 1
    in_channels: int = 3
    pole_stride: int = 4
    loss_balance: str = "uncertainty"
    pole_weight: float = 1.0
    input_size: Optional[int] = None     # None: native resolution padded to a multiple of 32
    decode: DecodeConfig = field(default_factory=DecodeConfig)

    def __post_init__(self):
        if isinstance(self.decode, dict):
            self.decode = DecodeConfig(**self.decode)
        if self.size not in SIZES:
            raise ValueError(f"unknown model size {self.size!r}; choose one of {sorted(SIZES)}")
        if self.in_channels not in (1, 2, 3):
            raise ValueError(f"in_channels must be 1, 2 or 3, got {self.in_channels}")

    def to_dict(self) -> dict:
        return asdict(self)
