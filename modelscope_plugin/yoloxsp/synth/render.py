"""Optics and camera: turn a :class:`~.scene.Field` at one time point into 16-bit counts.

Spindles and their poles are drawn analytically at sub-pixel precision as thin structures
convolved with a Gaussian PSF (a line of width w blurred by a PSF of sigma s has a Gaussian
cross-section of sigma sqrt(s^2 + w^2)), so the ground-truth pole coordinates are exact. What
keeps still relative to the stage (cell bodies, interphase cells, wells, glow, dead cells,
debris) is drawn once per movie and shifted with the stage drift: bundles and dots are
splatted bilinearly (which keeps their centroids) and blurred once, because drawing every
bundle of a dense lawn analytically in every frame is what would make training slow.

The camera adds per-channel offsets, shot noise and read noise; uneven illumination and
bleaching vary the signal. The avi8 export maps fixed per-movie contrast limits to 8 bits
(background at a chosen grey level, spindles near saturation) with an optional JPEG round trip
that reproduces the 8x8 block artefacts of MJPEG AVIs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field as dataclass_field
from typing import Callable, List, Optional, Tuple

import cv2
import numpy as np
from scipy.special import erfc

from ..io.contrast import apply_contrast
from ..io.images import jpeg_round_trip
from .config import CHANNEL_NAMES
from .scene import Cell, Field, SpindleView, spindle_view

SPINDLE_WIDTH_UM = 0.09   # a spindle is a thick bundle
BUNDLE_WIDTH_UM = 0.03    # interphase bundles are thin
SPB_SIZE_UM = 0.08
Z_HALO_UM = 0.6           # out-of-focus spread of a max-projected z-stack


class Canvas:
    """Two float layers (tubulin, SPB) over the field, with drawing primitives in micrometres."""

    def __init__(self, width: int, height: int, pixel_size: float):
        self.width, self.height, self.pixel_size = width, height, pixel_size
        self.red = np.zeros((height, width), np.float32)
        self.green = np.zeros((height, width), np.float32)

    def window(self, points_um: np.ndarray, reach_um: float):
        """Pixel-centre grid (um) of the window around ``points_um`` grown by ``reach_um``."""
        ps = self.pixel_size
        lo = np.floor((points_um.min(axis=0) - reach_um) / ps).astype(int)
        hi = np.ceil((points_um.max(axis=0) + reach_um) / ps).astype(int)
        x0, y0 = max(lo[0], 0), max(lo[1], 0)
        x1, y1 = min(hi[0], self.width), min(hi[1], self.height)
        if x1 <= x0 or y1 <= y0:
            return None
        xs = (np.arange(x0, x1) + 0.5) * ps
        ys = (np.arange(y0, y1) + 0.5) * ps
        gx, gy = np.meshgrid(xs, ys)
        return (slice(y0, y1), slice(x0, x1)), np.stack([gx, gy], axis=-1)

    def polyline(self, layer: np.ndarray, points_um: np.ndarray, sigma_um: float, peak: float) -> None:
        """Add a line along ``points_um`` with a Gaussian cross-section of ``sigma_um``."""
        win = self.window(points_um, 4 * sigma_um)
        if win is None:
            return
        region, grid = win
        d2 = _squared_distance_to_polyline(grid.reshape(-1, 2), points_um).reshape(grid.shape[:2])
        layer[region] += peak * np.exp(-d2 / (2 * sigma_um ** 2))

    def filament(self, layer: np.ndarray, points_um: np.ndarray, sigma_um: float, peak: float,
                 brightness: Callable[[np.ndarray], np.ndarray] = np.ones_like) -> None:
        """Add a bundle along ``points_um`` that stops at its ends, as a PSF blurs it: a Gaussian
        cross-section of ``sigma_um`` and, at each end, the blurred step of a line that stops there
        (through half its level at the end point, as measured tips fall off). ``brightness(u)``
        scales it along its length (u from 0 to 1 at the nearest point of the line)."""
        win = self.window(points_um, 4 * sigma_um)
        if win is None:
            return
        region, grid = win
        flat = grid.reshape(-1, 2)
        d2, arc = _nearest_on_polyline(flat, points_um)
        total = float(np.linalg.norm(np.diff(points_um, axis=0), axis=1).sum()) if len(points_um) > 1 else 0.0
        value = np.exp(-d2 / (2 * sigma_um ** 2)) * brightness(arc / max(total, 1e-12))
        for end, inner, near_end in ((points_um[0], points_um[min(1, len(points_um) - 1)], arc < 3 * sigma_um),
                                     (points_um[-1], points_um[max(len(points_um) - 2, 0)],
                                      arc > total - 3 * sigma_um)):
            outward = end - inner
            outward = outward / max(float(np.linalg.norm(outward)), 1e-12)
            beyond = np.where(near_end, (flat - end) @ outward, -np.inf)
            past = np.clip(beyond, 0.0, None)
            # past the end the distance to the line is the distance to its end point: keep the
            # cross-section across the end's direction and put the blurred step along it
            value = value * np.exp(past ** 2 / (2 * sigma_um ** 2)) * 0.5 * erfc(beyond / (math.sqrt(2) * sigma_um))
        layer[region] += peak * value.reshape(grid.shape[:2]).astype(layer.dtype)

    def spot(self, layer: np.ndarray, centre_um: np.ndarray, sigma_um: float, peak: float) -> None:
        self.polyline(layer, np.asarray(centre_um, float).reshape(1, 2), sigma_um, peak)


def _squared_distance_to_polyline(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Squared distance from each of ``points`` (N, 2) to the polyline ``line`` (M, 2).

    One segment at a time on flat arrays: an (N, M) broadcast is several times slower."""
    px, py = points[:, 0], points[:, 1]
    best = (px - line[0, 0]) ** 2 + (py - line[0, 1]) ** 2
    for (ax, ay), (bx, by) in zip(line[:-1], line[1:]):
        dx, dy = bx - ax, by - ay
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / max(dx * dx + dy * dy, 1e-12), 0.0, 1.0)
        np.minimum(best, (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2, out=best)
    return best


def _nearest_on_polyline(points: np.ndarray, line: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Squared distance from each of ``points`` (N, 2) to the polyline ``line`` (M, 2), and the arc
    length along the line of the nearest point."""
    px, py = points[:, 0], points[:, 1]
    best = (px - line[0, 0]) ** 2 + (py - line[0, 1]) ** 2
    arc, start = np.zeros_like(best), 0.0
    for (ax, ay), (bx, by) in zip(line[:-1], line[1:]):
        dx, dy = bx - ax, by - ay
        length2 = max(dx * dx + dy * dy, 1e-12)
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
        d2 = (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2
        closer = d2 < best
        best = np.where(closer, d2, best)
        arc = np.where(closer, start + t * math.sqrt(length2), arc)
        start += math.sqrt(length2)
    return best, arc


@dataclass
class Marks:
    """Thin structures of interphase cells, in field micrometres: (points, peak) per kind."""

    red_lines: List[Tuple[np.ndarray, float]] = dataclass_field(default_factory=list)
    green_lines: List[Tuple[np.ndarray, float]] = dataclass_field(default_factory=list)
    green_spots: List[Tuple[np.ndarray, float]] = dataclass_field(default_factory=list)


def interphase_marks(field: Field, cell: Cell, t: float, marks: Marks) -> None:
    """Bundles and SPB dots of a cell without a spindle (interphase, or before/after mitosis)."""
    program = cell.spindle
    dim = 1.0
    dots = list(cell.spb_dots)
    if program is not None:
        if t < program.start:  # G2: one SPB where the spindle will form
            dots = [(program.offset, 0.0, 1.0)]
        else:  # after breakdown: two daughter SPBs where the poles were, faint post-anaphase arrays
            half = program.max_length / 2 * 0.95
            dots = [(program.offset - half, 0.0, 1.0), (program.offset + half, 0.0, 1.0)]
            dim = 0.5
    brightness = field.spindle_brightness
    green_peak = program.green_peak if program is not None else brightness
    s = np.linspace(0, 1, 12)
    for bundle in cell.bundles:
        u = bundle.u0 + s * (bundle.u1 - bundle.u0)
        v = bundle.v + bundle.bend * (1 - (2 * s - 1) ** 2) + bundle.slant * (u - (bundle.u0 + bundle.u1) / 2)
        curve = cell.to_field(u, v)
        marks.red_lines.append((curve, bundle.brightness * brightness * dim))
        if bundle.spb_spots:  # an SPB marker that also binds microtubules: faint line, brighter spots
            marks.green_lines.append((curve, 0.1 * green_peak * dim))
            for where, weight in bundle.spb_spots:
                ws = np.array(where)
                wu = bundle.u0 + ws * (bundle.u1 - bundle.u0)
                point = cell.to_field(wu, bundle.v + bundle.bend * (1 - (2 * ws - 1) ** 2)
                                      + bundle.slant * (wu - (bundle.u0 + bundle.u1) / 2))
                marks.green_spots.append((point, weight * green_peak * dim))
    for u, v, w in dots:
        marks.green_spots.append((cell.to_field(np.array(u), np.array(v)), w * green_peak))


def _splat(shape: Tuple[int, int], points_px: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bilinear splat of ``weights`` at sub-pixel ``points_px`` (x, y; pixel centres at +0.5)."""
    h, w = shape
    x, y = points_px[:, 0] - 0.5, points_px[:, 1] - 0.5
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    index, values = [], []
    for dx, dy, share in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy),
                          (1, 1, fx * fy)):
        xi, yi = (x0 + dx).astype(np.int64), (y0 + dy).astype(np.int64)
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        index.append(yi[inside] * w + xi[inside])
        values.append((weights * share)[inside])
    flat = np.bincount(np.concatenate(index), np.concatenate(values), minlength=h * w)
    return flat.reshape(h, w).astype(np.float32)


def _blurred_marks(shape: Tuple[int, int], pixel_size: float, lines: List[Tuple[np.ndarray, float]],
                   spots: List[Tuple[np.ndarray, float]], sigma_um: float) -> np.ndarray:
    """Lines and spots of Gaussian cross-section ``sigma_um`` with the given peaks, in one blur."""
    sigma = sigma_um / pixel_size
    starts, vectors, line_peaks = [np.zeros((0, 2))], [np.zeros((0, 2))], [np.zeros(0)]
    for curve, peak in lines:
        px = curve / pixel_size
        starts.append(px[:-1])
        vectors.append(np.diff(px, axis=0))
        line_peaks.append(np.full(len(px) - 1, peak))
    start, vector, peak = np.concatenate(starts), np.concatenate(vectors), np.concatenate(line_peaks)
    seg_len = np.linalg.norm(vector, axis=1)
    n = np.maximum(np.ceil(seg_len / 0.5).astype(int), 1)  # a sample every half pixel
    owner = np.repeat(np.arange(len(n)), n)
    first = np.repeat(np.cumsum(n) - n, n)
    k = (np.arange(len(owner)) - first + 0.5) / n[owner]
    points = [start[owner] + k[:, None] * vector[owner]]
    weights = [(seg_len / n * peak)[owner] * math.sqrt(2 * math.pi) * sigma]
    if spots:
        points.append(np.array([np.asarray(c, float).reshape(2) for c, _ in spots]) / pixel_size)
        weights.append(np.array([p for _, p in spots]) * 2 * math.pi * sigma ** 2)
    layer = _splat(shape, np.concatenate(points), np.concatenate(weights))
    return _blur(layer, sigma, cv2.BORDER_CONSTANT)


def _rods(shape: Tuple[int, int], pixel_size: float, rods: List[Tuple[np.ndarray, np.ndarray, float, float, float]],
          soft_um: float) -> Tuple[np.ndarray, np.ndarray]:
    """Filled rods (segment a-b grown by a radius; a disc when a == b), added to a tubulin and an
    SPB layer at their own levels, edges softened by ``soft_um``. OpenCV rasterises each rod
    anti-aliased at 1/16 px into its own tile, so overlapping cells add up as real ones do."""
    red, green = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    h, w = shape
    for a_um, b_um, radius_um, red_level, green_level in rods:
        a, b, radius = a_um / pixel_size - 0.5, b_um / pixel_size - 0.5, radius_um / pixel_size
        x0, y0 = np.maximum(np.floor(np.minimum(a, b) - radius - 2).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(np.maximum(a, b) + radius + 2).astype(int), [w, h])
        if x1 <= x0 or y1 <= y0:
            continue
        tile = np.zeros((y1 - y0, x1 - x0), np.uint8)
        origin = np.array([x0, y0])
        cv2.line(tile, tuple(int(v) for v in np.round((a - origin) * 16)),
                 tuple(int(v) for v in np.round((b - origin) * 16)), 255,
                 thickness=max(1, int(round(2 * radius))), lineType=cv2.LINE_AA, shift=4)
        profile = tile.astype(np.float32) / 255
        red[y0:y1, x0:x1] += red_level * profile
        green[y0:y1, x0:x1] += green_level * profile
    soft = soft_um / pixel_size
    return _blur(red, soft), _blur(green, soft)


def _blur(layer: np.ndarray, sigma_px: float, border: int = cv2.BORDER_REFLECT) -> np.ndarray:
    """Gaussian blur (OpenCV's is several times faster than scipy's); wide ones at reduced scale,
    which a smooth result does not show."""
    factor = max(1, int(sigma_px / 3))
    if factor == 1:
        return cv2.GaussianBlur(layer, (0, 0), sigma_px, borderType=border)
    h, w = layer.shape
    small = cv2.resize(layer, (max(w // factor, 1), max(h // factor, 1)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma_px / factor, borderType=border)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _shifted(layer: np.ndarray, dx_px: float, dy_px: float) -> np.ndarray:
    """``layer`` moved by a sub-pixel offset (bilinear, edges repeated)."""
    if dx_px == 0 and dy_px == 0:
        return layer
    matrix = np.array([[1, 0, dx_px], [0, 1, dy_px]], np.float32)
    return cv2.warpAffine(layer, matrix, (layer.shape[1], layer.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def _smooth_pattern(shape: Tuple[int, int], rng: np.random.Generator, spread: float) -> np.ndarray:
    """A slowly varying field of mean 1 and about +-``spread`` (uneven glow)."""
    coarse = 1 + spread * rng.uniform(-1, 1, size=(4, 4)).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _static_layers(field: Field) -> Tuple[np.ndarray, np.ndarray]:
    """Everything that moves only with the stage, rendered once per movie (cached on the field)."""
    if field.static_layers is not None:
        return field.static_layers
    cfg = field.config
    shape = (cfg.height, cfg.width)
    canvas = Canvas(cfg.width, cfg.height, cfg.pixel_size)
    texture = np.random.default_rng(field.texture_seed)
    marks = Marks()
    for cell in field.cells:
        if cell.spindle is None:
            interphase_marks(field, cell, 0.0, marks)
    bodies = _rods(shape, cfg.pixel_size, [(*cell.endpoints(), cell.width / 2, cell.red_fill, cell.green_fill)
                                           for cell in field.cells], soft_um=max(field.psf_sigma, 0.25))
    # Out-of-focus haze of the cells, and a diffuse glow between them, that the wells' bottoms lack.
    haze_sigma = 2.0 / cfg.pixel_size
    glow = field.glow * field.spindle_brightness
    red = _blur(bodies[0], haze_sigma) * 0.6 + glow
    green = _blur(bodies[1], haze_sigma) * 0.6 + 0.3 * glow
    if cfg.green_glow > 0:
        green = green + cfg.green_glow * field.spindle_brightness * _smooth_pattern(shape, texture, 0.4)
    if len(field.wells):
        d = np.full(shape, np.inf, np.float32)  # distance to the nearest well centre, near wells only
        reach = field.well_radius + 1.5
        for centre in field.wells:
            window = canvas.window(centre[None], reach)
            if window is not None:
                region, grid = window
                np.minimum(d[region], np.hypot(grid[..., 0] - centre[0], grid[..., 1] - centre[1]), out=d[region])
        near = np.isfinite(d)
        outside = np.ones(shape, np.float32)
        outside[near] = 0.5 * (1 + np.tanh((d[near] - field.well_radius) / 0.3))
        rim = np.zeros(shape, np.float32)
        rim[near] = 0.07 * field.spindle_brightness * np.exp(-(d[near] - field.well_radius) ** 2 / (2 * 0.3 ** 2))
        red, green = red * outside + rim, green * outside
    red = red + bodies[0] + _blurred_marks(shape, cfg.pixel_size, marks.red_lines, [],
                                            math.hypot(field.psf_sigma, BUNDLE_WIDTH_UM))
    green = green + bodies[1] + _blurred_marks(shape, cfg.pixel_size, marks.green_lines, marks.green_spots,
                                                  math.hypot(field.psf_sigma, SPB_SIZE_UM))
    dead = _rods(shape, cfg.pixel_size, [(np.array([x, y]), np.array([x, y]), radius, red_peak, green_peak)
                                         for x, y, radius, red_peak, green_peak in field.dead_cells],
                 soft_um=field.psf_sigma)
    red, green = red + dead[0], green + dead[1]
    blobs = Canvas(cfg.width, cfg.height, cfg.pixel_size)
    for x, y, size, peak in field.debris:
        for _ in range(5):
            c = np.array([x, y]) + texture.normal(0, size / 2, 2)
            sigma = size * texture.uniform(0.3, 0.6)
            blobs.spot(blobs.red, c, sigma, peak * texture.uniform(0.2, 0.5))
            blobs.spot(blobs.green, c, sigma, peak * texture.uniform(0.1, 0.3))
    field.static_layers = (red + blobs.red).astype(np.float32), (green + blobs.green).astype(np.float32)
    return field.static_layers


def uneven_brightness(unevenness: float, seed: int, track_id: int) -> Callable[[np.ndarray], np.ndarray]:
    """Brightness along one spindle (u from 0 to 1), about 1 on average and within 1 +- ``unevenness``:
    a tilt towards one end and brighter or dimmer ends, as real spindles vary 0.6-1.4x along their
    length. Drawn from the movie's seed and the track, so that a spindle keeps its pattern and no
    other random stream moves."""
    tilt, ends = np.random.default_rng([seed, track_id, 0x5EED]).uniform(-0.5, 0.5, 2) * unevenness

    def brightness(u: np.ndarray) -> np.ndarray:
        centred = 2.0 * np.asarray(u, float) - 1.0
        return 1.0 + tilt * centred + ends * 1.5 * (centred ** 2 - 1.0 / 3.0)

    return brightness


def render_signal(field: Field, t: float) -> Tuple[np.ndarray, np.ndarray, List[SpindleView]]:
    """Noise-free signal above background (tubulin, SPB: float32 H x W) and the visible spindles."""
    cfg = field.config
    canvas = Canvas(cfg.width, cfg.height, cfg.pixel_size)
    psf = field.psf_sigma
    line_sigma = math.hypot(psf, BUNDLE_WIDTH_UM)
    spindle_sigma = math.hypot(psf, SPINDLE_WIDTH_UM)
    spot_sigma = math.hypot(psf, SPB_SIZE_UM)
    shift = field.drift
    static_red, static_green = _static_layers(field)
    canvas.red += _shifted(static_red, shift[0] / cfg.pixel_size, shift[1] / cfg.pixel_size)
    canvas.green += _shifted(static_green, shift[0] / cfg.pixel_size, shift[1] / cfg.pixel_size)

    views = []
    marks = Marks()
    for cell in field.cells:
        if cell.spindle is None:
            continue
        view = spindle_view(cell, t, shift)
        if view is not None:
            views.append(view)
            if cfg.blurred_tips:
                canvas.filament(canvas.red, view.curve, spindle_sigma, view.red_peak,
                                uneven_brightness(cfg.unevenness, cfg.seed, view.track_id))
            else:
                canvas.polyline(canvas.red, view.curve, spindle_sigma, view.red_peak)
            for end in (view.curve[0], view.curve[-1]):
                canvas.spot(canvas.green, end, spot_sigma, view.green_peak)
        else:
            interphase_marks(field, cell, t, marks)
    for curve, peak in marks.red_lines:
        canvas.polyline(canvas.red, curve + shift, line_sigma, peak)
    for curve, peak in marks.green_lines:
        canvas.polyline(canvas.green, curve + shift, line_sigma, peak)
    for centre, peak in marks.green_spots:
        canvas.spot(canvas.green, centre + shift, spot_sigma, peak)

    red, green = canvas.red, canvas.green
    if cfg.z_blur > 0:  # planes above and below focus, max-projected: a wide halo around everything
        halo = Z_HALO_UM / cfg.pixel_size
        red = (1 - cfg.z_blur) * red + cfg.z_blur * _blur(red, halo)
        green = (1 - cfg.z_blur) * green + cfg.z_blur * _blur(green, halo)
    if cfg.crosstalk > 0:  # bleed-through between the filter sets
        red, green = red + cfg.crosstalk * green, green + cfg.crosstalk * red
    return red, green, views


class Camera:
    """Illumination, bleaching and sensor noise, fixed for one movie."""

    def __init__(self, field: Field, rng: np.random.Generator):
        cfg = field.config
        self.cfg = cfg
        gx, gy = np.meshgrid(np.linspace(-1, 1, cfg.width), np.linspace(-1, 1, cfg.height))
        centre = rng.uniform(-0.3, 0.3, size=2)
        self.illumination = (1 - rng.uniform(0, 0.3) * ((gx - centre[0]) ** 2 + (gy - centre[1]) ** 2) / 2
                             ).astype(np.float32)
        self.bleach_frames = rng.uniform(150, 400)
        self.offsets = {"tubulin": cfg.background, "spb": cfg.spb_background}

    def expose(self, layers: dict, frame: int, rng: np.random.Generator) -> np.ndarray:
        """Expected signal per channel name -> noisy uint16 counts, shape (C, H, W) in the config's
        channel order (:func:`camera_counts`)."""
        gain = self.illumination * np.float32(math.exp(-frame / self.bleach_frames))
        counts = {}
        for name in CHANNEL_NAMES:  # noise drawn in one fixed order: the channel order only permutes
            if name not in self.cfg.channels:
                continue
            offset = self.offsets[name]
            counts[name] = camera_counts(offset + layers[name] * gain, offset, self.cfg.noise, rng)
        return np.stack([counts[name] for name in self.cfg.channels])


def camera_counts(expected: np.ndarray, offset: float, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Expected counts over a camera ``offset`` -> noisy uint16 counts. Shot noise is scaled so
    that sigma at the offset is ~3 counts at ``noise`` 1 (typical raw 16-bit stacks), plus read
    noise of ``noise`` counts; at these photon counts the Gaussian approximation of Poisson noise
    is exact to well under a count, and cheaper to draw."""
    expected = np.asarray(expected, np.float32)
    if noise > 0:
        counts_per_photon = 9 * noise ** 2 / max(offset, 1.0)
        sigma = np.sqrt(np.maximum(expected, 0) * counts_per_photon + noise ** 2)
        expected = expected + sigma * rng.standard_normal(expected.shape, dtype=np.float32)
    return np.clip(np.round(expected), 0, 65535).astype(np.uint16)


def camera_noise(channels: int, frames: int = 10, size: int = 256, offset: float = 100.0) -> List[np.ndarray]:
    """Raw 16-bit frames (H, W, C) of an empty field: the camera offset and its noise, nothing
    else. A detector should report nothing here; contrast-stretched for display, such a frame
    is all grain, which is where a model that learnt "something bright and elongated" fails.
    The one noise movie every check uses: seeded by its channel count, so that the one- and
    two-channel movies share no frame."""
    rng = np.random.default_rng(channels)
    empty = np.full((size, size), offset)
    return [np.stack([camera_counts(empty, offset, 1.0, rng) for _ in range(channels)], axis=-1)
            for _ in range(frames)]


def display_limits(tubulin: np.ndarray, spb: Optional[np.ndarray], background_levels: Tuple[float, float],
                   high_percentiles: Tuple[float, float]) -> np.ndarray:
    """Per-channel ``[low, high]`` counts of an AVI export: the channel's median (its background)
    lands on ``background_levels`` (8-bit) and its ``high_percentiles`` point on 255."""
    limits = []
    for counts, level, high in zip((tubulin, spb), background_levels, high_percentiles):
        if counts is None:
            break
        median, top = np.percentile(counts, [50.0, high])
        top = max(top, median + 1.0)
        limits.append([(median * 255 - level * top) / (255 - level), top])
    return np.array(limits)


def display_frame(tubulin: np.ndarray, spb: Optional[np.ndarray], limits: np.ndarray,
                  jpeg_quality: Optional[int]) -> np.ndarray:
    """Counts -> H x W x 3 uint8 RGB (red tubulin, green SPB or empty), like frames taken from an AVI."""
    rgb = np.zeros(tubulin.shape + (3,), np.uint8)
    rgb[..., 0] = apply_contrast(tubulin, limits[:1])[..., 0]
    if spb is not None:
        rgb[..., 1] = apply_contrast(spb, limits[1:2])[..., 0]
    return rgb if jpeg_quality is None else jpeg_round_trip(rgb, jpeg_quality)
