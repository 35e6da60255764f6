"""Accuracy measures shared by the evaluators, the CLI and the benchmarks (one implementation each)."""
from .poles import match_points, pole_metrics
from .spindles import spindle_metrics

__all__ = ["match_points", "pole_metrics", "spindle_metrics"]
