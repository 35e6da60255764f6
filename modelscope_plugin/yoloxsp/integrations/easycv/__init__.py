"""EasyCV registrations (evaluators); imported on demand, since importing easycv is slow."""
from .evaluators import PolePointEvaluator

__all__ = ["PolePointEvaluator"]
