"""Decode sensor_msgs/CompressedImage payloads (JPEG, PNG) into float intensities, without rclpy.

JPEG is decoded by libjpeg-turbo through ``simplejpeg`` (measured against Pillow in
``bench/camera_decoding.py``), optionally scaled down in the DCT domain (1/2, 1/4, 1/8 while decoding:
the inverse DCT and colour conversion of the skipped pixels are never done), which is all the sensor's
coarse receptive fields need.
PNG is decoded by Pillow. The format comes from the payload's signature, so image_transport's
``"bgr8; jpeg compressed bgr8"`` and a driver's plain ``"jpeg"`` are read alike; a ``format`` that
names the other codec, or ``compressedDepth``, is refused.

Decompression bombs: the dimensions are read from the header first and an image claiming more than
``max_pixels`` (or a side above :data:`MAX_SIDE`) is refused before anything of that size is
allocated. Truncated or corrupt data is a ``ValueError`` naming the problem.
"""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np
import simplejpeg
from PIL import Image as PILImage

from hebbian_ros.core import validation as check
from hebbian_ros.core.parameters import SENSOR
from hebbian_ros.core.sensing.image_decoding import MAX_SIDE

#: Default limit on the pixels a compressed image may claim (a 4K frame is 8.3 Mpx).
MAX_PIXELS = SENSOR.default("max_pixels")

JPEG_SIGNATURE = b"\xff\xd8\xff"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def compressed_kind(format: str, data: bytes | bytearray | memoryview) -> str:
    """``"jpeg"`` or ``"png"`` from the payload's signature, checked against ``format``'s codec name."""
    head = bytes(memoryview(data)[:8])
    kind = "jpeg" if head.startswith(JPEG_SIGNATURE) else "png" if head.startswith(PNG_SIGNATURE) else None
    text = format.lower() if isinstance(format, str) else ""
    if "compresseddepth" in text:
        raise ValueError(f"compressed image: format {format!r} (compressedDepth) is not supported")
    if kind is None:
        raise ValueError(
            f"compressed image: data is neither JPEG nor PNG (format {format!r}, first bytes {head.hex()})"
        )
    named = "jpeg" if ("jpeg" in text or "jpg" in text) else "png" if "png" in text else None
    if named is not None and named != kind:
        raise ValueError(f"compressed image: format {format!r} says {named} but the data is {kind}")
    return kind


def _check_size(kind: str, height: int, width: int, max_pixels: int) -> None:
    if height <= 0 or width <= 0:
        raise ValueError(f"compressed image: {kind} header claims a zero size ({width}x{height})")
    if height > MAX_SIDE or width > MAX_SIDE or height * width > max_pixels:
        raise ValueError(
            f"compressed image: {kind} header claims {width}x{height} = {width * height} pixels, "
            f"above the limit (max_pixels {max_pixels}, max side {MAX_SIDE}); refused before decoding"
        )


def jpeg_header(data) -> tuple[int, int, bool]:
    """(height, width, grey) of a JPEG from its header alone."""
    try:
        height, width, colourspace, _ = simplejpeg.decode_jpeg_header(data)
    except ValueError as error:
        raise ValueError(f"compressed image: corrupt JPEG header ({error})") from None
    return height, width, colourspace.lower() == "gray"


def dct_scale(height: int, width: int, grid: tuple[int, int] | None, field_pixels: int) -> int:
    """The JPEG downscaling factor (1, 2, 4 or 8) to decode a ``height`` x ``width`` image for ``grid`` fields.

    The coarsest scale that keeps at least ``field_pixels`` pixels per field side; one step finer if
    that one tiles the grid exactly (every field the same number of pixels, as at full size) and the
    coarsest does not. ``grid`` None or ``field_pixels`` 0: full size.
    """
    if grid is None or field_pixels <= 0:
        return 1
    rows, cols = grid

    def scaled(factor: int) -> tuple[int, int]:
        return -(-height // factor), -(-width // factor)  # libjpeg-turbo rounds up

    def fits(factor: int) -> bool:
        h, w = scaled(factor)
        return h >= rows * field_pixels and w >= cols * field_pixels

    def tiles(factor: int) -> bool:
        h, w = scaled(factor)
        return h % rows == 0 and w % cols == 0

    coarsest = next((f for f in (8, 4, 2) if fits(f)), 1)
    if not tiles(coarsest) and coarsest > 1 and tiles(coarsest // 2):
        return coarsest // 2
    return coarsest


def decode_jpeg(
    data, max_pixels: int = MAX_PIXELS, grid: tuple[int, int] | None = None, field_pixels: int = 0
) -> np.ndarray:
    """JPEG -> float32 (H, W, 3) RGB or (H, W, 1) grey in [0, 1], scaled down by :func:`dct_scale`."""
    height, width, grey = jpeg_header(data)
    _check_size("JPEG", height, width, max_pixels)
    factor = dct_scale(height, width, grid, field_pixels)
    try:
        pixels = simplejpeg.decode_jpeg(
            data,
            colorspace="GRAY" if grey else "RGB",
            min_height=-(-height // factor),  # the coarsest scale at least this large: 1/factor
            min_width=-(-width // factor),
            strict=True,
        )
    except ValueError as error:
        raise ValueError(f"compressed image: corrupt or truncated JPEG ({error})") from None
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    out = pixels.astype(np.float32)
    np.multiply(out, np.float32(1.0 / 255.0), out=out)
    return out


def decode_png(data, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """PNG -> float32 (H, W, 3) RGB or (H, W, 1) grey in [0, 1] (16-bit grey by its full range)."""
    head = bytes(memoryview(data)[:24])
    if len(head) < 24 or head[12:16] != b"IHDR":
        raise ValueError("compressed image: corrupt PNG header (no IHDR chunk first)")
    width, height = struct.unpack(">II", head[16:24])  # IHDR is the first chunk: the size before anything else
    _check_size("PNG", height, width, max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
            image = PILImage.open(io.BytesIO(data), formats=["PNG"])
            image.load()
    except (OSError, SyntaxError, EOFError, PILImage.DecompressionBombError) as error:
        raise ValueError(f"compressed image: corrupt or truncated PNG ({error})") from None
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        pixels = np.asarray(image, dtype=np.float32)[:, :, None] / np.float32(65535.0)
        return np.clip(pixels, 0.0, 1.0).astype(np.float32)
    if image.mode in ("1", "L", "LA"):
        pixels = np.asarray(image.convert("L"))[:, :, None]
    else:
        pixels = np.asarray(image.convert("RGB"))
    return np.multiply(pixels, np.float32(1.0 / 255.0), dtype=np.float32)


def decode_compressed(
    format: str,
    data: bytes | bytearray | memoryview,
    max_pixels: int = MAX_PIXELS,
    grid: tuple[int, int] | None = None,
    field_pixels: int = 0,
) -> np.ndarray:
    """A CompressedImage payload as float32 (H, W, 1 or 3) intensities in [0, 1], RGB order.

    :param max_pixels: largest width x height the header may claim; larger is refused unallocated.
    :param grid, field_pixels: JPEG only: decode scaled down in the DCT domain for a (rows, cols) grid
        of receptive fields, keeping ``field_pixels`` pixels per field side (:func:`dct_scale`; 0: full
        size). PNG has no such scaling and is decoded at full size.
    :raises ValueError: for empty, unknown, mislabelled, corrupt, truncated or oversized data.
    """
    max_pixels = check.as_int("max_pixels", max_pixels)
    if max_pixels <= 0:
        raise ValueError(f"max_pixels: must be positive, got {max_pixels}")
    try:
        data = memoryview(data)
    except TypeError:
        raise ValueError(f"compressed image: data must be bytes, got {type(data).__name__}") from None
    if data.nbytes == 0:
        raise ValueError("compressed image: empty data")
    if compressed_kind(format, data) == "jpeg":
        return decode_jpeg(data, max_pixels, grid, field_pixels)
    return decode_png(data, max_pixels)
