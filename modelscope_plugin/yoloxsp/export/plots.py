"""Spindle length over time, one line per track; and the one way yoloxsp makes a figure.

Figures are matplotlib's object-oriented ``Figure`` on an explicit Agg canvas, never pyplot:
pyplot keeps global state and ``matplotlib.use`` would switch a notebook user's backend, while a
Figure with its own canvas draws headless and touches nothing outside itself. matplotlib is
imported on first plot: it is a large share of a short run's start-up.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(**figure_options) -> Figure:
    """A matplotlib ``Figure`` drawn by its own Agg canvas (no pyplot, no backend switch);
    ``figure_options`` go to ``Figure`` (figsize, dpi...)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(**figure_options)
    FigureCanvasAgg(figure)
    return figure


def plot_lengths(detections: List[Dict[str, float]], path: Path, frame_interval: Optional[float] = None) -> Path:
    """Write ``path`` (PNG): :func:`lengths_figure`."""
    lengths_figure(detections, frame_interval).savefig(path)
    return path


def lengths_figure(detections: List[Dict[str, float]], frame_interval: Optional[float] = None) -> Figure:
    """Length in um when known (else px) against minutes (else frames), one line per track."""
    use_um = any(np.isfinite(d["length_um"]) for d in detections)
    figure = new_figure(figsize=(7, 4), dpi=120)
    axes = figure.subplots()
    for track in sorted({d["track_id"] for d in detections}):
        mine = sorted((d for d in detections if d["track_id"] == track), key=lambda d: d["frame"])
        t = np.array([d["frame"] for d in mine], float) * ((frame_interval / 60.0) if frame_interval else 1.0)
        y = np.array([d["length_um" if use_um else "length_px"] for d in mine], float)
        axes.plot(t, y, marker=".", label=f"track {track}")
    axes.set_xlabel("time (min)" if frame_interval else "frame")
    axes.set_ylabel("spindle length (um)" if use_um else "spindle length (px)")
    if detections:
        axes.legend(fontsize="small", ncol=2)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure
