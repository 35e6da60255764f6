"""Open a movie, whatever form it has, and stream its frames one at a time.

Accepted: one image file; a folder of image files (natural order); a multi-page, ImageJ or OME
TIFF (8/16-bit, 1-3 channels; time may be any of T, Z or pages); a video (AVI, MP4, ... read by
OpenCV). Pixel size (um) and frame interval (s) come from ImageJ/OME metadata when present.
Frames are read lazily, so memory stays flat however long the movie is.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional

import cv2
import numpy as np
import tifffile

from ..errors import InputError, PathLike
from .images import IMAGE_SUFFIXES, read_image

TIFF_SUFFIXES = (".tif", ".tiff")
VIDEO_SUFFIXES = (".avi", ".mp4", ".mov", ".mkv", ".m4v", ".wmv")
MICRON_UNITS = {"um", "µm", "\\u00B5m", "micron", "microns", "micrometer", "micrometre"}


@dataclass
class Movie:
    """A lazily read movie: iterate :meth:`frames`; metadata may be None when the file has none."""

    path: Path
    kind: str                          # image | folder | tiff | video
    n_frames: int
    pixel_size: Optional[float] = None     # um per pixel
    frame_interval: Optional[float] = None  # seconds
    _files: Optional[List[Path]] = None

    def frames(self) -> Iterator[np.ndarray]:
        """``H x W x C`` arrays, one per time point."""
        if self.kind in ("image", "folder"):
            for file in self._files:
                yield read_image(file)
        elif self.kind == "tiff":
            yield from _tiff_frames(self.path)
        else:
            yield from _video_frames(self.path)


def open_movie(path: PathLike) -> Movie:
    """Inspect ``path`` (nothing but metadata is read yet); :class:`InputError` names what is wrong."""
    path = Path(path)
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=_natural)
        if not files:
            raise InputError("folder holds no image files (png, jpg, tif, bmp)", path)
        return Movie(path, "folder", len(files), _files=files)
    if not path.is_file():
        raise InputError("input not found", path)
    suffix = path.suffix.lower()
    if suffix in TIFF_SUFFIXES:
        return _open_tiff(path)
    if suffix in VIDEO_SUFFIXES:
        return _open_video(path)
    if suffix in IMAGE_SUFFIXES:
        return Movie(path, "image", 1, _files=[path])
    raise InputError(f"unsupported input type {suffix or '(no extension)'} (images, TIFF stacks, AVI/MP4 videos)",
                     path)


def _natural(path: Path):
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


# ---------------------------------------------------------------------------------------- TIFF
def _frame_axes(axes: str) -> str:
    """Which axis of a TIFF series is time: T, else Z (max-projection stacks saved as Z), else the
    first non-image axis; '' for a single frame."""
    other = [a for a in axes if a not in "YXCS"]
    for name in ("T", "Z"):
        if name in other:
            return name
    return other[0] if other else ""


def _open_tiff(path: Path) -> Movie:
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            axes, shape = series.axes, series.shape
            time_axis = _frame_axes(axes)
            n_frames = shape[axes.index(time_axis)] if time_axis else 1
            pixel_size, interval = _tiff_calibration(tif)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read TIFF (truncated or not a TIFF): {exc}", path) from None
    if n_frames == 0 or 0 in shape:
        raise InputError("TIFF holds zero frames", path)
    channels = shape[axes.index("C")] if "C" in axes else (shape[axes.index("S")] if "S" in axes else 1)
    if channels > 3:
        raise InputError(f"TIFF has {channels} channels; yoloxsp reads 1-3 (tubulin, SPB, ...)", path)
    return Movie(path, "tiff", n_frames, pixel_size, interval)


def _tiff_calibration(tif: tifffile.TiffFile):
    """(um per pixel, seconds per frame) from ImageJ or OME metadata; None where absent."""
    pixel_size = interval = None
    if tif.is_ome and tif.ome_metadata:
        root = ElementTree.fromstring(tif.ome_metadata)
        pixels = next((e for e in root.iter() if e.tag.endswith("Pixels")), None)
        if pixels is not None:
            if pixels.get("PhysicalSizeX") and pixels.get("PhysicalSizeXUnit", "µm") in MICRON_UNITS:
                pixel_size = float(pixels.get("PhysicalSizeX"))
            if pixels.get("TimeIncrement") and pixels.get("TimeIncrementUnit", "s") == "s":
                interval = float(pixels.get("TimeIncrement"))
    elif tif.is_imagej:
        meta = tif.imagej_metadata or {}
        tag = tif.pages[0].tags.get("XResolution")
        if tag and str(meta.get("unit", "")).lower() in MICRON_UNITS:
            numerator, denominator = tag.value
            pixel_size = denominator / numerator if numerator else None
        interval = float(meta["finterval"]) if meta.get("finterval") else None
    return pixel_size, interval


def _tiff_frames(path: Path) -> Iterator[np.ndarray]:
    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        axes = series.axes
        time_axis = _frame_axes(axes)
        pages_per_frame = int(np.prod([series.shape[i] for i, a in enumerate(axes) if a not in "YXS" + time_axis]))
        pages = series.pages
        n_frames = series.shape[axes.index(time_axis)] if time_axis else 1
        for t in range(n_frames):
            try:
                planes = [pages[t * pages_per_frame + k].asarray() for k in range(pages_per_frame)]
            except Exception as exc:
                raise InputError(f"frame {t}: cannot read (truncated file?): {exc}", path) from None
            frame = planes[0] if len(planes) == 1 else np.stack(planes, axis=-1)
            if frame.ndim == 2:
                frame = frame[..., None]
            yield np.ascontiguousarray(frame)


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
    return Movie(path, "video", n_frames)


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
