"""CompressedImage payloads: JPEG (libjpeg-turbo via simplejpeg) against Pillow's decoding, PNG against
the exact pixels it encoded, and malformed data (truncated, mislabelled, bombs) refused by name."""

import io
import struct
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image as PILImage

from hebbian_ros.core.sensing.compressed import dct_scale, decode_compressed
from hebbian_ros.core.sensing.receptive_fields import pool_grid


def smooth_rgb(height=96, width=128):
    yy, xx = np.mgrid[0:height, 0:width] / float(height)
    rgb = np.stack([0.5 + 0.4 * np.sin(4 * xx), 0.5 + 0.4 * np.cos(3 * yy), 0.3 + 0.3 * xx * yy], axis=2)
    return np.round(rgb * 255).astype(np.uint8)


def encode(array, fmt, **options):
    buffer = io.BytesIO()
    PILImage.fromarray(array).save(buffer, fmt, **options)
    return buffer.getvalue()


def pillow_decoded(data):
    image = np.asarray(PILImage.open(io.BytesIO(data)))
    return (image if image.ndim == 3 else image[:, :, None]).astype(np.float32) / 255


@pytest.mark.parametrize("format", ["jpeg", "bgr8; jpeg compressed bgr8", "rgb8; jpeg compressed bgr8", ""])
def test_jpeg_matches_pillow_decoding(format):
    data = encode(smooth_rgb(), "JPEG", quality=90)
    image = decode_compressed(format, data)
    assert image.shape == (96, 128, 3) and image.dtype == np.float32 and image.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(image, pillow_decoded(data), atol=3 / 255)  # two IDCT implementations


@pytest.mark.parametrize("field_pixels, shape", [(2, (24, 32, 3)), (4, (48, 64, 3)), (8, (96, 128, 3))])
def test_jpeg_scaled_in_the_dct_domain_gives_the_same_fields(field_pixels, shape):
    data = encode(smooth_rgb(), "JPEG", quality=90)
    small = decode_compressed("jpeg", data, grid=(8, 8), field_pixels=field_pixels)
    assert small.shape == shape
    reference = pool_grid(pillow_decoded(data), 8, 8, 3)
    np.testing.assert_allclose(pool_grid(small, 8, 8, 3, validate=False), reference, atol=0.01)


@pytest.mark.parametrize(
    "size, grid, field_pixels, factor",
    [
        ((480, 640), (8, 8), 4, 4),  # 1/8 = 60x80 fits but 60 rows do not tile 8 fields; 1/4 = 120x160 does
        ((720, 1280), (8, 8), 4, 8),  # neither 90 nor 180 rows tile 8 fields: the coarsest, 1/8
        ((64, 64), (8, 8), 4, 2),  # 1/2 = 32x32 is the coarsest with 4 pixels per field
        ((480, 640), (8, 8), 0, 1),  # 0: full size
        ((480, 640), (256, 256), 4, 1),  # a grid finer than the image: full size
    ],
)
def test_dct_scale(size, grid, field_pixels, factor):
    assert dct_scale(*size, grid, field_pixels) == factor


def test_grey_jpeg_and_png_give_one_channel():
    grey = smooth_rgb()[:, :, 1]
    for fmt, tolerance in (("JPEG", 3 / 255), ("PNG", 1e-6)):
        data = encode(grey, fmt)
        image = decode_compressed(fmt.lower(), data)
        assert image.shape == (96, 128, 1)
        np.testing.assert_allclose(image, pillow_decoded(data), atol=tolerance)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P"])
def test_png_is_lossless(mode):
    rgb = smooth_rgb(40, 60)
    image = PILImage.fromarray(rgb).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    expected = np.asarray(image.convert("RGB")).astype(np.float32) / 255
    np.testing.assert_allclose(decode_compressed("png", buffer.getvalue()), expected, atol=1e-6)


def test_sixteen_bit_png_scales_by_full_range():
    depth = np.array([[0, 65535], [1000, 30000]], np.uint16)
    buffer = io.BytesIO()
    PILImage.fromarray(depth).save(buffer, "PNG")
    np.testing.assert_allclose(decode_compressed("png", buffer.getvalue())[:, :, 0], depth / 65535, atol=1e-6)


def jpeg_claiming(height, width):
    """A valid small JPEG whose frame header (SOF0) is rewritten to claim ``height`` x ``width``."""
    data = bytearray(encode(smooth_rgb(16, 16), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_claiming(height, width):
    """A valid small PNG whose IHDR (with a correct CRC) claims ``height`` x ``width``."""
    data = bytearray(encode(smooth_rgb(16, 16), "PNG"))
    start = data.index(b"IHDR")
    data[start + 4 : start + 12] = struct.pack(">II", width, height)
    data[start + 17 : start + 21] = struct.pack(">I", zlib.crc32(bytes(data[start : start + 17])))
    return bytes(data)


@pytest.mark.parametrize("make", [jpeg_claiming, png_claiming])
def test_bomb_is_refused_without_allocating_the_claimed_size(make):
    bomb = make(16000, 16000)  # 256 Mpx, 768 MB as RGB
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="claims 16000x16000 .* refused before decoding"):
            decode_compressed("", bomb, max_pixels=16_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_max_pixels_is_the_limit():
    data = encode(smooth_rgb(), "PNG")
    assert decode_compressed("png", data, max_pixels=96 * 128).shape == (96, 128, 3)
    with pytest.raises(ValueError, match="max_pixels 12287"):
        decode_compressed("png", data, max_pixels=96 * 128 - 1)


@pytest.mark.parametrize(
    "format, data, problem",
    [
        ("jpeg", encode(smooth_rgb(), "JPEG")[:700], "truncated JPEG"),
        ("png", encode(smooth_rgb(), "PNG")[:900], "truncated PNG"),
        ("jpeg", b"", "empty data"),
        ("jpeg", b"GIF89a" + bytes(40), "neither JPEG nor PNG"),
        ("png", encode(smooth_rgb(), "JPEG"), "says png but the data is jpeg"),
        ("16UC1; compressedDepth png", encode(smooth_rgb(), "PNG"), "compressedDepth"),
        ("jpeg", b"\xff\xd8\xff" + bytes(30), "corrupt JPEG header"),
    ],
)
def test_malformed_payloads_name_the_problem(format, data, problem):
    with pytest.raises(ValueError, match=problem):
        decode_compressed(format, data)
