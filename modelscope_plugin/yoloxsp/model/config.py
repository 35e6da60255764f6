"""YOLOX-SP's architecture and inference settings, apart from the network: an ONNX file carries
them too, and ONNX Runtime inference reads them without importing torch."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Dict, Mapping, Optional, Tuple

from ..errors import InputError, PathLike
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

# What every YOLOX-SP model takes and finds: the 3 channels preprocessing always makes (tubulin
# first; one model serves one- and two-colour movies) and one class (spindle; every box label
# is 0). Earlier configs stored these as options that no model could be trained or run with.
INPUT_CHANNELS = 3
NUM_CLASSES = 1
RETIRED_KEYS: Dict[str, int] = {"in_channels": INPUT_CHANNELS, "num_classes": NUM_CLASSES}


def without_retired_keys(values: Mapping, source: Optional[PathLike] = None) -> dict:
    """``values`` less the retired keys, which older configuration.json, weights and ONNX files
    carry: each is accepted with its one valid value, anything else raises naming key and file."""
    for key, valid in RETIRED_KEYS.items():
        if key in values and values[key] != valid:
            raise InputError(f"model.{key} = {values[key]!r} is not supported: every YOLOX-SP model has "
                             f"{key} = {valid}", source)
    return {k: v for k, v in values.items() if k not in RETIRED_KEYS}


@dataclass
class YoloxSpConfig:
    """Architecture and inference settings; stored with the weights and in configuration.json."""

    size: str = "s"
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

    @classmethod
    def from_dict(cls, values: Mapping, source: Optional[PathLike] = None) -> "YoloxSpConfig":
        """The config stored in a weights file, ONNX metadata or configuration.json (``source``,
        named in errors), older files with retired keys included. An unknown key or size raises an
        :class:`InputError` naming it and the file: a model folder's configuration.json is edited
        by hand to change decoding, and a misspelt setting must not pass unnoticed."""
        values = without_retired_keys(values, source)
        _refuse_unknown_keys(values, cls, "model", source)
        if isinstance(values.get("decode"), Mapping):
            _refuse_unknown_keys(values["decode"], DecodeConfig, "model.decode", source)
        try:
            return cls(**values)
        except ValueError as exc:  # an unknown size
            raise InputError(f"model: {exc}", source) from None

    def to_dict(self) -> dict:
        return asdict(self)


def _refuse_unknown_keys(values: Mapping, kind: type, section: str, source: Optional[PathLike]) -> None:
    """Raise an :class:`InputError` naming the first key of ``values`` that is no field of ``kind``."""
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(f"{section}.{unknown[0]} is not a setting (known: {', '.join(sorted(known))})", source)
