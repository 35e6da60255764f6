"""Moving a frame between ``H x W x C`` (how frames are passed around) and one plane per channel
(how files store them and how each channel is measured). OpenCV copies between the two layouts an
order of magnitude faster than numpy's strided copies, which cost a movie's frames a share of
their reading and preparing time; numpy does it for the types OpenCV does not hold."""
from __future__ import annotations

from typing import List, Sequence

import cv2
import numpy as np

_OPENCV_MAX_CHANNELS = 512  # CV_CN_MAX
# numpy types that OpenCV holds as matrix elements
_OPENCV_TYPES = {np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)}


def split_channels(image: np.ndarray) -> List[np.ndarray]:
    """The channels of an ``H x W x C`` frame as contiguous ``H x W`` planes."""
    if image.dtype in _OPENCV_TYPES and 1 < image.shape[2] <= _OPENCV_MAX_CHANNELS:
        return list(cv2.split(image))
    return [np.ascontiguousarray(image[..., c]) for c in range(image.shape[2])]


def merge_channels(planes: Sequence[np.ndarray]) -> np.ndarray:
    """Equal-shaped ``H x W`` planes of one type as an ``H x W x C`` frame (a copy)."""
    if planes[0].dtype in _OPENCV_TYPES and 1 < len(planes) <= _OPENCV_MAX_CHANNELS:
        return cv2.merge([np.ascontiguousarray(plane) for plane in planes])
    return np.stack(planes, axis=-1)
