"""Where a movie's frames and its numbers come from, decided in one place for every entry point
(``yoloxsp.analyse``, ``predict``, ``batch``, the ModelScope pipeline, the demo, ``eval``).

Pixel size and frame interval: a value given for this movie (an argument, an option, a manifest
row) beats the file's metadata, which beats a fallback given for many movies at once (``batch
--pixel-size``); none of them leaves the quantity unknown. Channels: the ones asked for, in that
order (tubulin first, then SPB), else the file's own. Contrast: every frame becomes the model's
8-bit RGB once (:func:`yoloxsp.io.to_rgb8`), with the decided pixel size, which lets the contrast
of a 16-bit frame tell a bright dead cell from a spindle.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import InputError, PathLike
from ..io import Movie, open_movie, to_rgb8

GIVEN, METADATA, FALLBACK, UNKNOWN = "given", "metadata", "fallback", "none"


def check_positive(value: Optional[float], name: str) -> None:
    """A pixel size or frame interval must be positive when given: zero or less is a typo, never a
    calibration."""
    if value is not None and value <= 0:
        raise InputError(f"{name} must be positive (got {value})")


def decide(given: Optional[float], recorded: Optional[float], fallback: Optional[float] = None
           ) -> Tuple[Optional[float], str]:
    """A pixel size or frame interval and where it came from (:data:`GIVEN`, :data:`METADATA`,
    :data:`FALLBACK` or :data:`UNKNOWN`): what a user gives for this movie is meant, the metadata
    is the microscope's word, and a fallback is for files that say nothing."""
    for value, source in ((given, GIVEN), (recorded, METADATA), (fallback, FALLBACK)):
        if value:
            return value, source
    return None, UNKNOWN


@dataclass(frozen=True)
class MovieInput:
    """A movie opened for analysis, with everything decided about it: iterate :meth:`raw_frames`
    (in order, channels selected) and turn each into the model's input with :meth:`prepare`
    (thread-safe, so frames can be prepared side by side)."""

    movie: Movie
    pixel_size: Optional[float]
    pixel_size_from: str
    frame_interval: Optional[float]
    frame_interval_from: str
    channels: Optional[Tuple[int, ...]] = None

    @property
    def path(self) -> Optional[Path]:
        """The file or folder read (None for an array)."""
        return self.movie.path

    @property
    def n_frames(self) -> int:
        return self.movie.n_frames

    def raw_frames(self) -> Iterator[np.ndarray]:
        """The frames as stored (any bit depth), with the chosen channels in their order."""
        return self.movie.frames(self.channels)

    def prepare(self, index: int, frame: np.ndarray) -> np.ndarray:
        """Frame ``index`` as the model sees it (8-bit RGB, contrast set with the decided pixel size);
        an unusable frame is named by its index and file."""
        try:
            return to_rgb8(frame, self.pixel_size)
        except InputError as exc:
            raise InputError(f"frame {index}: {exc}", self.path) from None


Source = Union[PathLike, np.ndarray, MovieInput]


def open_input(source: Source, *, pixel_size: Optional[float] = None, frame_interval: Optional[float] = None,
               fallback_pixel_size: Optional[float] = None, fallback_frame_interval: Optional[float] = None,
               channels: Optional[Sequence[int]] = None, axes: Optional[str] = None,
               scene: Optional[Union[str, int]] = None) -> MovieInput:
    """``source`` opened, its numbers decided (see the module's docstring). ``source``: a path
    (anything :func:`yoloxsp.io.open_movie` reads; ``axes`` and ``scene`` say how), an image array
    (``H x W`` or ``H x W x C``: one frame; ``T x H x W x C``: a movie), or an input already
    opened, returned as it is."""
    if isinstance(source, MovieInput):
        return source
    for value, name in ((pixel_size, "pixel size"), (frame_interval, "frame interval"),
                        (fallback_pixel_size, "fallback pixel size"),
                        (fallback_frame_interval, "fallback frame interval")):
        check_positive(value, name)
    movie = _array_movie(source) if isinstance(source, np.ndarray) else open_movie(source, axes=axes, scene=scene)
    size, size_from = decide(pixel_size, movie.pixel_size, fallback_pixel_size)
    interval, interval_from = decide(frame_interval, movie.frame_interval, fallback_frame_interval)
    return MovieInput(movie, size, size_from, interval, interval_from, tuple(channels) if channels else None)


def _array_movie(array: np.ndarray) -> Movie:
    """An image array as a movie of one frame, or a ``T x H x W x C`` array as a movie of T; no metadata."""
    if array.ndim not in (2, 3, 4):
        raise InputError(f"expected an H x W [x C] image or a T x H x W x C movie, got shape {array.shape}")
    frames = list(array) if array.ndim == 4 else [array]
    frames = [frame if frame.ndim == 3 else frame[..., None] for frame in frames]
    return Movie(None, "array", len(frames), _read=lambda: iter(frames))
