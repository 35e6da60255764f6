"""Accuracy measures shared by the evaluators, the CLI and the benchmarks (one implementation each)."""
from .boxes import box_metrics
from .poles import match_points, pole_metrics
from .report import evaluate_records, metrics_json
from .spindles import spindle_metrics

__all__ = ["box_metrics", "evaluate_records", "match_points", "metrics_json", "pole_metrics", "spindle_metrics"]
