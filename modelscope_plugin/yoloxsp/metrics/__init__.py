"""Accuracy measures shared by the evaluators, the CLI and the benchmarks (one implementation each)."""
from .boxes import box_metrics
from .poles import match_points, pole_metrics
from .report import box_scores, evaluate_records, metrics_json, pole_scores, score_detections
from .spindles import spindle_metrics

__all__ = ["box_metrics", "box_scores", "evaluate_records", "match_points", "metrics_json", "pole_metrics",
           "pole_scores", "score_detections", "spindle_metrics"]
