"""After detection: tracks, measurements, overlays and plots."""
from .lengths import ridge_length, straight_length
from .measure import DETECTION_COLUMNS, LENGTH_METHODS, TRACK_COLUMNS, detection_rows, spindle_lengths, track_rows
from .overlay import draw_detections
from .tracks import link_tracks, search_range_for

__all__ = ["DETECTION_COLUMNS", "LENGTH_METHODS", "TRACK_COLUMNS", "detection_rows", "draw_detections",
           "link_tracks", "ridge_length", "search_range_for", "spindle_lengths", "straight_length", "track_rows"]
