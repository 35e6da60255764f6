"""Optics and camera: turn a :class:`~.scene.Field` at one time point into 16-bit counts.

Objects are drawn analytically at sub-pixel precision as thin structures convolved with a
Gaussian PSF (a line of width w blurred by a PSF of sigma s has a Gaussian cross-section of
sigma sqrt(s^2 + w^2)), so the ground-truth pole coordinates are exact. The camera adds an
offset, Poisson shot noise and Gaussian read noise; uneven illumination and bleaching vary the
signal. The 8-bit display frames use fixed per-movie contrast limits and an optional JPEG round
trip that reproduces the 8x8 block artefacts of MJPEG AVIs.
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.ndimage import shift as ndimage_shift

from ..io.images import apply_contrast
from .scene import Cell, Field, SpindleView, spindle_view

SPINDLE_WIDTH_UM = 0.09   # a spindle is a thick bundle
BUNDLE_WIDTH_UM = 0.03    # interphase bundles are thin
SPB_SIZE_UM = 0.08


class Canvas:
    """Two float layers (tubulin, SPB) over the field, with drawing primitives in micrometres."""

    def __init__(self, width: int, height: int, pixel_size: float):
        self.width, self.height, self.pixel_size = width, height, pixel_size
        self.red = np.zeros((height, width), np.float32)
        self.green = np.zeros((height, width), np.float32)

    def _window(self, points_um: np.ndarray, reach_um: float):
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
        win = self._window(points_um, 4 * sigma_um)
        if win is None:
            return
        region, grid = win
        d2 = _squared_distance_to_polyline(grid.reshape(-1, 2), points_um).reshape(grid.shape[:2])
        layer[region] += peak * np.exp(-d2 / (2 * sigma_um ** 2))

    def spot(self, layer: np.ndarray, centre_um: np.ndarray, sigma_um: float, peak: float) -> None:
        self.polyline(layer, np.asarray(centre_um, float).reshape(1, 2), sigma_um, peak)

    def capsule(self, layer: np.ndarray, a_um: np.ndarray, b_um: np.ndarray, radius_um: float,
                level: float, soft_um: float) -> None:
        """Add a filled rod (segment ab grown by radius) with soft edges."""
        pts = np.stack([a_um, b_um])
        win = self._window(pts, radius_um + 3 * soft_um)
        if win is None:
            return
        region, grid = win
        d = np.sqrt(_squared_distance_to_polyline(grid.reshape(-1, 2), pts)).reshape(grid.shape[:2])
        layer[region] += level * 0.5 * (1 - np.tanh((d - radius_um) / soft_um))

    def pixel_grid(self) -> Tuple[np.ndarray, np.ndarray]:
        ps = self.pixel_size
        return np.meshgrid((np.arange(self.width) + 0.5) * ps, (np.arange(self.height) + 0.5) * ps)


def _squared_distance_to_polyline(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Squared distance from each of ``points`` (N, 2) to the polyline ``line`` (M, 2)."""
    if len(line) == 1:
        return ((points - line[0]) ** 2).sum(axis=1)
    a, b = line[:-1], line[1:]
    ab = b - a
    length2 = np.maximum((ab ** 2).sum(axis=1), 1e-12)
    rel = points[:, None, :] - a[None, :, :]
    t = np.clip((rel * ab[None]).sum(axis=2) / length2, 0.0, 1.0)
    closest = a[None] + t[..., None] * ab[None]
    return ((points[:, None, :] - closest) ** 2).sum(axis=2).min(axis=1)


def _static_layers(field: Field) -> Tuple[np.ndarray, np.ndarray]:
    """Cell bodies, haze and wells: they only move with the stage, so render them once per movie."""
    if field.static_layers is not None:
        return field.static_layers
    cfg = field.config
    canvas = Canvas(cfg.width, cfg.height, cfg.pixel_size)
    soft = max(field.psf_sigma, 0.25)
    for cell in field.cells:
        a, b = cell.endpoints()
        canvas.capsule(canvas.red, a, b, cell.width / 2, cell.red_fill, soft_um=soft)
        canvas.capsule(canvas.green, a, b, cell.width / 2, cell.green_fill, soft_um=soft)
    # Out-of-focus haze of the cells, and a diffuse glow between them, that the wells' bottoms lack.
    haze_sigma = 2.0 / cfg.pixel_size
    glow = field.glow * field.spindle_brightness
    red = gaussian_filter(canvas.red, haze_sigma) * 0.6 + glow
    green = gaussian_filter(canvas.green, haze_sigma) * 0.6 + 0.3 * glow
    if len(field.wells):
        gx, gy = canvas.pixel_grid()
        d = np.full(canvas.red.shape, np.inf, np.float32)
        for centre in field.wells:  # distance to the nearest well centre
            np.minimum(d, np.hypot(gx - centre[0], gy - centre[1]), out=d)
        outside = 0.5 * (1 + np.tanh((d - field.well_radius) / 0.3))
        rim = 0.07 * field.spindle_brightness * np.exp(-(d - field.well_radius) ** 2 / (2 * 0.3 ** 2))
        red, green = red * outside + rim, green * outside
    field.static_layers = (canvas.red + red).astype(np.float32), (canvas.green + green).astype(np.float32)
    return field.static_layers


def render_signal(field: Field, t: float) -> Tuple[np.ndarray, np.ndarray, List[SpindleView]]:
    """Noise-free signal above background (red, green float32 H x W) and the visible spindles."""
    cfg = field.config
    canvas = Canvas(cfg.width, cfg.height, cfg.pixel_size)
    psf = field.psf_sigma
    line_sigma = math.hypot(psf, BUNDLE_WIDTH_UM)
    spindle_sigma = math.hypot(psf, SPINDLE_WIDTH_UM)
    spot_sigma = math.hypot(psf, SPB_SIZE_UM)
    shift = field.drift
    static_red, static_green = _static_layers(field)
    offset_px = (shift[1] / cfg.pixel_size, shift[0] / cfg.pixel_size)
    canvas.red += ndimage_shift(static_red, offset_px, order=1, mode="nearest")
    canvas.green += ndimage_shift(static_green, offset_px, order=1, mode="nearest")

    views = []
    for cell in field.cells:
        view = spindle_view(cell, t, shift)
        if view is not None:
            views.append(view)
            canvas.polyline(canvas.red, view.curve, spindle_sigma, view.red_peak)
            for end in (view.curve[0], view.curve[-1]):
                canvas.spot(canvas.green, end, spot_sigma, view.green_peak)
        else:
            _draw_interphase(canvas, field, cell, t, shift, line_sigma, spot_sigma)

    for x, y, size, peak in field.debris:
        rng = np.random.default_rng(int(x * 1000 + y))
        for _ in range(5):
            c = np.array([x, y]) + shift + rng.normal(0, size / 2, 2)
            sigma = size * rng.uniform(0.3, 0.6)
            canvas.spot(canvas.red, c, sigma, peak * rng.uniform(0.2, 0.5))
            canvas.spot(canvas.green, c, sigma, peak * rng.uniform(0.1, 0.3))
    return canvas.red, canvas.green, views


def _draw_interphase(canvas: Canvas, field: Field, cell: Cell, t: float, shift: np.ndarray,
                     line_sigma: float, spot_sigma: float) -> None:
    """Bundles and SPB dots of a cell without a spindle (interphase, or before/after mitosis)."""
    program = cell.spindle
    dim = 1.0
    dots = [(u, v, w) for u, v, w in cell.spb_dots]
    if program is not None:
        if t < program.start:  # G2: one SPB where the spindle will form
            dots = [(program.offset, 0.0, 1.0)]
        else:  # after breakdown: two daughter SPBs where the poles were, faint post-anaphase arrays
            half = program.max_length / 2 * 0.95
            dots = [(program.offset - half, 0.0, 1.0), (program.offset + half, 0.0, 1.0)]
            dim = 0.5
    brightness = field.spindle_brightness
    for bundle in cell.bundles:
        s = np.linspace(0, 1, 12)
        u = bundle.u0 + s * (bundle.u1 - bundle.u0)
        v = bundle.v + bundle.bend * (1 - (2 * s - 1) ** 2)
        canvas.polyline(canvas.red, cell.to_field(u, v) + shift, line_sigma, bundle.brightness * brightness * dim)
    green_peak = program.green_peak if program is not None else brightness
    for u, v, w in dots:
        canvas.spot(canvas.green, cell.to_field(np.array(u), np.array(v)) + shift, spot_sigma, w * green_peak)


class Camera:
    """Illumination, bleaching and sensor noise, fixed for one movie."""

    def __init__(self, field: Field, rng: np.random.Generator):
        cfg = field.config
        self.cfg = cfg
        gx, gy = np.meshgrid(np.linspace(-1, 1, cfg.width), np.linspace(-1, 1, cfg.height))
        centre = rng.uniform(-0.3, 0.3, size=2)
        self.illumination = (1 - rng.uniform(0, 0.3) * ((gx - centre[0]) ** 2 + (gy - centre[1]) ** 2) / 2)
        self.bleach_frames = rng.uniform(150, 400)
        # Shot noise so that sigma at the background level is ~3 counts at noise=1 (NOTES §3).
        self.photons_per_count = cfg.background / (9 * cfg.noise ** 2) if cfg.noise > 0 else None
        self.read_sigma = 1.0 * cfg.noise

    def expose(self, red: np.ndarray, green: np.ndarray, frame: int, rng: np.random.Generator) -> np.ndarray:
        """Expected signal -> noisy uint16 counts, shape (2, H, W) (tubulin, SPB)."""
        gain = self.illumination * math.exp(-frame / self.bleach_frames)
        expected = self.cfg.background + np.stack([red, green]) * gain
        if self.photons_per_count is not None:
            expected = rng.poisson(expected * self.photons_per_count) / self.photons_per_count
            expected = expected + rng.normal(0, self.read_sigma, expected.shape)
        return np.clip(np.round(expected), 0, 65535).astype(np.uint16)


def display_frame(counts: np.ndarray, limits: np.ndarray, jpeg_quality: Optional[int]) -> np.ndarray:
    """(2, H, W) counts -> H x W x 3 uint8 RGB (red tubulin, green SPB), like frames taken from an AVI."""
    rg = apply_contrast(np.moveaxis(counts, 0, -1), limits)
    rgb = np.concatenate([rg, np.zeros(rg.shape[:2] + (1,), np.uint8)], axis=2)
    if jpeg_quality is None:
        return rgb
    ok, encoded = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1])
