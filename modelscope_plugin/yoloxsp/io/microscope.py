"""Microscope vendors' files (Nikon ND2, Zeiss CZI, Leica LIF, DeltaVision DV) through ``bioio``.

bioio presents every format as T, C, Z, Y, X with the pixel size in micrometres and the time
interval from the file's own metadata; its per-format reader plugins do the parsing. The plugin
is chosen by extension (not bioio's plugin scan) so a missing plugin is named in the error.
Frames are read lazily (bioio's dask arrays), one time point at a time. As for TIFF stacks,
T is time and Z is max-projected; a file without a time series but with several Z planes is
read as Z = time (how projection stacks are saved). Files with several scenes (positions,
series) need the scene named: reading the first silently would drop the rest.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np

from ..errors import InputError, first_line

READER_PLUGINS = {".nd2": "bioio_nd2", ".czi": "bioio_czi", ".lif": "bioio_lif", ".dv": "bioio_dv",
                  ".r3d": "bioio_dv"}
MAX_CHANNELS = 3


@dataclass(frozen=True)
class MicroscopeFile:
    """Layout and calibration of one scene of a vendor file (nothing but metadata read)."""

    scene: str
    n_frames: int
    time_axis: str                       # "T", or "Z" for a single time point with several planes
    pixel_size: Optional[float]          # um per pixel
    frame_interval: Optional[float]      # seconds


def open_microscope_file(path: Path, scene: Optional[Union[str, int]] = None) -> MicroscopeFile:
    """Inspect ``path``; :class:`InputError` names the file when it cannot be read or is ambiguous."""
    image = _bioimage(path, scene)
    try:
        dims = image.dims
        sizes = {name: dims[name][0] for name in dims.order}
        scene_name = image.current_scene
        pixel_size = _positive(getattr(image.physical_pixel_sizes, "X", None))
        interval = image.time_interval
    except Exception as exc:  # plugins raise many types for damaged metadata
        raise InputError(f"cannot read the image layout: {exc}", path) from None
    extra = {name: size for name, size in sizes.items() if name not in "TCZYXS" and size > 1}
    if extra:
        raise InputError(f"image has dimensions {extra} besides T, C, Z, Y, X (mosaic tiles?); export the "
                         "stitched image or one position", path)
    channels = sizes.get("C", 1) * sizes.get("S", 1)
    if channels > MAX_CHANNELS:
        raise InputError(f"image has {channels} channels; yoloxsp reads 1-{MAX_CHANNELS} (tubulin, SPB, ...)",
                         path)
    time_axis = "T" if sizes.get("T", 1) > 1 or sizes.get("Z", 1) == 1 else "Z"
    seconds = interval.total_seconds() if isinstance(interval, timedelta) else None
    return MicroscopeFile(scene_name, sizes.get(time_axis, 1), time_axis, pixel_size,
                          seconds if time_axis == "T" else None)


def microscope_frames(path: Path, info: MicroscopeFile) -> Iterator[np.ndarray]:
    """``H x W x C`` frames in time order (Z max-projected when T is time)."""
    image = _bioimage(path, info.scene)
    order = "".join(name for name in "ZCYXS" if name in image.dims.order and name != info.time_axis)
    for t in range(info.n_frames):
        try:
            block = np.asarray(image.get_image_dask_data(order, **{info.time_axis: t}).compute())
        except Exception as exc:
            raise InputError(f"frame {t}: cannot read: {exc}", path) from None
        if "Z" in order:
            block, order_left = block.max(axis=order.index("Z")), order.replace("Z", "")
        else:
            order_left = order
        block = np.moveaxis(block, [order_left.index("Y"), order_left.index("X")], [0, 1])
        yield np.ascontiguousarray(block.reshape(block.shape[0], block.shape[1], -1))


def _bioimage(path: Path, scene: Optional[Union[str, int]]):
    plugin = READER_PLUGINS[path.suffix.lower()]
    try:
        import bioio
        reader = importlib.import_module(plugin).Reader
    except ImportError as exc:
        raise InputError(f"reading {path.suffix} files needs bioio and its plugin {plugin.replace('_', '-')} "
                         f"(pip install bioio {plugin.replace('_', '-')}): {exc}", path) from None
    try:
        image = bioio.BioImage(path, reader=reader)
        scenes = tuple(image.scenes)
    except Exception as exc:
        raise InputError(f"cannot read {path.suffix} file (damaged or not this format): {first_line(exc)}",
                         path) from None
    if scene is None:
        if len(scenes) > 1:
            raise InputError(f"file holds {len(scenes)} scenes {list(scenes)}; choose one with --scene NAME "
                             "or its 0-based index", path)
        return image
    try:
        image.set_scene(int(scene) if str(scene).isdigit() and str(scene) not in scenes else scene)
    except Exception:
        raise InputError(f"no scene {scene!r}; the file holds {list(scenes)}", path) from None
    return image


def _positive(value) -> Optional[float]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) and number > 0 else None

