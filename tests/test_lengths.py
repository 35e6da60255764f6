"""Ridge-following spindle length on drawn spindles with known lengths."""
from __future__ import annotations

import numpy as np
import pytest

from scipy.ndimage import map_coordinates

from yoloxsp.analysis.lengths import ridge_length, sample, straight_length

pytestmark = pytest.mark.core


def draw_ridge(points: np.ndarray, shape=(80, 120), sigma: float = 1.2) -> np.ndarray:
    """A bright line through ``points`` (dense x, y samples), Gaussian across, on a dark field."""
    ys, xs = np.mgrid[0:shape[0], 0:shape[1]] + 0.5
    image = np.zeros(shape)
    for x, y in points:
        image = np.maximum(image, np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma ** 2)))
    return 1000 * image + 100


def test_straight_spindle_ridge_equals_chord():
    p, q = np.array([20.3, 40.0]), np.array([95.7, 30.2])
    line = p + np.linspace(0, 1, 400)[:, None] * (q - p)
    image = draw_ridge(line)
    assert ridge_length(image, np.array([p, q])) == pytest.approx(straight_length(np.array([p, q])), rel=0.005)


def test_bent_spindle_ridge_recovers_the_arc_the_chord_misses():
    angles = np.linspace(np.pi * 0.25, np.pi * 0.75, 600)   # a 90-degree arc of radius 45 px
    arc = np.column_stack([60 + 45 * np.cos(angles), 70 - 45 * np.sin(angles)])
    image = draw_ridge(arc)
    poles = arc[[0, -1]]
    true_length = 45 * np.pi / 2
    assert straight_length(poles) < 0.91 * true_length      # the chord is 10% short
    assert ridge_length(image, poles) == pytest.approx(true_length, rel=0.03)


def test_missing_pole_and_tiny_spindle():
    image = np.zeros((20, 20))
    assert np.isnan(ridge_length(image, np.array([[1.0, 1.0], [np.nan, np.nan]])))
    assert ridge_length(image, np.array([[5.0, 5.0], [7.0, 5.0]])) == pytest.approx(2.0)


def test_sampling_reads_the_pixels_around_the_points_as_the_whole_image_would():
    """Bilinear samples from the window around the points equal those from the whole frame, at
    points inside, on the edges and beyond them (edge pixels repeated), for 8-bit frames too."""
    rng = np.random.default_rng(7)
    for _ in range(500):
        height, width = rng.integers(1, 40, 2)
        image = rng.integers(0, 255, (height, width)).astype(np.uint8)
        points = rng.uniform(-10, max(height, width) + 5, 2) + rng.uniform(-8, 8, (rng.integers(1, 20), 3, 2))
        whole = map_coordinates(image.astype(float), [points[..., 1] - 0.5, points[..., 0] - 0.5], order=1,
                                mode="nearest")
        assert np.array_equal(sample(image, points), whole)
