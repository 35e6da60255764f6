"""The spindle-detection pipeline in ModelScope's PIPELINES (task image-object-detection).

``pipeline(Tasks.image_object_detection, model=...)`` with a model folder, a hub id or, after
``import yoloxsp``, the bare name ``yoloxsp`` (see :mod:`.bundled_name`). Inputs: a path, a
numpy array (8/16-bit, 1-3 channels), a PIL image, or a list of them. Output per image:
``scores``, ``labels`` (class names), ``boxes`` (x1 y1 x2 y2), ``keypoints`` (N x 2 x 2, the two
poles at the spindle's measured ends, NaN when a pole is missing), ``lengths_px`` (along the tubulin
ridge between the ends; ``length='straight'`` for end to end), ``lengths_um`` (NaN unless
``pixel_size=``, um/px, is given to the pipeline or the call), ``pole_sd_px`` (N x 2, each end's
standard error) and ``poles_from`` (``spb``, ``tubulin`` or ``model``; ``ends='model'`` keeps the
network's poles). ``pole_check=False`` reports every detection of the model, also those that do
not show a spindle's two ends (:mod:`yoloxsp.analysis.evidence`). The pixel size also lets the contrast of a 16-bit frame tell a bright dead cell
from a spindle.

Each image runs through the analysis core (:mod:`yoloxsp.movie`) as a movie of one frame, as
``yoloxsp predict`` runs a single image, so both give the same numbers; a path is opened as
``predict`` opens it (a TIFF's recorded pixel size counts unless one is given).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Union

import numpy as np
from modelscope.outputs import OutputKeys
from modelscope.pipelines.base import Pipeline
from modelscope.pipelines.builder import PIPELINES
from modelscope.utils.constant import Tasks

from ...analysis.inputs import open_input
from ...errors import InputError
from ...metainfo import Pipelines
from ...model.backends import Predictor, TorchBackend
from ...movie import FrameResult, Settings, frame_results

LABEL = "spindle"


def as_source(image: Any) -> Union[Path, np.ndarray]:
    """A path or an ``H x W [x C]`` array from a path, numpy array or PIL image."""
    if isinstance(image, (str, Path)):
        return Path(image)
    if isinstance(image, np.ndarray):
        return image
    if hasattr(image, "mode") and hasattr(image, "size"):  # PIL.Image without importing PIL here
        return np.asarray(image)
    raise InputError(f"cannot read an image from a {type(image).__name__} (give a path, a numpy array or a "
                     "PIL image)")


@PIPELINES.register_module(Tasks.image_object_detection, module_name=Pipelines.spindle_detection)
class SpindleDetectionPipeline(Pipeline):
    """ModelScope's face of the analysis core: the same contrast, detection and measurement as
    ``yoloxsp predict``, run on the model ModelScope loaded."""

    def __init__(self, model, pixel_size: Optional[float] = None, length: str = "ridge", ends: str = "fit",
                 pole_check: bool = True, **kwargs):
        # use_hf=False: the model is ModelScope's own type; otherwise Model.from_pretrained first probes
        # for a Hugging Face model, which imports transformers (a training dependency, not in the core install).
        kwargs.setdefault("use_hf", False)
        super().__init__(model=model, auto_collate=False, **kwargs)
        self.pixel_size, self.settings = pixel_size, Settings(length=length, ends=ends, pole_check=pole_check)
        device = "cuda" if self.device.type == "cuda" else "cpu"
        self.predictor = Predictor(TorchBackend(self.model.model, device))

    def _sanitize_parameters(self, pixel_size: Optional[float] = None, **kwargs):
        per_call = {"pixel_size": pixel_size} if pixel_size is not None else {}
        return {}, per_call, per_call

    def preprocess(self, image, **kwargs) -> Dict[str, Any]:
        return {"source": as_source(image)}

    def forward(self, inputs: Dict[str, Any], pixel_size: Optional[float] = None, **kwargs) -> Dict[str, Any]:
        movie = open_input(inputs["source"], pixel_size=pixel_size if pixel_size is not None else self.pixel_size)
        if movie.n_frames != 1:
            raise InputError(f"the pipeline takes single images; this holds {movie.n_frames} frames (use "
                             "yoloxsp.analyse or yoloxsp predict for a movie)", movie.path)
        [result] = frame_results(movie, self.predictor, self.settings)
        return {"result": result}

    def postprocess(self, inputs: Dict[str, Any], **kwargs) -> Dict[str, Any]:
        result: FrameResult = inputs["result"]
        detections, measured = result.detections, result.measured
        return {OutputKeys.SCORES: detections.scores, OutputKeys.LABELS: [LABEL] * len(detections),
                OutputKeys.BOXES: detections.boxes, OutputKeys.KEYPOINTS: detections.poles,
                "lengths_px": measured.lengths, "lengths_um": result.lengths_um, "pole_sd_px": measured.sd,
                "poles_from": measured.sources}
