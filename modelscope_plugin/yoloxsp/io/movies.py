"""Open a movie, whatever form it has, and stream its frames one at a time.

Accepted: one image file; a folder of image files (natural order); a multi-page, ImageJ or OME
TIFF (8/16-bit, 1-3 channels; see :mod:`.tiff_stack` for which axis is time); a Nikon ND2, Zeiss
CZI, Leica LIF or DeltaVision DV file (through bioio, see :mod:`.microscope`); a video (AVI, MP4,
... read by OpenCV). Pixel size (um) and frame interval (s) come from the file's metadata when it
has them. Frames are read lazily, so memory stays flat however long the movie is.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Union

import cv2
import numpy as np

from ..errors import InputError, PathLike
from .images import IMAGE_SUFFIXES, read_image
from .microscope import READER_PLUGINS, microscope_frames, open_microscope_file
from .natural import natural_key
from .tiff_stack import open_tiff_stack, tiff_frames

TIFF_SUFFIXES = (".tif", ".tiff")
VIDEO_SUFFIXES = (".avi", ".mp4", ".mov", ".mkv", ".m4v", ".wmv")
MICROSCOPE_SUFFIXES = tuple(READER_PLUGINS)


@dataclass
class Movie:
    """A lazily read movie: iterate :meth:`frames`; metadata may be None when the file has none."""

    path: Path
    kind: str                          # image | folder | tiff | microscope | video
    n_frames: int
    pixel_size: Optional[float] = None     # um per pixel
    frame_interval: Optional[float] = None  # seconds
    _read: Optional[Callable[[], Iterator[np.ndarray]]] = None

    def frames(self, channels: Optional[Sequence[int]] = None) -> Iterator[np.ndarray]:
        """``H x W x C`` arrays, one per time point, as stored (any bit depth). ``channels``: keep
        only these channels, in this order (an :class:`InputError` names a frame that lacks one)."""
        frames = self._read()
        return _select_channels(frames, list(channels), self.path) if channels else frames


def open_movie(path: PathLike, axes: Optional[str] = None, scene: Optional[Union[str, int]] = None) -> Movie:
    """Inspect ``path`` (nothing but metadata is read yet); :class:`InputError` names what is wrong.

    ``axes`` overrides how a TIFF's stored axes are read (letters of TZCYX, one per stored axis,
    e.g. ``TYX``, ``CYX``, ``TCYX``); ``scene`` picks one scene (name or 0-based index) of a vendor
    file that holds several.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError("input not found", path)
    if axes and (path.is_dir() or suffix not in TIFF_SUFFIXES):
        raise InputError("--axes applies to TIFF stacks only (other inputs record their own axes)", path)
    if scene is not None and (path.is_dir() or suffix not in MICROSCOPE_SUFFIXES):
        raise InputError(f"--scene applies to {', '.join(MICROSCOPE_SUFFIXES)} files only", path)
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)
        if not files:
            raise InputError("folder holds no image files (png, jpg, tif, bmp)", path)
        return Movie(path, "folder", len(files), _read=partial(map, read_image, files))
    if suffix in TIFF_SUFFIXES:
        stack = open_tiff_stack(path, axes)
        return Movie(path, "tiff", stack.n_frames, stack.pixel_size, stack.frame_interval,
                     partial(tiff_frames, path, stack))
    if suffix in MICROSCOPE_SUFFIXES:
        info = open_microscope_file(path, scene)
        return Movie(path, "microscope", info.n_frames, info.pixel_size, info.frame_interval,
                     partial(microscope_frames, path, info))
    if suffix in VIDEO_SUFFIXES:
        return _open_video(path)
    if suffix in IMAGE_SUFFIXES:
        return Movie(path, "image", 1, _read=partial(map, read_image, [path]))
    raise InputError(f"unsupported input type {suffix or '(no extension)'} (images, TIFF stacks, ND2, CZI, LIF, "
                     "DV, AVI/MP4 videos)", path)


def _select_channels(frames: Iterator[np.ndarray], channels: List[int], path: Path) -> Iterator[np.ndarray]:
    for t, frame in enumerate(frames):
        if max(channels) >= frame.shape[2]:
            raise InputError(f"channels {channels} were asked for, but the frame has {frame.shape[2]} channel(s)",
                             path, frame=t)
        yield frame[..., channels]


# ---------------------------------------------------------------------------------------- video
def _open_video(path: Path) -> Movie:
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise InputError("cannot open video (unsupported codec or not a video)", path)
        n_frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        ok, _ = capture.read()
    finally:
        capture.release()
    if not ok or n_frames <= 0:
        raise InputError("video holds zero readable frames", path)
    return Movie(path, "video", n_frames, _read=partial(_video_frames, path))


def _video_frames(path: Path) -> Iterator[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            yield frame[..., ::-1].copy()  # BGR -> RGB
            index += 1
    finally:
        capture.release()
    if index == 0:
        raise InputError("video holds zero readable frames", path)
