"""Files as microscopes and Fiji write them: unit spellings, plain multi-page stacks, axes given by
metadata or by the user, OME-TIFF, DeltaVision (written by ``mrc``) and Zeiss CZI (written by
``pylibCZIrw``), read frame by frame; unreadable files are named in the error."""
from __future__ import annotations

import mrc
import numpy as np
import pytest
import tifffile
from pylibCZIrw import czi as pyczi

from yoloxsp.errors import InputError
from yoloxsp.io import open_movie
from yoloxsp.io.units import micrometres_per

pytestmark = pytest.mark.core

RNG = np.random.default_rng(3)


def frames_of(path, **options):
    movie = open_movie(path, **options)
    frames = list(movie.frames())
    assert len(frames) == movie.n_frames
    return movie, frames


def stack(*shape, dtype=np.uint16):
    return RNG.integers(0, 4000 if dtype == np.uint16 else 255, size=shape, dtype=dtype)


# ------------------------------------------------------------------ calibration as Fiji writes it
@pytest.mark.parametrize("unit, pixels_per_unit, um_per_pixel", [
    ("\\u00B5m", 15.38, 1 / 15.38),   # Fiji escapes the micro sign: 0.065 um/px
    ("\\u03BCm", 15.38, 1 / 15.38),  # escaped Greek mu
    ("micron", 15.38, 1 / 15.38),
    ("um", 10.0, 0.1),
    ("nm", 1 / 65, 0.065),
    ("mm", 1 / 6.5e-5, 0.065),
])
def test_imagej_units_give_micrometres(tmp_path, unit, pixels_per_unit, um_per_pixel):
    path = tmp_path / "fiji.tif"
    tifffile.imwrite(path, stack(4, 24, 20), imagej=True, resolution=(pixels_per_unit, pixels_per_unit),
                     metadata={"axes": "TYX", "unit": unit, "finterval": 0.5, "tunit": "min"})
    movie = open_movie(path)
    assert movie.pixel_size == pytest.approx(um_per_pixel, rel=1e-6)
    assert movie.frame_interval == pytest.approx(30.0)  # 0.5 min


def test_fiji_escaped_micro_sign_is_0065_um(tmp_path):
    """The issue's file: 16-bit, one channel, ImageJ ``unit=\\u00B5m``, XResolution 15.38 px per unit."""
    path = tmp_path / "cell.tif"
    tifffile.imwrite(path, stack(5, 247, 80), imagej=True, resolution=(15.38, 15.38),
                     metadata={"axes": "TYX", "unit": "\\u00B5m"})
    with tifffile.TiffFile(path) as tif:
        assert "unit=\\u00B5m" in tif.pages[0].description  # as Fiji writes it, escaped
    movie = open_movie(path)
    assert movie.pixel_size == pytest.approx(0.065, abs=5e-5) and movie.frame_interval is None
    assert movie.n_frames == 5


@pytest.mark.parametrize("unit, micrometres", [("\u00b5m", 1.0), ("\u03bcm", 1.0), (" Micron ", 1.0),
                                                ("\\u00b5m", 1.0), ("nanometre", 1e-3), ("pixel", None)])
def test_unit_spellings_tifffile_cannot_write(unit, micrometres):
    """tifffile writes ASCII descriptions only; other software writes the micro sign or mu as such."""
    assert micrometres_per(unit) == micrometres


@pytest.mark.parametrize("unit", ["pixel", "inch", ""])
def test_unknown_or_missing_unit_leaves_pixel_size_unknown(tmp_path, unit):
    path = tmp_path / "a.tif"
    tifffile.imwrite(path, stack(2, 16, 16), imagej=True, resolution=(4.0, 4.0),
                     metadata={"axes": "TYX", "unit": unit} if unit else {"axes": "TYX"})
    assert open_movie(path).pixel_size is None


# ------------------------------------------------------------------ which axis is time
@pytest.mark.parametrize("n_pages", [3, 4, 7])
def test_plain_stack_pages_are_frames_of_one_channel(tmp_path, n_pages):
    data = stack(n_pages, 40, 30)
    path = tmp_path / "plain.tif"
    tifffile.imwrite(path, data)  # no axes: tifffile stores 3 or 4 planes as samples of one page
    movie, frames = frames_of(path)
    assert movie.n_frames == n_pages and movie.pixel_size is None
    for t, frame in enumerate(frames):
        assert frame.shape == (40, 30, 1) and np.array_equal(frame[..., 0], data[t])


def test_pages_written_one_by_one_without_any_metadata_are_frames(tmp_path):
    data = stack(3, 40, 30)
    path = tmp_path / "pages.tif"
    with tifffile.TiffWriter(path) as writer:
        for page in data:
            writer.write(page, metadata=None)
    movie, frames = frames_of(path)
    assert movie.n_frames == 3 and np.array_equal(np.stack(frames)[..., 0], data)


def test_axes_override_reads_pages_as_channels_and_back(tmp_path):
    data = stack(3, 40, 30)
    plain = tmp_path / "plain.tif"
    tifffile.imwrite(plain, data)
    movie, frames = frames_of(plain, axes="CYX")
    assert movie.n_frames == 1 and np.array_equal(frames[0], data.transpose(1, 2, 0))
    fiji = tmp_path / "channels.tif"
    tifffile.imwrite(fiji, data, imagej=True, metadata={"axes": "CYX"})  # metadata says channels
    assert open_movie(fiji).n_frames == 1
    movie, frames = frames_of(fiji, axes="tyx")
    assert movie.n_frames == 3 and np.array_equal(frames[2][..., 0], data[2])


def test_axes_override_of_a_time_channel_stack(tmp_path):
    data = stack(5, 2, 40, 30)
    path = tmp_path / "tc.tif"
    tifffile.imwrite(path, data)  # no axes: tifffile records QQYX, and which is time would be a guess
    with pytest.raises(InputError, match=r"tc\.tif: TIFF axes QQYX .*Q and Q would all be read as time.*--axes"):
        open_movie(path)
    movie, frames = frames_of(path, axes="TCYX")
    assert movie.n_frames == 5 and all(np.array_equal(f, data[t].transpose(1, 2, 0)) for t, f in enumerate(frames))
    with pytest.raises(InputError, match="5 channels"):
        open_movie(path, axes="CTYX")
    channel_major = stack(2, 5, 40, 30)
    tifffile.imwrite(path, channel_major)
    movie, frames = frames_of(path, axes="CTYX")
    assert movie.n_frames == 5 and np.array_equal(frames[3], channel_major[:, 3].transpose(1, 2, 0))


@pytest.mark.parametrize("axes, message", [
    ("TYX", "names 3 axes but the TIFF stores 4"),
    ("TCXY", "Y and X must stay"),
    ("TTYX", "at most once"),
    ("QCYX", "at most once"),
])
def test_bad_axes_are_refused_naming_the_file(tmp_path, axes, message):
    path = tmp_path / "tc.tif"
    tifffile.imwrite(path, stack(5, 2, 40, 30))
    with pytest.raises(InputError, match=f"tc.tif: .*{message}"):
        open_movie(path, axes=axes)
    with pytest.raises(InputError, match="TIFF stacks only"):
        open_movie(tmp_path, axes="TYX")


def test_imagej_hyperstack_projects_z_and_keeps_channels(tmp_path):
    data = stack(3, 4, 2, 40, 30)  # T Z C Y X
    path = tmp_path / "hyper.tif"
    tifffile.imwrite(path, data, imagej=True, metadata={"axes": "TZCYX"})
    movie, frames = frames_of(path)
    assert movie.n_frames == 3
    for t, frame in enumerate(frames):
        assert np.array_equal(frame, data[t].max(axis=0).transpose(1, 2, 0))


def test_ome_tiff_channel_major_with_units(tmp_path):
    data = stack(2, 4, 40, 30)  # C T Y X, as some acquisition software orders it
    path = tmp_path / "movie.ome.tif"
    tifffile.imwrite(path, data, ome=True, metadata={"axes": "CTYX", "PhysicalSizeX": 65.0, "PhysicalSizeXUnit": "nm",
                                                     "TimeIncrement": 0.5, "TimeIncrementUnit": "min"})
    movie, frames = frames_of(path)
    assert (movie.n_frames, movie.pixel_size, movie.frame_interval) == (4, pytest.approx(0.065), pytest.approx(30))
    assert all(np.array_equal(f, data[:, t].transpose(1, 2, 0)) for t, f in enumerate(frames))


def test_rgb_frames_stay_colour(tmp_path):
    data = stack(4, 40, 30, 3, dtype=np.uint8)
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, data)  # interleaved RGB pixels
    movie, frames = frames_of(path)
    assert movie.n_frames == 4 and np.array_equal(frames[3], data[3])


def test_frames_stream_up_to_a_damaged_page(tmp_path):
    """Frames are read page by page: those before a damaged page arrive before the error does."""
    data = stack(20, 64, 64)
    path = tmp_path / "long.tif"
    tifffile.imwrite(path, data, imagej=True, metadata={"axes": "TYX"}, compression="zlib")
    with tifffile.TiffFile(path) as tif:
        offset = tif.pages[12].dataoffsets[0]
    blob = bytearray(path.read_bytes())
    blob[offset:offset + 64] = b"\xff" * 64  # page 12's compressed data no longer inflates
    path.write_bytes(bytes(blob))
    got = []
    with pytest.raises(InputError, match=r"long\.tif: frame 12: cannot read"):
        for frame in open_movie(path).frames():
            got.append(frame)
    assert len(got) == 12 and all(np.array_equal(f[..., 0], data[t]) for t, f in enumerate(got))


def test_stack_stored_as_one_contiguous_block_streams_from_a_memory_map(tmp_path):
    """Files with one header for all frames (ImageJ over 4 GB, tifffile's ``truncate``)."""
    data = stack(12, 2, 40, 30)
    path = tmp_path / "block.tif"
    tifffile.imwrite(path, data, truncate=True, metadata={"axes": "TCYX"})
    with tifffile.TiffFile(path) as tif:
        assert len(tif.pages) == 1 and tif.series[0].shape == data.shape
    movie, frames = frames_of(path)
    assert movie.n_frames == 12 and all(np.array_equal(f, data[t].transpose(1, 2, 0)) for t, f in enumerate(frames))


def test_truncated_imagej_stack_is_refused_not_shortened(tmp_path):
    """tifffile reads the pages left before a truncation as a shorter stack; the ImageJ header
    says how many there were, so the missing frames are an error, not silently gone."""
    path = tmp_path / "cut.tif"
    tifffile.imwrite(path, stack(20, 64, 64), imagej=True, metadata={"axes": "TYX"})
    blob = path.read_bytes()
    path.write_bytes(blob[:len(blob) // 2])
    with pytest.raises(InputError, match=r"cut\.tif: .*20 images"):
        open_movie(path)


# ------------------------------------------------------------------ vendor formats through bioio
def test_deltavision_file_written_by_mrc(tmp_path):
    data = stack(5, 40, 48)
    path = tmp_path / "cell.dv"
    mrc.imsave(str(path), data, resolution=(0.065, 0.065), zAxisOrder="t")
    movie, frames = frames_of(path)
    assert movie.kind == "microscope" and movie.n_frames == 5
    assert movie.pixel_size == pytest.approx(0.065, rel=1e-6) and movie.frame_interval is None
    assert all(np.array_equal(f[..., 0], data[t]) for t, f in enumerate(frames))


def test_deltavision_z_stack_of_one_time_point_reads_planes_as_frames(tmp_path):
    data = stack(2, 3, 40, 48)  # W (channels) Z Y X
    path = tmp_path / "zstack.dv"
    mrc.imsave(str(path), data, resolution=(0.1, 0.1), zAxisOrder="wz")
    movie, frames = frames_of(path)
    assert movie.n_frames == 3 and movie.pixel_size == pytest.approx(0.1, rel=1e-6)
    assert all(np.array_equal(f, data[:, z].transpose(1, 2, 0)) for z, f in enumerate(frames))


def test_zeiss_czi_written_by_pylibczirw(tmp_path):
    data = stack(4, 2, 40, 48)  # T C Y X
    path = tmp_path / "movie.czi"
    with pyczi.create_czi(str(path), exist_ok=True) as writer:
        for t in range(4):
            for c in range(2):
                writer.write(data[t, c], plane={"T": t, "C": c, "Z": 0})
        writer.write_metadata(document_name="movie", channel_names={0: "tubulin", 1: "SPB"},
                              scale_x=0.065e-6, scale_y=0.065e-6)
    movie, frames = frames_of(path)
    assert (movie.kind, movie.n_frames, movie.pixel_size) == ("microscope", 4, pytest.approx(0.065))
    assert all(np.array_equal(f, data[t].transpose(1, 2, 0)) for t, f in enumerate(frames))
    with pytest.raises(InputError, match="no scene 'nope'"):
        open_movie(path, scene="nope")


@pytest.mark.parametrize("suffix", [".nd2", ".czi", ".lif", ".dv"])
def test_unreadable_vendor_files_are_named(tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"not a microscope file" * 40)
    with pytest.raises(InputError, match=f"broken\\{suffix}: cannot read \\{suffix} file"):
        open_movie(path)
