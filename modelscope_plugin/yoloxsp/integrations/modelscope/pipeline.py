"""The spindle-detection pipeline in ModelScope's PIPELINES (task image-object-detection).

``pipeline(Tasks.image_object_detection, model=...)`` with a model folder, a hub id or, after
``import yoloxsp``, the bare name ``yoloxsp`` (see :mod:`.bundled_name`). Inputs: a path, a
numpy array (8/16-bit, 1-3 channels), a PIL image, or a list of them. Output per image:
``scores``, ``labels`` (class names), ``boxes`` (x1 y1 x2 y2), ``keypoints`` (N x 2 x 2, the two
poles at the spindle's measured ends, NaN when a pole is missing), ``lengths_px`` (along the tubulin
ridge between the ends; ``length='straight'`` for end to end), ``lengths_um`` (NaN unless
``pixel_size=``, um/px, is given to the pipeline or the call), ``pole_sd_px`` (N x 2, each end's
standard error) and ``poles_from`` (``spb``, ``tubulin`` or ``model``; ``ends='model'`` keeps the
network's poles). The pixel size also lets the contrast of a 16-bit frame tell a bright dead cell
from a spindle.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np
from modelscope.outputs import OutputKeys
from modelscope.pipelines.base import Pipeline
from modelscope.pipelines.builder import PIPELINES
from modelscope.utils.constant import Tasks

from ...api import SpindleDetector
from ...errors import InputError
from ...io import read_image
from ...metainfo import Pipelines
from ...model.backends import Predictor, TorchBackend

LABEL = "spindle"


def as_frame(image: Any) -> np.ndarray:
    """A path, numpy array or PIL image as an ``H x W [x C]`` array."""
    if isinstance(image, (str, Path)):
        return read_image(image)
    if isinstance(image, np.ndarray):
        return image
    if hasattr(image, "mode") and hasattr(image, "size"):  # PIL.Image without importing PIL here
        return np.asarray(image)
    raise InputError(f"cannot read an image from a {type(image).__name__} (give a path, a numpy array or a "
                     "PIL image)")


@PIPELINES.register_module(Tasks.image_object_detection, module_name=Pipelines.spindle_detection)
class SpindleDetectionPipeline(Pipeline):
    """ModelScope's face of :class:`yoloxsp.api.SpindleDetector`: the same contrast, detection and
    measurement as ``yoloxsp predict``, run on the model ModelScope loaded."""

    def __init__(self, model, pixel_size: Optional[float] = None, length: str = "ridge", ends: str = "fit",
                 **kwargs):
        # use_hf=False: the model is ModelScope's own type; otherwise Model.from_pretrained first probes
        # for a Hugging Face model, which imports transformers (a training dependency, not in the core install).
        kwargs.setdefault("use_hf", False)
        super().__init__(model=model, auto_collate=False, **kwargs)
        self.pixel_size = pixel_size
        device = "cuda" if self.device.type == "cuda" else "cpu"
        self.detector = SpindleDetector(Predictor(TorchBackend(self.model.model, device)), length, ends)

    def _sanitize_parameters(self, pixel_size: Optional[float] = None, **kwargs):
        per_call = {"pixel_size": pixel_size} if pixel_size is not None else {}
        return {}, per_call, per_call

    def preprocess(self, image, **kwargs) -> Dict[str, Any]:
        return {"frame": as_frame(image)}

    def forward(self, inputs: Dict[str, Any], pixel_size: Optional[float] = None, **kwargs) -> Dict[str, Any]:
        pixel_size = pixel_size if pixel_size is not None else self.pixel_size
        [result] = self.detector(inputs["frame"], pixel_size)
        return {"result": result}

    def postprocess(self, inputs: Dict[str, Any], **kwargs) -> Dict[str, Any]:
        result = inputs["result"]
        detections, measured = result.detections, result.measured
        lengths_um = measured.lengths * result.pixel_size if result.pixel_size else np.full(len(detections), np.nan)
        return {OutputKeys.SCORES: detections.scores, OutputKeys.LABELS: [LABEL] * len(detections),
                OutputKeys.BOXES: detections.boxes, OutputKeys.KEYPOINTS: detections.poles,
                "lengths_px": measured.lengths, "lengths_um": lengths_um, "pole_sd_px": measured.sd,
                "poles_from": measured.sources}
