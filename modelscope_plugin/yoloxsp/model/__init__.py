"""The YOLOX-SP network in plain PyTorch (no modelscope or easycv needed).

The names below are loaded on first use (PEP 562), so that importing a submodule that needs no
torch (``yoloxsp.model.resolve``, the ONNX Runtime backend) does not pay for torch's import.
"""
import importlib

_SOURCES = {"load_weights": "checkpoint", "save_weights": "checkpoint", "DecodeConfig": "decode",
            "Detections": "decode", "SIZES": "config", "YoloxSp": "yoloxsp", "YoloxSpConfig": "config"}

__all__ = sorted(_SOURCES)


def __getattr__(name: str):
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_SOURCES[name]}", __name__), name)
    globals()[name] = value
    return value
