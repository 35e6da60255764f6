"""Named microscope looks: each draws random :class:`SynthConfig` values within the ranges of one
kind of real set-up (typical spinning-disk and widefield acquisitions of S. pombe).

A model trained on one synthetic look fails on microscopes it has never seen, so training draws
a look per movie (:func:`training_config`), and leaving one look out of training
(``exclude``) estimates how the model does on a set-up it has not seen. The looks:

- ``wells-avi``: micro-wells, 8-bit AVI export with MJPEG artefacts, two colours (like the real upstream frames);
- ``dense-lawn``: no wells, overlapping cells in every orientation, coverage up to 0.85;
- ``green-glow``: a diffuse SPB-channel glow as bright as the tubulin background;
- ``spb-decorates-mts``: an SPB marker that also lights up spots along interphase bundles;
- ``dead-cells``: a sparse field with bright round red+green dead-cell blobs and debris;
- ``tubulin-only-raw``: one raw 16-bit tubulin channel, single-cell crops down to 80x250 px,
  0.06-0.13 um/px, low signal-to-noise, spindles that form inside an interphase array and hook;
- ``two-colour-raw``: the raw 16-bit two-colour stack at low signal, channels in either order;
- ``tubulin-only-lawn``: one raw 16-bit tubulin channel over a dense lawn of overlapping cells,
  0.08-0.2 um/px (a tubulin-only strain imaged as a field rather than as one cell).

Three more looks are drawn by no training (:data:`UNSEEN_LOOKS`): ``widefield-haze``,
``tubulin-only-8bit`` and ``tubulin-only-fine`` (single cells at 0.05-0.08 um/px with the tips,
brightness and anaphase B measured on real tubulin-only movies).

Every look draws spindle tips as a PSF blurs a bundle that ends at the SPBs, brightness uneven
along the spindle (as measured on real movies), and interphase cells carrying spindle look-alikes
(``mimics``: bright straight bundles with one SPB dot, pole-less bars, crossing pairs), the false
detections of other labs' dense fields.

Fields stay <= 384 px on a side so that training renders quickly.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from numbers import Integral
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError
from .config import SynthConfig

MAX_SIDE = 384
MAX_LOOK_WEIGHT = 100
Draw = Callable[[np.random.Generator, int, int], SynthConfig]


@dataclass(frozen=True)
class Look:
    description: str
    draw: Draw  # (look's random generator, movie seed, frames) -> config


def _u(rng: np.random.Generator, lo: float, hi: float, digits: int = 3) -> float:
    return round(float(rng.uniform(lo, hi)), digits)


def _field_size(rng: np.random.Generator, pixel_size: float, crop: bool) -> Tuple[int, int]:
    """Width and height in px: a field that holds a 14 um mitotic cell, or a single-cell crop
    (one side 80-160 px, the other long enough for the cell)."""
    long_side = max(int(math.ceil(16.0 / pixel_size)), 192)
    if crop:
        short = int(rng.integers(80, 161))
        long = int(rng.integers(max(long_side, 250), max(long_side, 250) + 80))
        return (short, long) if rng.random() < 0.5 else (long, short)
    return int(rng.integers(long_side, MAX_SIDE + 1)), int(rng.integers(long_side, MAX_SIDE + 1))


def _room(width: int, height: int, pixel_size: float) -> int:
    """How many mitotic cells fit between the others."""
    return int(width * height * pixel_size ** 2 / 150)


def _common(rng: np.random.Generator, seed: int, frames: int, pixel_size: float, size: Tuple[int, int],
            spindles: Optional[int] = None, **chosen) -> SynthConfig:
    """Knobs every look varies the same way, overridden by the look's ``chosen`` values."""
    room = _room(*size, pixel_size)
    if spindles is None:
        spindles = int(rng.integers(1, max(2, min(room, 6) + 1)))
    two_colour = chosen.get("channel_mode", "two-colour") != "tubulin-only"
    values = dict(
        width=size[0], height=size[1], frames=frames, seed=seed, pixel_size=pixel_size,
        frame_interval=_u(rng, 15.0, 60.0, 1), spindles=spindles,
        breakdowns=int(rng.integers(0, 2)) if room > spindles + 1 else 0,
        psf_sigma=_u(rng, 0.14, 0.3), z_blur=_u(rng, 0.0, 0.4, 2), length_dimming=_u(rng, 1.2, 2.4, 2),
        max_bend=_u(rng, 0.03, 0.12), hooks=_u(rng, 0.0, 0.5, 2), bright_bundles=_u(rng, 0.0, 0.3, 2),
        crosstalk=_u(rng, 0.0, 0.05), autofluorescence=_u(rng, 0.03, 0.1), debris=int(rng.integers(0, 3)),
        channels=(("tubulin", "spb") if rng.random() < 0.5 else ("spb", "tubulin")) if two_colour else ("tubulin",),
        noise=_u(rng, 0.2, 0.6, 2), spindle_peak=_u(rng, 60.0, 130.0, 1),
        jpeg_quality=int(rng.integers(50, 96)) if rng.random() < 0.8 else None,
        blurred_tips=True, unevenness=_u(rng, 0.0, 0.4, 2),
        mimics=_u(rng, 0.0, 0.25 if two_colour else 0.1, 2),
    )
    values.update(chosen)
    return SynthConfig(**values)


def _display(rng: np.random.Generator, red: Tuple[float, float], green: Tuple[float, float]) -> Tuple[float, float]:
    return _u(rng, *red, 1), _u(rng, *green, 1)


def _wells_avi(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    pixel_size = _u(rng, 0.12, 0.18)
    return _common(rng, seed, frames, pixel_size, _field_size(rng, pixel_size, crop=False), wells=True,
                   cell_coverage=_u(rng, 0.35, 0.6, 2), autofluorescence=_u(rng, 0.02, 0.06),
                   display_background=_display(rng, (14, 22), (3, 7)))


def _dense_lawn(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    pixel_size = _u(rng, 0.08, 0.16)
    return _common(rng, seed, frames, pixel_size, _field_size(rng, pixel_size, crop=False), overlap=True,
                   cell_coverage=_u(rng, 0.6, 0.85, 2), autofluorescence=_u(rng, 0.03, 0.1),
                   display_background=_display(rng, (14, 30), (3, 10)))


def _green_glow(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    pixel_size = _u(rng, 0.08, 0.16)
    return _common(rng, seed, frames, pixel_size, _field_size(rng, pixel_size, crop=False), overlap=True,
                   cell_coverage=_u(rng, 0.3, 0.85, 2), green_glow=_u(rng, 0.2, 0.6, 2),
                   display_background=_display(rng, (18, 39), (20, 46)))


def _spb_decorates_mts(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    pixel_size = _u(rng, 0.08, 0.16)
    return _common(rng, seed, frames, pixel_size, _field_size(rng, pixel_size, crop=False),
                   channel_mode="spb-on-microtubules", overlap=rng.random() < 0.5,
                   cell_coverage=_u(rng, 0.3, 0.7, 2), display_background=_display(rng, (14, 25), (3, 10)))


def _dead_cells(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    pixel_size = _u(rng, 0.08, 0.16)
    return _common(rng, seed, frames, pixel_size, _field_size(rng, pixel_size, crop=False),
                   cell_coverage=_u(rng, 0.1, 0.35, 2), dead_cells=int(rng.integers(2, 9)),
                   debris=int(rng.integers(1, 6)), display_background=_display(rng, (10, 22), (3, 7)))


def _raw(rng: np.random.Generator) -> dict:
    """Camera settings of a raw 16-bit stack: offset ~100 counts, noise sigma ~2-5 counts."""
    return dict(export="raw16", jpeg_quality=None, background=_u(rng, 90, 130, 1),
                spb_background=_u(rng, 90, 130, 1), noise=_u(rng, 0.7, 1.5, 2))


def _tubulin_only_raw(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    """Half the movies keep close to the one measured tubulin-only movie (0.06-0.08 um/px, short
    spindles 30-60 counts above background); the other half spread over what other labs record
    in tubulin alone (0.06-0.13 um/px, 25-100 counts, noise up to 1.4x), so that one movie's
    numbers do not become the only way the model knows a one-channel raw stack."""
    near_measured = rng.random() < 0.5
    pixel_size = _u(rng, 0.06, 0.08) if near_measured else _u(rng, 0.06, 0.13)
    crop = rng.random() < 0.6
    size = _field_size(rng, pixel_size, crop=crop)
    peak = _u(rng, 30.0, 60.0, 1) if near_measured else _u(rng, 25.0, 100.0, 1)
    noise = _u(rng, 0.7, 1.2, 2) if near_measured else _u(rng, 0.6, 1.4, 2)
    return _common(rng, seed, frames, pixel_size, size, spindles=1 if crop else None,
                   channel_mode="tubulin-only", cell_coverage=_u(rng, 0.3, 0.7, 2),
                   spindle_peak=peak, length_dimming=_u(rng, 1.2, 2.2, 2),
                   bright_bundles=_u(rng, 0.1, 0.4, 2), hooks=_u(rng, 0.3, 0.8, 2),
                   frame_interval=_u(rng, 20.0, 90.0, 1), **dict(_raw(rng), noise=noise))


def _two_colour_raw(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    """Low signal, but within what real raw stacks show: a short spindle stands >= ~10 noise sigma
    above background and a long one about half as bright. Without these bounds (the weakest
    signal with the strongest noise, the 8-bit looks' dimming) spindles nobody could see were
    annotated, which teaches a model to report noise."""
    pixel_size = _u(rng, 0.06, 0.2)
    crop = rng.random() < 0.25
    size = _field_size(rng, pixel_size, crop=crop)
    mode = "spb-on-microtubules" if rng.random() < 0.2 else "two-colour"
    peak = _u(rng, 25.0, 80.0, 1)
    camera = dict(_raw(rng), noise=_u(rng, 0.7, min(1.5, peak / 30.0), 2))  # peak >= 25: bound >= 0.83
    return _common(rng, seed, frames, pixel_size, size, spindles=1 if crop else None, channel_mode=mode,
                   cell_coverage=_u(rng, 0.2, 0.7, 2), spindle_peak=peak, length_dimming=_u(rng, 0.8, 1.6, 2),
                   **camera)


def _tubulin_only_lawn(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    """Many labs image a tubulin-only strain over a whole field: no SPB channel tells a spindle
    from the interphase bundles of the cells lying over and around it. Signal and dimming stay
    within what real raw stacks show (short spindles 35-130 counts above background, long ones
    about half as bright as short ones), so that every annotated spindle is visible among the
    bundles; few interphase cells carry a bright straight bundle."""
    pixel_size = _u(rng, 0.08, 0.2)
    return _common(rng, seed, frames, pixel_size, _field_size(rng, pixel_size, crop=False),
                   channel_mode="tubulin-only", overlap=True, cell_coverage=_u(rng, 0.55, 0.85, 2),
                   spindle_peak=_u(rng, 35.0, 130.0, 1), length_dimming=_u(rng, 0.8, 1.6, 2),
                   bright_bundles=_u(rng, 0.0, 0.15, 2), hooks=_u(rng, 0.0, 0.6, 2),
                   **dict(_raw(rng), noise=_u(rng, 0.6, 1.2, 2)))


LOOKS: Dict[str, Look] = {
    "wells-avi": Look("micro-wells, 8-bit MJPEG AVI export, two colours", _wells_avi),
    "dense-lawn": Look("overlapping cells without wells, coverage 0.6-0.85", _dense_lawn),
    "green-glow": Look("diffuse SPB-channel glow as bright as the tubulin background", _green_glow),
    "spb-decorates-mts": Look("SPB marker also on spots along interphase bundles", _spb_decorates_mts),
    "dead-cells": Look("sparse field with bright round dead-cell blobs and debris", _dead_cells),
    "tubulin-only-raw": Look("raw 16-bit tubulin only, single-cell crops, 0.06-0.13 um/px, low SNR",
                             _tubulin_only_raw),
    "two-colour-raw": Look("raw 16-bit tubulin + SPB at low signal, channels in either order", _two_colour_raw),
    "tubulin-only-lawn": Look("raw 16-bit tubulin only over a dense lawn of overlapping cells, 0.08-0.2 um/px",
                              _tubulin_only_lawn),
}


def _widefield_haze(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    pixel_size = _u(rng, 0.08, 0.1)
    return _common(rng, seed, frames, pixel_size, _field_size(rng, pixel_size, crop=False),
                   spindles=int(rng.integers(1, 3)), z_blur=_u(rng, 0.5, 0.7, 2), crosstalk=_u(rng, 0.2, 0.3, 2),
                   psf_sigma=_u(rng, 0.3, 0.36), channels=("tubulin", "spb"), frame_interval=_u(rng, 60.0, 180.0, 1))


def _tubulin_only_8bit(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    pixel_size = _u(rng, 0.08, 0.16)
    return _common(rng, seed, frames, pixel_size, _field_size(rng, pixel_size, crop=False),
                   channel_mode="tubulin-only", overlap=rng.random() < 0.5, cell_coverage=_u(rng, 0.3, 0.8, 2),
                   jpeg_quality=int(rng.integers(40, 91)), display_background=_display(rng, (14, 30), (0, 0)))


def _tubulin_only_fine(rng: np.random.Generator, seed: int, frames: int) -> SynthConfig:
    """What the real tubulin-only movies measure (docs/movies.md): one cell cropped at a fine pixel
    size, tips that fall off as a PSF blurs a bundle ending at the SPBs, brightness uneven along the
    spindle, anaphase B spindles long, bowed and often hooked, inside interphase arrays."""
    pixel_size = _u(rng, 0.05, 0.08)
    return _common(rng, seed, frames, pixel_size, _field_size(rng, pixel_size, crop=True), spindles=1,
                   channel_mode="tubulin-only", cell_coverage=_u(rng, 0.3, 0.7, 2), spindle_peak=_u(rng, 30.0, 60.0, 1),
                   length_dimming=_u(rng, 1.2, 2.2, 2), bright_bundles=_u(rng, 0.1, 0.4, 2),
                   hooks=_u(rng, 0.3, 0.8, 2), max_bend=_u(rng, 0.05, 0.15),
                   unevenness=_u(rng, 0.2, 0.4, 2), frame_interval=_u(rng, 20.0, 90.0, 1),
                   **dict(_raw(rng), noise=_u(rng, 0.7, 1.2, 2)))


# Looks no training draws, to measure how a model does on (and how fine-tuning adapts it to) a
# microscope outside the generator's training looks.
UNSEEN_LOOKS: Dict[str, Look] = {
    "widefield-haze": Look("widefield, 0.08-0.1 um/px, strong out-of-focus haze, wide PSF, channel "
                           "bleed-through", _widefield_haze),
    "tubulin-only-8bit": Look("an 8-bit JPEG export of a tubulin-only field: no training look renders one "
                              "(their one-channel looks are raw 16-bit), training meets it only through the "
                              "degradations (SPB channel dropped, JPEG)", _tubulin_only_8bit),
    "tubulin-only-fine": Look("raw 16-bit tubulin only, one cell cropped at 0.05-0.08 um/px, tips blurred as "
                              "measured, brightness uneven along the spindle, long bowed and hooked anaphase B",
                              _tubulin_only_fine),
}


def _check(names: Sequence[str], known: Dict[str, Look] = LOOKS) -> None:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"unknown look(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}")


def look_config(look: str, seed: int, frames: int) -> SynthConfig:
    """A random but reproducible config of ``look`` (of LOOKS or UNSEEN_LOOKS) for the movie ``seed``."""
    every = {**LOOKS, **UNSEEN_LOOKS}
    _check([look], every)
    rng = np.random.default_rng([seed, zlib.crc32(look.encode())])  # independent of the order of LOOKS
    return every[look].draw(rng, seed, frames)


def raw_looks() -> List[str]:
    """The training looks that export the raw 16-bit stack (a look's export never varies by seed):
    the looks where signal-to-noise, not a display mapping, decides what a spindle looks like."""
    return [name for name in LOOKS if look_config(name, 0, 1).export == "raw16"]


def training_config(seed: int, frames: int, exclude: Sequence[str] = (),
                    weights: Optional[Mapping[str, int]] = None) -> SynthConfig:
    """The config of training movie ``seed``: a look drawn from the seed among LOOKS minus
    ``exclude`` (leave-one-look-out training), then that look's config.

    ``weights`` draws a look that many times as often as a look of weight 1 (every look not
    named), so that training can dwell on looks a model is weak on. With every weight 1 the draw
    is exactly the unweighted one, so earlier runs' seeds still name the fields they trained on.
    """
    counts = look_counts(exclude, weights)
    ticket = int(np.random.default_rng(seed).integers(sum(counts.values())))
    ends = np.cumsum(list(counts.values()))  # each look's tickets, in the order of LOOKS
    look = list(counts)[int(np.searchsorted(ends, ticket, side="right"))]
    return look_config(look, seed, frames)


def look_counts(exclude: Sequence[str] = (), weights: Optional[Mapping[str, int]] = None) -> Dict[str, int]:
    """How many tickets each training look holds in :func:`training_config`'s draw, checked."""
    if weights is not None and not isinstance(weights, Mapping):
        raise InputError(f"look weights must map look names to whole numbers; got {weights!r}")
    weights = dict(weights or {})
    _check([*exclude, *weights])
    bad = {name: weight for name, weight in weights.items()
           if isinstance(weight, bool) or not isinstance(weight, Integral) or not 1 <= weight <= MAX_LOOK_WEIGHT}
    if bad:
        raise InputError(f"look weights must be whole numbers from 1 to {MAX_LOOK_WEIGHT} (exclude a look to drop "
                         f"it); got {bad}")
    excluded_but_weighted = sorted(set(exclude) & set(weights))
    if excluded_but_weighted:
        raise InputError(f"look(s) both excluded and weighted: {', '.join(excluded_but_weighted)}")
    counts = {name: int(weights.get(name, 1)) for name in LOOKS if name not in set(exclude)}
    if not counts:
        raise InputError("every look is excluded; nothing left to train on")
    return counts
