"""YUV 4:2:2, NV21 and Bayer decoding against independent per-pixel reference conversions.

The references below are written from the textbook formulas (BT.601 limited range with its usual
rounded coefficients; Bayer cells by hand), one pixel at a time, at full resolution. The decoder
returns one RGB pixel per colour sample (macro-pixel, 2x2 block or Bayer cell), so each test
compares the decoder with the reference averaged over those blocks, and what the sensor sees (the
pooled receptive fields) with the reference pooled the same way.
"""

import numpy as np
import pytest

from hebbian_ros.core.sensing.image_decoding import SUPPORTED, decode_image
from hebbian_ros.core.sensing.receptive_fields import pool_grid


def bt601_pixel(y, u, v):
    """One pixel, BT.601 limited range (Y 16..235, U/V 16..240), as RGB in [0, 1] (clipped)."""
    r = 1.164 * (y - 16) + 1.596 * (v - 128)
    g = 1.164 * (y - 16) - 0.392 * (u - 128) - 0.813 * (v - 128)
    b = 1.164 * (y - 16) + 2.017 * (u - 128)
    return [min(max(c / 255.0, 0.0), 1.0) for c in (r, g, b)]


def block_mean(image, rows, cols):
    h, w, c = image.shape
    return image.reshape(h // rows, rows, w // cols, cols, c).mean(axis=(1, 3))


def in_gamut_yuv(rng, height, width):
    """Planes whose every pixel converts inside [0, 1]: no clipping, so block means commute."""
    y = rng.integers(60, 181, (height, width))
    u = rng.integers(110, 147, (height, width))
    v = rng.integers(110, 147, (height, width))
    return y, u, v


def yuv422_reference(y, u, v):
    """Full-resolution RGB of a 4:2:2 frame: both pixels of a pair use the pair's (first) U and V."""
    height, width = y.shape
    out = np.zeros((height, width, 3))
    for i in range(height):
        for j in range(width):
            pair = j - j % 2
            out[i, j] = bt601_pixel(y[i, j], u[i, pair], v[i, pair])
    return out


def pack_yuv422(y, u, v, order, pad=0):
    height, width = y.shape
    rows = []
    for i in range(height):
        row = []
        for j in range(0, width, 2):
            values = {"Y0": y[i, j], "U": u[i, j], "Y1": y[i, j + 1], "V": v[i, j]}
            row += [values[name] for name in order]
        rows.append(bytes(row) + bytes(pad))
    return b"".join(rows)


@pytest.mark.parametrize(
    "encoding, order",
    [
        ("yuv422_yuy2", ("Y0", "U", "Y1", "V")),
        ("yuyv", ("Y0", "U", "Y1", "V")),
        ("uyvy", ("U", "Y0", "V", "Y1")),
        ("yuv422", ("U", "Y0", "V", "Y1")),
    ],
)
def test_yuv422_matches_bt601_reference(encoding, order):
    rng = np.random.default_rng(1)
    height, width = 16, 24
    y, u, v = in_gamut_yuv(rng, height, width)
    reference = yuv422_reference(y, u, v)
    image = decode_image(height, width, encoding, 2 * width + 4, pack_yuv422(y, u, v, order, pad=4))
    assert image.shape == (height, width // 2, 3) and image.dtype == np.float32 and image.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(image, block_mean(reference, 1, 2), atol=2e-3)
    fields = pool_grid(image, 4, 4, 3, validate=False)
    np.testing.assert_allclose(fields, pool_grid(reference.astype(np.float32), 4, 4, 3), atol=2e-3)


def test_yuv422_saturated_colours_clip_to_unit_range():
    # pure-ish red (Y 81, U 90, V 240) and a white beyond 235
    data = bytes([81, 90, 81, 240, 255, 128, 255, 128])
    image = decode_image(1, 4, "yuv422_yuy2", 8, data)
    np.testing.assert_allclose(image[0, 0], bt601_pixel(81, 90, 240), atol=2e-3)
    np.testing.assert_allclose(image[0, 1], [1.0, 1.0, 1.0])
    assert image.min() >= 0.0 and image.max() <= 1.0


def test_nv21_matches_bt601_reference():
    rng = np.random.default_rng(2)
    height, width = 12, 16
    y, u, v = in_gamut_yuv(rng, height, width)
    reference = np.zeros((height, width, 3))
    for i in range(height):
        for j in range(width):  # one V, U pair per 2x2 block, taken at its top-left pixel
            reference[i, j] = bt601_pixel(y[i, j], u[i - i % 2, j - j % 2], v[i - i % 2, j - j % 2])
    vu = np.zeros((height // 2, width), np.uint8)
    vu[:, 0::2] = v[0::2, 0::2]  # NV21: V first
    vu[:, 1::2] = u[0::2, 0::2]
    data = y.astype(np.uint8).tobytes() + vu.tobytes()
    image = decode_image(height, width, "nv21", width, data)
    assert image.shape == (height // 2, width // 2, 3)
    np.testing.assert_allclose(image, block_mean(reference, 2, 2), atol=2e-3)
    np.testing.assert_allclose(
        pool_grid(image, 3, 4, 3, validate=False), pool_grid(reference.astype(np.float32), 3, 4, 3), atol=2e-3
    )


def mosaic(rgb, pattern):
    """Sample a full RGB image through a Bayer colour-filter array named like 'rggb' (row by row)."""
    height, width, _ = rgb.shape
    out = np.zeros((height, width), np.uint8)
    channel = {"r": 0, "g": 1, "b": 2}
    for i in range(height):
        for j in range(width):
            out[i, j] = rgb[i, j, channel[pattern[2 * (i % 2) + j % 2]]]
    return out


@pytest.mark.parametrize("pattern", ["rggb", "bggr", "gbrg", "grbg"])
def test_bayer_recovers_a_cell_constant_image_exactly(pattern):
    rng = np.random.default_rng(3)
    cells = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    rgb = cells.repeat(2, axis=0).repeat(2, axis=1)  # each 2x2 cell one colour: demosaicking is exact
    raw = mosaic(rgb, pattern)
    image = decode_image(10, 14, f"bayer_{pattern}8", 14, raw.tobytes())
    assert image.shape == (5, 7, 3)
    np.testing.assert_allclose(image * 255, cells, atol=1e-3)


@pytest.mark.parametrize("pattern", ["rggb", "bggr", "gbrg", "grbg"])
def test_bayer_pooled_fields_match_the_original_image(pattern):
    # A smooth image (what a lens delivers): pooled fields of the demosaicked image are the original's.
    yy, xx = np.mgrid[0:32, 0:48] / 32.0
    rgb = np.stack([0.5 + 0.4 * np.sin(3 * xx), 0.5 + 0.4 * np.cos(2 * yy), 0.2 + 0.6 * xx * yy / 1.5], axis=2)
    raw = mosaic(np.round(rgb * 255).astype(np.uint8), pattern)
    image = decode_image(32, 48, f"bayer_{pattern}8", 48, raw.tobytes())
    fields = pool_grid(image, 4, 4, 3, validate=False)
    np.testing.assert_allclose(fields, pool_grid(rgb.astype(np.float32), 4, 4, 3), atol=0.02)


def test_swapped_bayer_patterns_swap_red_and_blue():
    raw = mosaic(np.full((2, 2, 3), [200, 100, 20], np.uint8), "rggb")
    np.testing.assert_allclose(decode_image(2, 2, "bayer_bggr8", 2, raw.tobytes())[0, 0] * 255, [20, 100, 200])


@pytest.mark.parametrize(
    "args, problem",
    [
        ((2, 3, "yuv422_yuy2", 6, bytes(12)), "even width"),
        ((3, 4, "nv21", 4, bytes(18)), "even width and height"),
        ((3, 4, "bayer_rggb8", 4, bytes(12)), "even width and height"),
        ((2, 4, "uyvy", 6, bytes(12)), "step"),
        ((2, 4, "uyvy", 8, bytes(15)), "data length"),
        ((4, 4, "nv21", 4, bytes(16)), "data length"),  # the VU plane is missing
        ((2, 2, "bayer_rggb16", 4, bytes(8)), "unknown encoding"),
    ],
)
def test_malformed_packed_images_name_the_problem(args, problem):
    with pytest.raises(ValueError, match=problem):
        decode_image(*args)


def test_every_issue_15_encoding_is_supported():
    wanted = {"yuv422_yuy2", "uyvy", "nv21", "bayer_rggb8", "bayer_bggr8", "bayer_gbrg8", "bayer_grbg8"}
    assert wanted <= set(SUPPORTED)


def test_max_pixels_caps_raw_images_too():
    assert decode_image(2, 4, "mono8", 4, bytes(8), max_pixels=8).shape == (2, 4, 1)
    with pytest.raises(ValueError, match="above max_pixels 7"):
        decode_image(2, 4, "yuv422_yuy2", 8, bytes(16), max_pixels=7)
