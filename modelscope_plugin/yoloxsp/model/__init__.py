"""The YOLOX-SP network in plain PyTorch (no modelscope or easycv needed)."""
from .checkpoint import load_weights, save_weights
from .decode import DecodeConfig, Detections
from .yoloxsp import SIZES, YoloxSp, YoloxSpConfig

__all__ = ["SIZES", "DecodeConfig", "Detections", "YoloxSp", "YoloxSpConfig", "load_weights", "save_weights"]
