"""After detection: drawing overlays (and, later, tracks and spindle lengths)."""
from .overlay import draw_detections

__all__ = ["draw_detections"]
