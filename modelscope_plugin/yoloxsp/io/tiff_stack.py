"""TIFF stacks: which stored axis is time and which are channels, calibration, and one frame at a time.

Axes follow the file's metadata (ImageJ/Fiji, OME, tifffile's own ``axes``) the way Fiji reads
them: T is time; Z is time when the stack has no T (max-projection stacks are often saved as
slices) and is max-projected when it has one; C, and colour samples stored interleaved in each
pixel, are channels. Everything else -- plain pages without metadata, and the separate sample
planes that tifffile writes for a bare ``(3, H, W)`` or ``(4, H, W)`` array -- is a sequence of
frames of one channel, because nothing in such a file says the planes are colours. Where that
would make frames of more than one stored axis (tifffile's ``QCTYX`` or ``QQSYX`` for axes its
writer did not know, a bare ``(5, 2, H, W)`` array), which axis is time is a guess, and the file
is refused until ``axes`` says. ``axes`` overrides the interpretation (e.g. ``CYX`` to read
three planes as the channels of one frame).

Frames are read page by page, so a long stack never has to fit in memory. tifffile's log
records (a damaged file gives two or three before yoloxsp's own error says the same in one
line) are held back while yoloxsp reads, and only then: other reads in the process keep them.
"""
from __future__ import annotations

import itertools
import logging
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence, Tuple

import numpy as np
import tifffile

from ..errors import InputError
from .planes import merge_channels
from .units import micrometres_per, seconds_per

AXIS_LETTERS = "TZCYX"
MAX_CHANNELS = 3


@dataclass(frozen=True)
class TiffStack:
    """What :func:`open_tiff_stack` learnt from a TIFF's header and metadata (no pixels read)."""

    roles: str                 # per stored axis: T (frame, several flatten in stored order), C, Z, Y, X
    shape: Tuple[int, ...]
    pixel_size: Optional[float]       # um per pixel
    frame_interval: Optional[float]   # seconds

    @property
    def n_frames(self) -> int:
        return _product(s for s, r in zip(self.shape, self.roles) if r == "T")

    @property
    def n_channels(self) -> int:
        return _product(s for s, r in zip(self.shape, self.roles) if r == "C")


def open_tiff_stack(path: Path, axes: Optional[str] = None) -> TiffStack:
    """Read ``path``'s layout and calibration; ``axes`` (letters of ``TZCYX``, one per stored axis)
    overrides the layout the metadata gives. :class:`InputError` names the file for anything unusable."""
    try:
        with _tifffile_quiet(), tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            stored_axes, shape = series.axes, tuple(series.shape)
            pixel_size, interval = _calibration(tif)
            declared = (tif.imagej_metadata or {}).get("images") if tif.is_imagej else None
    except Exception as exc:
        raise InputError(f"cannot read TIFF (truncated or not a TIFF): {exc}", path) from None
    if 0 in shape:
        raise InputError("TIFF holds zero frames", path)
    planes = _product(size for size, axis in zip(shape, stored_axes) if axis not in "YXS")
    if isinstance(declared, int) and planes < declared:
        raise InputError(f"the ImageJ header declares {declared} images but only {planes} can be read "
                         "(truncated file?)", path)
    roles = _override_roles(stored_axes, shape, axes, path) if axes else _known_roles(stored_axes, shape, path)
    stack = TiffStack(roles, shape, pixel_size, interval)
    if stack.n_channels > MAX_CHANNELS:
        raise InputError(f"TIFF has {stack.n_channels} channels (axes {stored_axes}, shape {shape}); yoloxsp "
                         f"reads 1-{MAX_CHANNELS} (tubulin, SPB, ...); if these are frames, say so with --axes",
                         path)
    return stack


def _known_roles(stored: str, shape: Sequence[int], path: Path) -> str:
    """The roles the metadata gives, refused where more than one stored axis longer than 1 would be
    time: their order in the frames, or whether one is channels or Z instead, is then a guess."""
    roles = _default_roles(stored)
    as_time = [axis for axis, role, size in zip(stored, roles, shape) if role == "T" and size > 1]
    if len(as_time) > 1:
        raise InputError(f"TIFF axes {stored} (shape {tuple(shape)}): {', '.join(as_time[:-1])} and {as_time[-1]} "
                         "would all be read as time, and which is time, channels or Z is a guess; say how to "
                         f"read them with --axes, one letter of {AXIS_LETTERS} per stored axis ({len(shape)} here)",
                         path)
    return roles


def _default_roles(axes: str) -> str:
    has_time = "T" in axes
    roles = []
    for position, axis in enumerate(axes):
        if axis in "YXC":
            roles.append(axis)
        elif axis == "S":  # interleaved samples are a pixel's colours; separate sample planes are not
            roles.append("C" if position == len(axes) - 1 else "T")
        elif axis == "Z":
            roles.append("Z" if has_time else "T")
        else:
            roles.append("T")
    return "".join(roles)


def _override_roles(stored: str, shape: Sequence[int], axes: str, path: Path) -> str:
    axes = axes.strip().upper()
    if set(axes) - set(AXIS_LETTERS) or len(set(axes)) != len(axes):
        raise InputError(f"--axes {axes!r}: use each of the letters {AXIS_LETTERS} at most once", path)
    if len(axes) != len(shape):
        raise InputError(f"--axes {axes!r} names {len(axes)} axes but the TIFF stores {len(shape)} "
                         f"(axes {stored}, shape {tuple(shape)})", path)
    if "Y" not in axes or "X" not in axes or (axes.index("Y"), axes.index("X")) != (stored.find("Y"),
                                                                                    stored.find("X")):
        raise InputError(f"--axes {axes!r}: Y and X must stay where the TIFF stores them "
                         f"(axes {stored}, shape {tuple(shape)})", path)
    return _default_roles(axes)


def _calibration(tif: tifffile.TiffFile) -> Tuple[Optional[float], Optional[float]]:
    """(um per pixel, seconds per frame) from OME or ImageJ metadata (or a centimetre resolution
    unit); None where absent or in a unit we do not know."""
    page = tif.pages[0]
    if tif.is_ome and tif.ome_metadata:
        root = ElementTree.fromstring(tif.ome_metadata)
        pixels = next((e for e in root.iter() if e.tag.endswith("Pixels")), None)
        if pixels is None:
            return None, None
        return (_scaled(pixels.get("PhysicalSizeX"), micrometres_per(pixels.get("PhysicalSizeXUnit", "µm"))),
                _scaled(pixels.get("TimeIncrement"), seconds_per(pixels.get("TimeIncrementUnit", "s"))))
    resolution = page.tags.get("XResolution")
    pixels_per_unit = resolution.value[0] / resolution.value[1] if resolution and resolution.value[1] else None
    if tif.is_imagej:
        meta = tif.imagej_metadata or {}
        per_unit = micrometres_per(meta.get("unit"))
        pixel_size = per_unit / pixels_per_unit if per_unit and pixels_per_unit else None
        return pixel_size, _scaled(meta.get("finterval"), seconds_per(meta.get("tunit", "sec")))
    unit_tag = page.tags.get("ResolutionUnit")
    if unit_tag and unit_tag.value == tifffile.RESUNIT.CENTIMETER and pixels_per_unit:
        return 1e4 / pixels_per_unit, None
    return None, None


def _scaled(value, factor: Optional[float]) -> Optional[float]:
    try:
        number = float(value) * factor if value is not None and factor else None
    except (TypeError, ValueError):
        return None
    return number if number and np.isfinite(number) and number > 0 else None


def tiff_frames(path: Path, stack: TiffStack) -> Iterator[np.ndarray]:
    """``H x W x C`` frames in time order, each read from only the pages that hold it (or, for a
    stack stored as one contiguous block, such as an ImageJ file over 4 GB, from a memory map).
    tifffile is quiet while a frame is read, not while the caller holds it between frames."""
    roles, shape = stack.roles, stack.shape
    frame_axes = [i for i, role in enumerate(roles) if role == "T"]
    frame_shape = [shape[i] for i in frame_axes]
    with _tifffile_quiet():
        tif = tifffile.TiffFile(path)
    with tif:
        with _tifffile_quiet():
            read = _block_reader(tif.series[0], shape, path)
        for t in range(stack.n_frames):
            at = {axis: int(index) for axis, index in zip(frame_axes, np.unravel_index(t, frame_shape))}
            try:
                with _tifffile_quiet():
                    block = read(at)
            except Exception as exc:
                raise InputError(f"frame {t}: cannot read (truncated file?): {exc}", path) from None
            yield _hwc(block, "".join(role for i, role in enumerate(roles) if i not in at))


def _block_reader(series, shape: Tuple[int, ...], path: Path) -> Callable[[dict], np.ndarray]:
    """``read(at)``: the part of the series with the axes in ``at`` fixed, from the pages holding it
    when each page is one plane of the series, else from a memory map of the whole."""
    page_shape = tuple(series.keyframe.shape)
    n_outer = len(shape) - len(page_shape)
    if n_outer >= 0 and shape[n_outer:] == page_shape and len(series.pages) == _product(shape[:n_outer]):
        return lambda at: _page_block(series, shape, n_outer, at)
    try:
        mapped = tifffile.memmap(path, series=0, mode="r").reshape(shape)
    except Exception as exc:
        raise InputError(f"unsupported TIFF layout (series {series.axes} {shape}, pages of {page_shape}): "
                         f"{exc}", path) from None
    return lambda at: np.asarray(mapped[tuple(at.get(i, slice(None)) for i in range(len(shape)))])


def _page_block(series, shape: Tuple[int, ...], n_outer: int, at: dict) -> np.ndarray:
    """The part of the series with the axes in ``at`` fixed, read from the pages holding it
    (the first ``n_outer`` axes number the pages; the rest lie inside each page)."""
    outer_shape = shape[:n_outer]
    ranges = [[at[i]] if i in at else range(shape[i]) for i in range(n_outer)]
    planes = [series.pages[int(np.ravel_multi_index(index, outer_shape)) if outer_shape else 0].asarray()
              for index in itertools.product(*ranges)]
    block = np.stack(planes).reshape([len(r) for r in ranges] + list(shape[n_outer:]))
    return block[tuple((0 if i < n_outer else at[i]) if i in at else slice(None) for i in range(len(shape)))]


def _hwc(block: np.ndarray, roles: str) -> np.ndarray:
    """A block with one axis per role (C, Z, Y, X in any order) -> ``H x W x C`` (Z max-projected)."""
    projected = tuple(i for i, role in enumerate(roles) if role == "Z")
    if projected:
        block = block.max(axis=projected)
        roles = roles.replace("Z", "")
    order = [roles.index("Y"), roles.index("X")] + [i for i, role in enumerate(roles) if role == "C"]
    block = block.transpose(order)
    block = block.reshape(block.shape[0], block.shape[1], -1)
    return block if block.flags.c_contiguous else merge_channels([block[..., c] for c in range(block.shape[2])])


@contextmanager
def _tifffile_quiet() -> Iterator[None]:
    """Hold back tifffile's log records (warnings and errors about a damaged file, which yoloxsp's
    own error then says in one line) for as long as the block runs. A filter of its own per block,
    added to tifffile's logger and removed again, so that blocks in several threads (a batch) do
    not undo each other and nothing outside yoloxsp's reads is touched."""
    logger = logging.getLogger("tifffile")

    def hold_back(record: logging.LogRecord) -> bool:
        return False

    logger.addFilter(hold_back)
    try:
        yield
    finally:
        logger.removeFilter(hold_back)


def _product(values) -> int:
    return int(np.prod(list(values), dtype=np.int64))
