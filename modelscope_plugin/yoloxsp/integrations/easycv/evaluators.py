"""yoloxsp's two evaluators in EasyCV's EVALUATORS: ``SpindleBoxEvaluator`` (COCO box AP, by
pycocotools) and ``PolePointEvaluator`` (pole and spindle-length metrics).

Both score through :mod:`yoloxsp.metrics.report` (:func:`box_scores`, :func:`pole_scores`), the
functions ``yoloxsp eval`` and the model card use, so the trainer reports the same figures under
the same names. ``groundtruth_dict`` holds the frames' ``records`` and per-frame ``pixel_sizes``
(um/px, None when unknown); predictions are per frame ``detection_boxes`` (N, 4),
``detection_scores`` (N,) and ``detection_poles`` (N, 2, 2), in the frame's pixels.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

from easycv.core.evaluation.base_evaluator import Evaluator
from easycv.core.evaluation.builder import EVALUATORS
from easycv.core.evaluation.metric_registry import METRICS

from ...metrics import box_scores, pole_scores


def _checked(prediction_dict: Dict, groundtruth_dict: Dict, key: str) -> list:
    predictions, records = prediction_dict[key], groundtruth_dict["records"]
    if len(predictions) != len(records):
        raise ValueError(f"{len(predictions)} images of predictions but {len(records)} of ground truth")
    return predictions


@EVALUATORS.register_module
class SpindleBoxEvaluator(Evaluator):
    def __init__(self, dataset_name: Optional[str] = None, metric_names: Sequence[str] = ("bbox_AP",)):
        super().__init__(dataset_name, list(metric_names))

    def _evaluate_impl(self, prediction_dict: Dict, groundtruth_dict: Dict) -> Dict[str, float]:
        boxes = _checked(prediction_dict, groundtruth_dict, "detection_boxes")
        return box_scores(boxes, prediction_dict["detection_scores"], groundtruth_dict["records"])


@EVALUATORS.register_module
class PolePointEvaluator(Evaluator):
    """``pixel_size`` (um/px) overrides the frames' own pixel sizes."""

    def __init__(self, dataset_name: Optional[str] = None, metric_names: Sequence[str] = ("pole_F1@2px",),
                 pixel_size: Optional[float] = None):
        super().__init__(dataset_name, list(metric_names))
        self.pixel_size = pixel_size

    def _evaluate_impl(self, prediction_dict: Dict, groundtruth_dict: Dict) -> Dict[str, float]:
        poles = _checked(prediction_dict, groundtruth_dict, "detection_poles")
        sizes = self.pixel_size if self.pixel_size is not None else groundtruth_dict.get("pixel_sizes")
        return pole_scores(poles, groundtruth_dict["records"], sizes)


METRICS.register_default_best_metric(SpindleBoxEvaluator, "bbox_AP", "max")
METRICS.register_default_best_metric(PolePointEvaluator, "pole_F1@2px", "max")
