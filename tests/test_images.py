"""Reading frames: 8/16-bit PNG and TIFF, 1-3 channels, any extension case, and broken files."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import tifffile

from yoloxsp.errors import InputError
from yoloxsp.io import read_image, to_rgb8

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


def _tubulin_field() -> np.ndarray:
    """One 8-bit channel: dim background, bars of several brightnesses seen through a PSF, noise."""
    rng = np.random.default_rng(3)
    bars = np.zeros((96, 128), np.float32)
    bars[20:24, 10:60] = 230
    bars[50:53, 40:120] = 100
    bars[70:90, 100:103] = 160
    image = cv2.GaussianBlur(bars, (0, 0), 1.2) + rng.normal(12, 2, bars.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def _rgb(red=None, green=None, blue=None, like=None) -> np.ndarray:
    planes = [np.zeros_like(like) if p is None else p for p in (red, green, blue)]
    return np.stack(planes, axis=-1)


@pytest.mark.parametrize("export", ["grey", "green", "cyan", "magenta"])
@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_one_channel_exported_as_rgb_reaches_the_model_as_tubulin(tmp_path, export, suffix):
    tubulin = _tubulin_field()
    rgb = {"grey": _rgb(tubulin, tubulin, tubulin), "green": _rgb(green=tubulin, like=tubulin),
           "cyan": _rgb(green=tubulin, blue=tubulin, like=tubulin),
           "magenta": _rgb(red=tubulin, blue=tubulin, like=tubulin)}[export]
    path = tmp_path / f"{export}{suffix}"
    cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 80])
    seen = to_rgb8(read_image(path))
    assert seen[..., 1:].max() == 0  # no SPB channel: a one-channel recording
    error = np.abs(seen[..., 0].astype(int) - tubulin)
    if suffix == ".png":
        assert error.max() == 0
    else:  # JPEG moves levels, most in saturated colours
        assert error.mean() < 3 and error[21:23, 15:55].max() < 30


def _spindles_with_poles(n: int = 8, seed: int = 5):
    """Sparse spindles on a background clipped to 0 (tubulin) and 2-3 px SPB dots at their ends."""
    rng = np.random.default_rng(seed)
    tubulin, spb = np.zeros((256, 256), np.float32), np.zeros((256, 256), np.float32)
    for _ in range(n):
        x, y, length = rng.integers(20, 220), rng.integers(21, 230), rng.integers(8, 30)
        tubulin[y:y + 2, x:x + length] = 220
        spb[y - 1:y + 2, x - 1:x + 1] = spb[y - 1:y + 2, x + length - 1:x + length + 1] = 250
    blurred = [np.clip(cv2.GaussianBlur(p, (0, 0), 0.8), 0, 255).astype(np.uint8) for p in (tubulin, spb)]
    return blurred[0], blurred[1]


def test_frames_with_a_second_image_keep_their_channels():
    tubulin = _tubulin_field()
    spb = np.full_like(tubulin, 4)
    spb[21:24, 8:11] = 60  # two faint SPB dots at the bright bar's ends
    spb[21:24, 58:61] = 60
    sparse_tubulin, sparse_spb = _spindles_with_poles()
    for frame in (_rgb(tubulin, spb, like=tubulin),                       # tubulin + SPB
                  _rgb(spb, tubulin, like=tubulin),                       # other colours, other order
                  _rgb(tubulin, (tubulin // 2).astype(np.uint8), like=tubulin),  # SPB marker on microtubules
                  _rgb(tubulin, like=tubulin),                            # already tubulin in red
                  _rgb(sparse_tubulin, sparse_spb, like=sparse_tubulin),  # sparse spindles, black background
                  _rgb((sparse_tubulin // 8).astype(np.uint8), sparse_spb, like=sparse_tubulin)):  # dim tubulin
        np.testing.assert_array_equal(to_rgb8(frame), frame)
    with_faint_spb = _rgb(tubulin, np.where(spb > 4, 12, 0).astype(np.uint8), like=tubulin)
    np.testing.assert_array_equal(to_rgb8(with_faint_spb), with_faint_spb)  # red first: never emptied
