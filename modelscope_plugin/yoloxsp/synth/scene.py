"""The biology and geometry of a synthetic field, in micrometres and minutes.

A field holds micro-wells (optional) and rod-shaped cells packed around them. Interphase cells
carry dim curved microtubule bundles and one or two SPB dots -- the distractors a detector must
ignore. Mitotic cells run a spindle program (published S. pombe kinetics): phase 1 formation (< 1 um growing to
the plateau), phase 2 plateau (~2.5-3 um), phase 3 anaphase B elongation (0.5-1 um/min) up to
10-14 um, then breakdown, after which two daughter SPB dots remain. Before its spindle forms a
mitotic cell looks like an interphase cell with one SPB. The tubulin of a spindle stays about
constant as it elongates, so long anaphase spindles are thin and dim (as in real movies); long ones
bend, some into a hook at one end.

Hard negatives beside the interphase cells: cells caught after breakdown (two poles, no bar),
bright straight interphase bundles, round dead-cell blobs and debris.

Everything here is pure geometry; :mod:`.render` turns it into pixels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from ..errors import InputError
from .config import SynthConfig

Array = np.ndarray
DIMMING_ONSET = 1.5  # a spindle keeps its brightness until 1.5x its plateau length (early anaphase B)


@dataclass
class Bundle:
    """An interphase microtubule bundle in cell coordinates (u along the axis, v across)."""

    u0: float
    u1: float
    v: float
    bend: float
    brightness: float  # relative to the field's spindle brightness
    spb_spots: Tuple[Tuple[float, float], ...] = ()  # SPB-marker spots on it: (share of its span, brightness)
    slant: float = 0.0  # dv/du: a bundle that runs across the cell at a slant (crossing another)


@dataclass
class SpindleProgram:
    """When and how one cell's spindle forms, holds, elongates and breaks down."""

    track_id: int
    start: float        # min, movie time at which phase 1 begins
    formation: float    # min, phase 1 duration
    plateau: float      # min, phase 2 duration
    rate: float         # um/min, phase 3 elongation
    start_length: float
    plateau_length: float
    max_length: float
    tilt: float         # rad, spindle axis relative to the cell axis
    offset: float       # um, spindle centre along the cell axis
    bend: float         # sagitta / chord of a long spindle
    hook: float         # sideways curl of one end at full length, share of the chord (0: none)
    dimming: float      # red peak ~ (onset / length)^dimming beyond onset = DIMMING_ONSET x plateau_length
    red_peak: float     # counts above background
    green_peak: float

    @property
    def duration(self) -> float:
        return self.formation + self.plateau + (self.max_length - self.plateau_length) / self.rate

    def state(self, t: float) -> Optional[Tuple[int, float]]:
        """(phase, length um) at movie time ``t`` (min), or None before formation / after breakdown."""
        dt = t - self.start
        if dt < 0 or dt >= self.duration:
            return None
        if dt < self.formation:
            frac = dt / self.formation
            return 1, self.start_length + frac * (self.plateau_length - self.start_length)
        if dt < self.formation + self.plateau:
            return 2, self.plateau_length
        return 3, min(self.max_length, self.plateau_length + (dt - self.formation - self.plateau) * self.rate)


@dataclass
class Cell:
    x: float
    y: float
    angle: float
    length: float
    width: float
    bundles: List[Bundle]
    spb_dots: List[Tuple[float, float, float]]  # (u, v, brightness) in interphase
    red_fill: float
    green_fill: float
    spindle: Optional[SpindleProgram] = None

    @property
    def axis(self) -> Array:
        return np.array([math.cos(self.angle), math.sin(self.angle)])

    @property
    def normal(self) -> Array:
        return np.array([-math.sin(self.angle), math.cos(self.angle)])

    def to_field(self, u: Array, v: Array) -> Array:
        """Cell coordinates -> field coordinates (um), shape (..., 2)."""
        u, v = np.asarray(u, float), np.asarray(v, float)
        return (np.array([self.x, self.y]) + u[..., None] * self.axis + v[..., None] * self.normal)

    def endpoints(self) -> Tuple[Array, Array]:
        half = (self.length - self.width) / 2
        return self.to_field(np.array(-half), np.array(0.0)), self.to_field(np.array(half), np.array(0.0))


@dataclass
class SpindleView:
    """One visible spindle at one time point, in field micrometres."""

    track_id: int
    phase: int
    curve: Array          # (n, 2) points from pole 1 to pole 2
    length: float         # arc length, um
    red_peak: float
    green_peak: float


@dataclass
class Field:
    """A whole field: wells, cells and global stage drift."""

    config: SynthConfig
    wells: Array                       # (n, 2) well centres, um
    well_radius: float
    cells: List[Cell]
    spindle_brightness: float          # field's typical spindle peak, counts
    psf_sigma: float                   # um
    glow: float                        # diffuse background outside wells, share of spindle brightness
    debris: List[Tuple[float, float, float, float]] = field(default_factory=list)  # x, y, size, peak
    dead_cells: List[Tuple[float, float, float, float, float]] = field(default_factory=list)  # x, y, r, red, green
    texture_seed: int = 0              # fixed textures of the render (glow pattern, debris shapes)
    drift: Array = field(default_factory=lambda: np.zeros(2))
    static_layers: Optional[Tuple[Array, Array]] = None  # render cache, see render._static_layers

    @property
    def extent(self) -> Tuple[float, float]:
        return self.config.width * self.config.pixel_size, self.config.height * self.config.pixel_size


class CrowdedFieldError(InputError):
    """The field cannot hold the mitotic cells its config asks for: the settings' fault, so one of
    yoloxsp's user-facing errors (``yoloxsp synth`` prints its line), and still a ValueError."""


# ---------------------------------------------------------------------------------- building

def build_field(config: SynthConfig, rng: np.random.Generator) -> Field:
    """Place wells and cells, give the mitotic ones their spindle programs, add the hard negatives."""
    fw, fh = config.width * config.pixel_size, config.height * config.pixel_size
    texture_seed = int(rng.integers(2 ** 31))
    radius = config.well_diameter / 2
    wells = _well_lattice(fw, fh, radius, rng) if config.wells else np.zeros((0, 2))
    brightness = config.spindle_peak if config.spindle_peak is not None else rng.uniform(30, 130)
    psf = config.psf_sigma if config.psf_sigma is not None else rng.uniform(0.15, 0.28)
    placed: List[Cell] = []
    movie_minutes = config.frames * config.frame_interval / 60

    # Spindle tracks first, then cells caught after breakdown: both need a whole cell in view.
    for track_id in range(config.spindles + config.breakdowns):
        cell = _place_cell(placed, wells, radius, fw, fh, rng, config, mitotic=True, brightness=brightness)
        if cell is None and len(wells):  # no room between wells: leave out the wells in its way
            cell = _place_cell(placed, np.zeros((0, 2)), radius, fw, fh, rng, config, mitotic=True,
                               brightness=brightness)
            if cell is not None:
                wells = wells[[_fits(cell, [], w[None], radius) for w in wells]]
        if cell is None:
            raise CrowdedFieldError(f"cannot fit {config.spindles} mitotic cells and {config.breakdowns} cells after "
                                    f"breakdown into a {config.width}x{config.height} px field at {config.pixel_size} "
                                    "um/px; ask for fewer cells, a larger field or a larger pixel size")
        cell.spindle = _spindle_program(track_id, cell, movie_minutes, config, brightness, rng)
        if track_id >= config.spindles:  # over before the movie starts: two poles, no bar, no truth
            cell.spindle.start = -cell.spindle.duration - rng.uniform(0.5, 10.0)
        placed.append(cell)

    free_area = max(fw * fh - len(wells) * math.pi * radius ** 2, 0.0)
    if config.overlap:  # cells fall at random (centres up to a third of a cell beyond the edges), so
        # the summed cell area that covers that share of the field is -ln(1 - coverage) times the area
        margin = 2 * 10.0 / 3
        target = -math.log(1 - config.cell_coverage) * free_area * (fw + margin) * (fh + margin) / (fw * fh)
    else:
        target = config.cell_coverage * free_area
    covered = sum(c.length * c.width for c in placed)
    failures = 0
    while covered < target and failures < 200:
        cell = _place_cell(placed, wells, radius, fw, fh, rng, config, mitotic=False, brightness=brightness)
        if cell is None:
            failures += 1
            continue
        placed.append(cell)
        covered += cell.length * cell.width
    debris = [(rng.uniform(0, fw), rng.uniform(0, fh), rng.uniform(0.6, 2.0), brightness * rng.uniform(0.3, 1.0))
              for _ in range(config.debris)]
    # Dead cells: round, 1-2 um across, brighter than spindles in both channels (as in real movies).
    peak, size = brightness * config.dead_cell_brightness, config.dead_cell_size
    dead = [(rng.uniform(0, fw), rng.uniform(0, fh), size * rng.uniform(0.5, 1.0), peak * rng.uniform(0.8, 2.5),
             peak * rng.uniform(0.5, 2.0)) for _ in range(config.dead_cells)]
    glow = rng.uniform(0.02, 0.06) if config.wells else 0.0
    return Field(config, wells, radius, placed, brightness, psf, glow, debris, dead, texture_seed=texture_seed)


def _well_lattice(fw: float, fh: float, radius: float, rng: np.random.Generator) -> Array:
    spacing = 2 * radius * rng.uniform(1.9, 2.4)  # centre spacing / diameter ~2.1 in the real frame
    theta = rng.uniform(-0.1, 0.1)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    origin = rng.uniform(0, spacing, size=2)
    n = int(max(fw, fh) / spacing) + 3
    centres = []
    for row in range(-2, n):
        for col in range(-2, n):
            local = np.array([col * spacing + (row % 2) * spacing / 2, row * spacing * math.sqrt(3) / 2])
            p = rot @ local + origin
            if -radius < p[0] < fw + radius and -radius < p[1] < fh + radius:
                centres.append(p)
    return np.array(centres).reshape(-1, 2)


def _place_cell(placed: List[Cell], wells: Array, well_radius: float, fw: float, fh: float,
                rng: np.random.Generator, config: SynthConfig, mitotic: bool, brightness: float) -> Optional[Cell]:
    # A single-cell crop is barely wider than a cell: keep the mitotic cell's width inside it.
    width = min(rng.uniform(3.5, 4.5), min(fw, fh) - 0.5) if mitotic else rng.uniform(3.5, 4.5)
    length = rng.uniform(11.0, 14.0) if mitotic else rng.uniform(7.0, 13.0)
    if mitotic and width < 2.0:
        return None
    tries = 400 if mitotic else 60
    for attempt in range(tries):
        angle = rng.uniform(0, math.pi)
        if mitotic:  # whole cell inside the field so its spindle never leaves it
            if attempt >= tries // 2:  # a narrow field only fits a cell along its long side
                angle = (0.0 if fw >= fh else math.pi / 2) + rng.normal(0, 0.05)
            half_x = abs(math.cos(angle)) * (length - width) / 2 + width / 2 + 0.2
            half_y = abs(math.sin(angle)) * (length - width) / 2 + width / 2 + 0.2
            if fw < 2 * half_x or fh < 2 * half_y:
                continue
            x, y = rng.uniform(half_x, fw - half_x), rng.uniform(half_y, fh - half_y)
        else:
            x, y = rng.uniform(-length / 3, fw + length / 3), rng.uniform(-length / 3, fh + length / 3)
        cell = Cell(x, y, angle, length, width, [], [], 0.0, 0.0)
        others = [] if config.overlap and not mitotic else placed
        if _fits(cell, others, wells, well_radius):
            _dress_cell(cell, rng, brightness, config)
            return cell
    return None


def _dress_cell(cell: Cell, rng: np.random.Generator, brightness: float, config: SynthConfig) -> None:
    """Give a placed cell its interphase bundles, SPB dots and cytoplasm glow."""
    length, width = cell.length, cell.width
    half = length / 2
    bundles = []
    for _ in range(rng.integers(2, 5)):
        span = rng.uniform(0.35, 0.85) * length
        u0 = rng.uniform(-half + 0.6, half - 0.6 - span) if span < length - 1.2 else -half + 0.6
        bundles.append(Bundle(u0, min(u0 + span, half - 0.6), rng.uniform(-0.3, 0.3) * width,
                              rng.uniform(-0.25, 0.25) * width, rng.uniform(0.1, 0.35)))
    # Optional features draw from their own stream, so that switching them on moves no cell.
    extras = np.random.default_rng(rng.integers(2 ** 63))
    if extras.random() < config.bright_bundles:  # straight, nearly as bright as a spindle, no poles at its ends
        span = extras.uniform(3.0, min(8.0, length - 1.5))
        u0 = extras.uniform(-half + 0.6, half - 0.6 - span)
        bundles.append(Bundle(u0, u0 + span, extras.uniform(-0.15, 0.15) * width, 0.0, extras.uniform(0.4, 0.9)))
    spb_at_end = None
    if extras.random() < config.mimics:
        bundles_added, spb_at_end = _mimic(extras, length, width, config.channel_mode == "tubulin-only")
        bundles.extend(bundles_added)
    if config.channel_mode == "spb-on-microtubules":  # spots about 1 um apart along every bundle
        for bundle in bundles:
            n = max(1, int(round((bundle.u1 - bundle.u0) / extras.uniform(0.7, 1.5))))
            bundle.spb_spots = tuple((float(np.clip((k + 0.5 + extras.normal(0, 0.2)) / n, 0, 1)),
                                      float(extras.uniform(0.05, 0.25))) for k in range(n))
    n_dots = 1 if rng.random() < 0.75 else 2
    spb = []
    for _ in range(n_dots):
        spb.append((rng.uniform(-0.25, 0.25) * length, rng.uniform(-0.2, 0.2) * width, rng.uniform(0.4, 1.2)))
    if spb_at_end is not None:  # the mimic's one SPB dot, where a spindle would have a pole
        spb[0] = spb_at_end
    fill = config.autofluorescence * brightness * rng.uniform(0.6, 1.6)
    cell.bundles, cell.spb_dots = bundles, spb
    cell.red_fill, cell.green_fill = fill, fill * rng.uniform(0.2, 0.6)


def _mimic(rng: np.random.Generator, length: float, width: float, tubulin_only: bool
           ) -> Tuple[List[Bundle], Optional[Tuple[float, float, float]]]:
    """Interphase microtubules that look like a spindle to a detector, as other labs' dense fields
    show them: a bundle as bright and straight as a spindle with the SPB dot at one end only, a
    short bright bar with no SPB dot at either end, or two bright bundles crossing at a slant.
    Returns the bundles and, for the first kind, the SPB dot (u, v, brightness) at its end.
    In tubulin-only cells a short bar is a metaphase spindle to any eye, so none is drawn there."""
    kinds = ("bundle", "cross") if tubulin_only else ("bundle", "bar", "cross")
    kind = kinds[int(rng.integers(len(kinds)))]
    half = length / 2 - 0.6
    if kind == "bar":
        span = rng.uniform(1.0, 2.5)
        u0 = rng.uniform(-half, half - span)
        return [Bundle(u0, u0 + span, rng.uniform(-0.15, 0.15) * width, 0.0, rng.uniform(0.8, 1.3))], None
    if kind == "bundle":
        span = rng.uniform(2.5, max(2.6, min(9.0, 2 * half)))
        u0 = rng.uniform(-half, max(-half, half - span))
        v = rng.uniform(-0.15, 0.15) * width
        bundle = Bundle(u0, min(u0 + span, half), v, 0.0, rng.uniform(0.7, 1.2))
        end = bundle.u0 if rng.random() < 0.5 else bundle.u1
        return [bundle], (end, v, rng.uniform(0.6, 1.2))
    crossing = []
    centre = rng.uniform(-half / 2, half / 2)
    for sign in (-1, 1):
        span = rng.uniform(3.0, max(3.1, min(7.0, 2 * half)))
        slant = sign * min(rng.uniform(0.1, 0.35), 0.6 * width / span)  # ends stay inside the cell
        u0 = float(np.clip(centre - span / 2, -half, half - 1.0))
        crossing.append(Bundle(u0, min(u0 + span, half), 0.0, 0.0, rng.uniform(0.5, 1.0), slant=slant))
    return crossing, None


def _axis(cell: Cell) -> Tuple[float, float, float, float]:
    """The cell's axis segment (x0, y0, x1, y1), um: the rod is this segment grown by width / 2."""
    half = (cell.length - cell.width) / 2
    dx, dy = half * math.cos(cell.angle), half * math.sin(cell.angle)
    return cell.x - dx, cell.y - dy, cell.x + dx, cell.y + dy


def _point_to_segment(px: float, py: float, seg: Tuple[float, float, float, float]) -> float:
    x0, y0, x1, y1 = seg
    dx, dy = x1 - x0, y1 - y0
    t = min(1.0, max(0.0, ((px - x0) * dx + (py - y0) * dy) / max(dx * dx + dy * dy, 1e-12)))
    return math.hypot(px - x0 - t * dx, py - y0 - t * dy)


def _segment_distance(a: Tuple[float, float, float, float], b: Tuple[float, float, float, float]) -> float:
    """Shortest distance between two segments (0 when they cross)."""
    def side(x0, y0, x1, y1, px, py):
        return (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0)

    if (side(*a, *b[:2]) * side(*a, *b[2:]) < 0) and (side(*b, *a[:2]) * side(*b, *a[2:]) < 0):
        return 0.0
    return min(_point_to_segment(*a[:2], b), _point_to_segment(*a[2:], b),
               _point_to_segment(*b[:2], a), _point_to_segment(*b[2:], a))


def _fits(cell: Cell, placed: List[Cell], wells: Array, well_radius: float) -> bool:
    """Whether ``cell`` keeps clear of the wells and of every ``placed`` cell."""
    axis = _axis(cell)
    if len(wells):
        x0, y0, x1, y1 = axis
        d = np.array([x1 - x0, y1 - y0])
        t = np.clip(((wells - [x0, y0]) @ d) / max(d @ d, 1e-12), 0.0, 1.0)
        gap = np.hypot(*(wells - [x0, y0] - t[:, None] * d).T)
        if (gap < well_radius + cell.width / 2 + 0.3).any():
            return False
    for other in placed:
        if math.hypot(other.x - cell.x, other.y - cell.y) > (other.length + cell.length) / 2 + 1:
            continue
        if _segment_distance(axis, _axis(other)) < (cell.width + other.width) / 2 + 0.2:
            return False
    return True


def _spindle_program(track_id: int, cell: Cell, movie_minutes: float, config: SynthConfig,
                     brightness: float, rng: np.random.Generator) -> SpindleProgram:
    plateau_length = rng.uniform(2.2, 3.2)
    hook_draw, hook_size, hook_side = rng.random(), rng.uniform(0.08, 0.18), rng.choice([-1, 1])
    hook = hook_size * hook_side if hook_draw < config.hooks else 0.0
    program = SpindleProgram(
        track_id=track_id, start=0.0, formation=rng.uniform(1.0, 3.0), plateau=rng.uniform(4.0, 12.0),
        rate=rng.uniform(0.5, 1.0), start_length=rng.uniform(0.5, 0.9), plateau_length=plateau_length,
        max_length=min(rng.uniform(10.0, 14.0), cell.length - 0.8), tilt=rng.normal(0, 0.15),
        offset=rng.uniform(-0.4, 0.4), bend=rng.uniform(0.0, config.max_bend), hook=hook,
        dimming=config.length_dimming,
        red_peak=brightness * rng.uniform(0.75, 1.25), green_peak=brightness * rng.uniform(0.6, 1.5))
    # Start so that the spindle is on screen for part of the movie, at any phase.
    step = config.frame_interval / 60
    if config.frames == 1:
        program.start = -rng.uniform(0, program.duration - 1e-6)
    else:
        program.start = rng.uniform(-0.8 * program.duration, max(0.0, movie_minutes - 0.2 * program.duration - step))
    return program


# ---------------------------------------------------------------------------------- dynamics

def advance(field: Field, rng: np.random.Generator) -> None:
    """Move the field on by one frame: stage drift, and the jitter of the cells with a spindle program.

    Other cells keep still relative to the stage, so :mod:`.render` draws them once per movie."""
    field.drift = field.drift + rng.normal(0, 0.03, size=2) + np.array([0.01, -0.005])
    for cell in field.cells:
        if cell.spindle is not None:
            cell.x += rng.normal(0, 0.015)
            cell.y += rng.normal(0, 0.015)
            cell.angle += rng.normal(0, 0.002)


def spindle_view(cell: Cell, t: float, drift: Array) -> Optional[SpindleView]:
    """The cell's spindle at movie time ``t`` (field um, drift applied), or None."""
    program = cell.spindle
    state = program.state(t) if program else None
    if state is None:
        return None
    phase, length = state
    # Short spindles wobble more around the cell axis; elongating ones align with it.
    tilt = program.tilt * (2.0 if phase < 3 else 1.0)
    long_share = float(np.clip((length - 5.0) / max(program.max_length - 5.0, 1e-6), 0.0, 1.0))
    bend = program.bend if length > 5.0 else 0.0
    hook = program.hook * long_share  # the hook curls in as the spindle nears full length
    chord = length / (1 + 8 / 3 * bend ** 2 + 2 * hook ** 2)
    s = np.linspace(-0.5, 0.5, 25)
    u = program.offset + s * chord * math.cos(tilt)
    v = s * chord * math.sin(tilt) + bend * chord * (1 - 4 * s ** 2) + hook * chord * np.maximum(0, 4 * s - 1) ** 2
    curve = cell.to_field(u, v) + drift
    arc = float(np.linalg.norm(np.diff(curve, axis=0), axis=1).sum())
    # Tubulin per spindle stays about constant, so once anaphase B is under way its line thins and
    # dims: real long spindles are ~4x dimmer than short ones, ~2/3 as bright at 25-45 px (real frames).
    dimming = min(1.0, DIMMING_ONSET * program.plateau_length / arc) ** program.dimming
    return SpindleView(program.track_id, phase, curve, arc, program.red_peak * dimming, program.green_peak)
