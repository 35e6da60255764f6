"""The spindle-detection pipeline in ModelScope's PIPELINES (task image-object-detection).

``pipeline(Tasks.image_object_detection, model=...)`` with a model folder, a hub id or, after
``import yoloxsp``, the bare name ``yoloxsp`` (see :mod:`.bundled_name`). Inputs: a path, a
numpy array (8/16-bit, 1-3 channels), a PIL image, or a list of them. Output per image:
``scores``, ``labels`` (class names), ``boxes`` (x1 y1 x2 y2), ``keypoints`` (N x 2 x 2, the two
poles, NaN when a pole is missing), ``lengths_px`` (along the tubulin ridge between the poles;
``length='straight'`` for pole-to-pole) and, with
``pixel_size=`` (um/px) given to the pipeline or the call, ``lengths_um``; the pixel size also
lets the contrast of a 16-bit frame tell a bright dead cell from a spindle.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np
from modelscope.outputs import OutputKeys
from modelscope.pipelines.base import Pipeline
from modelscope.pipelines.builder import PIPELINES
from modelscope.utils.constant import Tasks

from ...errors import InputError
from ...io import read_image
from ...metainfo import Pipelines
from ...model.backends import Predictor, TorchBackend
from ...post.measure import spindle_lengths

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
    def __init__(self, model, pixel_size: Optional[float] = None, length: str = "ridge", **kwargs):
        # use_hf=False: the model is ModelScope's own type; otherwise Model.from_pretrained first probes
        # for a Hugging Face model, which imports transformers (a training dependency, not in the core install).
        kwargs.setdefault("use_hf", False)
        super().__init__(model=model, auto_collate=False, **kwargs)
        self.pixel_size, self.length = pixel_size, length
        device = "cuda" if self.device.type == "cuda" else "cpu"
        self.predictor = Predictor(TorchBackend(self.model.model, device))

    def _sanitize_parameters(self, pixel_size: Optional[float] = None, **kwargs):
        per_call = {"pixel_size": pixel_size} if pixel_size is not None else {}
        return {}, per_call, per_call

    def preprocess(self, image, **kwargs) -> Dict[str, Any]:
        return {"frame": as_frame(image)}

    def forward(self, inputs: Dict[str, Any], pixel_size: Optional[float] = None, **kwargs) -> Dict[str, Any]:
        pixel_size = pixel_size if pixel_size is not None else self.pixel_size
        detections = self.predictor([inputs["frame"]], pixel_size)[0]
        return {"detections": detections, "lengths": spindle_lengths(inputs["frame"], detections, self.length)}

    def postprocess(self, inputs: Dict[str, Any], pixel_size: Optional[float] = None, **kwargs) -> Dict[str, Any]:
        detections = inputs["detections"]
        lengths = inputs["lengths"]
        outputs = {OutputKeys.SCORES: detections.scores, OutputKeys.LABELS: [LABEL] * len(detections),
                   OutputKeys.BOXES: detections.boxes, OutputKeys.KEYPOINTS: detections.poles,
                   "lengths_px": lengths}
        pixel_size = pixel_size if pixel_size is not None else self.pixel_size
        if pixel_size is not None:
            outputs["lengths_um"] = lengths * pixel_size
        return outputs
