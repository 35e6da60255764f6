"""Reading frames: 8/16-bit PNG and TIFF, 1-3 channels, any extension case, and broken files."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import tifffile

from yoloxsp.errors import InputError
from yoloxsp.io import auto_contrast, read_image, to_rgb8

pytestmark = pytest.mark.core

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("suffix", [".png", ".PNG", ".tif", ".TIFF"])
def test_round_trip_keeps_depth_channels_and_order(tmp_path, dtype, channels, suffix):
    image = RNG.integers(0, np.iinfo(dtype).max, size=(20, 30, channels), dtype=dtype)
    path = tmp_path / f"frame{suffix}"
    if suffix.lower().startswith(".tif"):
        tifffile.imwrite(path, image)
    else:
        cv2.imwrite(str(path), image[..., ::-1] if channels == 3 else image[..., 0])
    got = read_image(path)
    assert got.dtype == dtype and got.shape == (20, 30, channels)
    np.testing.assert_array_equal(got, image)  # RGB order preserved


def test_two_channel_channels_first_tiff(tmp_path):
    image = RNG.integers(0, 4000, size=(2, 16, 24), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "tub_spb.tif", image)
    got = read_image(tmp_path / "tub_spb.tif")
    assert got.shape == (16, 24, 2)
    rgb = to_rgb8(got)
    assert rgb.shape == (16, 24, 3) and rgb.dtype == np.uint8 and rgb[..., 2].max() == 0


def test_jpeg(tmp_path):
    image = RNG.integers(0, 255, size=(16, 16, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "a.JPG"), image)
    assert read_image(tmp_path / "a.JPG").shape == (16, 16, 3)


def test_missing_and_truncated_files_name_the_file(tmp_path):
    with pytest.raises(InputError, match=r"nothere\.png: image file not found"):
        read_image(tmp_path / "nothere.png")
    good = tmp_path / "good.png"
    cv2.imwrite(str(good), RNG.integers(0, 255, size=(64, 64, 3), dtype=np.uint8))
    broken = tmp_path / "broken.png"
    broken.write_bytes(good.read_bytes()[:40])
    with pytest.raises(InputError, match=r"broken\.png: cannot decode"):
        read_image(broken)
    bad_tiff = tmp_path / "bad.tif"
    bad_tiff.write_bytes(b"II*\x00garbage")
    with pytest.raises(InputError, match=r"bad\.tif: (cannot read image|TIFF holds no image data)"):
        read_image(bad_tiff)


def test_auto_contrast_maps_percentiles_and_rejects_nan():
    ramp = np.arange(1000, dtype=np.uint16).reshape(10, 100)
    out = auto_contrast(ramp, 0.0, 100.0)
    assert out.min() == 0 and out.max() == 255 and out.dtype == np.uint8
    with pytest.raises(InputError, match="NaN"):
        auto_contrast(np.array([[1.0, np.nan]]))
