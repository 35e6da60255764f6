"""After detection: tracks, measurements, overlays and plots."""
from .measure import DETECTION_COLUMNS, TRACK_COLUMNS, detection_rows, straight_lengths, track_rows
from .overlay import draw_detections
from .tracks import link_tracks, search_range_for

__all__ = ["DETECTION_COLUMNS", "TRACK_COLUMNS", "detection_rows", "draw_detections", "link_tracks",
           "search_range_for", "straight_lengths", "track_rows"]
