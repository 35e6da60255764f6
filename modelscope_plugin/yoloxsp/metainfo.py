"""Registry names of everything yoloxsp adds, as extensions of modelscope's metainfo classes.

``from yoloxsp.metainfo import Trainers`` gives ``Trainers.easycv`` back (modelscope removed it
in 1.6; pai-easycv still registers its trainer under that string).
"""
from modelscope.metainfo import CustomDatasets as _CustomDatasets
from modelscope.metainfo import Metrics as _Metrics
from modelscope.metainfo import Models as _Models
from modelscope.metainfo import Pipelines as _Pipelines
from modelscope.metainfo import Trainers as _Trainers


class Models(_Models):
    yoloxsp = "yoloxsp"


class Pipelines(_Pipelines):
    spindle_detection = "yoloxsp-spindle-detection"


class CustomDatasets(_CustomDatasets):
    cvat_spindles = "yoloxsp-cvat-spindles"


class Trainers(_Trainers):
    easycv = "easycv"


class Metrics(_Metrics):
    pole_points = "yoloxsp-pole-points"


class Evaluators:
    """Names in EasyCV's EVALUATORS registry."""

    coco_detection = "CocoDetectionEvaluator"
    pole_points = "PolePointEvaluator"
