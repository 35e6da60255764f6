"""``PolePointEvaluator`` in EasyCV's EVALUATORS: the pole metrics of :mod:`yoloxsp.metrics`.

``prediction_dict['detection_poles']`` and ``groundtruth_dict['groundtruth_poles']`` hold, per
image, pole pairs (N, 2, 2) in pixels (NaN for a missing pole). The pixel size (um/px) comes
from the constructor or from each image's ``img_metas['pixel_size']``; with it, the thresholds
are also applied in micrometres and spindle lengths are scored.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np
from easycv.core.evaluation.base_evaluator import Evaluator
from easycv.core.evaluation.builder import EVALUATORS
from easycv.core.evaluation.metric_registry import METRICS

from ...metrics import pole_metrics, spindle_metrics


@EVALUATORS.register_module
class PolePointEvaluator(Evaluator):
    def __init__(self, dataset_name: Optional[str] = None, metric_names: Sequence[str] = ("pole_F1@2px",),
                 thresholds_px: Sequence[float] = (1.0, 2.0, 3.0), thresholds_um: Sequence[float] = (0.1, 0.2, 0.3),
                 pixel_size: Optional[float] = None, min_length_um: float = 2.0):
        super().__init__(dataset_name, list(metric_names))
        self.thresholds_px, self.thresholds_um = tuple(thresholds_px), tuple(thresholds_um)
        self.pixel_size, self.min_length_um = pixel_size, min_length_um

    def _evaluate_impl(self, prediction_dict: Dict, groundtruth_dict: Dict) -> Dict[str, float]:
        preds = [np.asarray(p, float).reshape(-1, 2, 2) for p in prediction_dict["detection_poles"]]
        truths = [np.asarray(t, float).reshape(-1, 2, 2) for t in groundtruth_dict["groundtruth_poles"]]
        if len(preds) != len(truths):
            raise ValueError(f"{len(preds)} images of predictions but {len(truths)} of ground truth")
        metrics = pole_metrics([p.reshape(-1, 2) for p in preds], [t.reshape(-1, 2) for t in truths],
                               self.thresholds_px)
        pixel_size = self._pixel_size(prediction_dict.get("img_metas"))
        if pixel_size is not None:
            metrics.update(pole_metrics([p.reshape(-1, 2) * pixel_size for p in preds],
                                        [t.reshape(-1, 2) * pixel_size for t in truths],
                                        self.thresholds_um, unit="um"))
        metrics.update(spindle_metrics(preds, truths, pixel_size, min_length_um=self.min_length_um))
        return metrics

    def _pixel_size(self, metas) -> Optional[float]:
        if self.pixel_size is not None:
            return self.pixel_size
        sizes = {m.get("pixel_size") for m in (metas or []) if isinstance(m, dict)}
        sizes.discard(None)
        if len(sizes) > 1:
            raise ValueError(f"images with different pixel sizes {sorted(sizes)}: evaluate them separately")
        return sizes.pop() if sizes else None


METRICS.register_default_best_metric(PolePointEvaluator, "pole_F1@2px", "max")
