"""Decode raw sensor_msgs/Image fields into float intensities, without rclpy.

Kept apart from the node so every malformed-image case (unknown encoding, wrong step or data length,
zero size) is a plain ``ValueError`` that tests can trigger without ROS.

Besides the plain pixel layouts (:data:`ENCODINGS`) the camera drivers' packed layouts are decoded
(:data:`PACKED`): YUV 4:2:2 (``yuv422_yuy2`` / ``yuyv`` and ``uyvy`` / ``yuv422``, usb_cam and
v4l2_camera), YUV 4:2:0 ``nv21`` (Android-style) and the 8-bit Bayer mosaics ``bayer_rggb8`` /
``bggr8`` / ``gbrg8`` / ``grbg8`` (industrial and stereo cameras). They come back at the resolution
of their colour samples, which is all the sensor's coarse receptive fields need:

- YUV 4:2:2: one RGB pixel per macro-pixel (two luma samples sharing one U, V): (H, W/2, 3);
- ``nv21``: one RGB pixel per 2x2 luma block sharing one V, U pair: (H/2, W/2, 3);
- Bayer: one RGB pixel per 2x2 cell (its R, the mean of its two G, its B): (H/2, W/2, 3).

YUV is ITU-R BT.601 limited range (luma 16..235, chroma 16..240 around 128), what V4L2 cameras send
and what OpenCV's YUV 4:2:2 / NV21 conversions assume. Luma is averaged over the block that shares a
chroma sample before the (affine) conversion, so a pooled field equals the mean of the full-resolution
conversion wherever no pixel is clipped. One compiled pass per frame (numba).
"""

from __future__ import annotations

import numba
import numpy as np

from hebbian_ros.core import validation as check

#: encoding -> (numpy dtype, channels, channel slice that makes RGB (a view) or None, full scale)
ENCODINGS: dict[str, tuple[str, int, slice | None, float]] = {
    "mono8": ("u1", 1, None, 255.0),
    "8UC1": ("u1", 1, None, 255.0),
    "mono16": ("u2", 1, None, 65535.0),
    "16UC1": ("u2", 1, None, 65535.0),
    "rgb8": ("u1", 3, None, 255.0),
    "bgr8": ("u1", 3, slice(2, None, -1), 255.0),
    "8UC3": ("u1", 3, None, 255.0),
    "rgba8": ("u1", 4, slice(0, 3), 255.0),
    "bgra8": ("u1", 4, slice(2, None, -1), 255.0),
    "32FC1": ("f4", 1, None, 1.0),
}

#: packed encoding -> (family, details). YUV 4:2:2: byte order of the 4-byte macro-pixel (Y0 U Y1 V or
#: U Y0 V Y1); Bayer: (row, col) of R and of B in the 2x2 cell (the greens are the other two); nv21: none.
PACKED: dict[str, tuple[str, tuple]] = {
    "yuv422_yuy2": ("yuv422", ("yuyv",)),
    "yuyv": ("yuv422", ("yuyv",)),
    "uyvy": ("yuv422", ("uyvy",)),
    "yuv422": ("yuv422", ("uyvy",)),  # sensor_msgs' YUV422 is UYVY
    "nv21": ("nv21", ()),
    "bayer_rggb8": ("bayer", (0, 0, 1, 1)),
    "bayer_bggr8": ("bayer", (1, 1, 0, 0)),
    "bayer_gbrg8": ("bayer", (1, 0, 0, 1)),
    "bayer_grbg8": ("bayer", (0, 1, 1, 0)),
}

#: Every encoding :func:`decode_image` accepts.
SUPPORTED = tuple(sorted([*ENCODINGS, *PACKED]))

#: Largest image side accepted; anything larger is treated as a corrupt header.
MAX_SIDE = 16384

# BT.601 limited range, in units of full scale per code value: luma 255/219, chroma from Kr = 0.299,
# Kb = 0.114 scaled by 255/224 (R = Y' + 1.402 Cr, G = Y' - 0.344 Cb - 0.714 Cr, B = Y' + 1.772 Cb).
_KR, _KB = 0.299, 0.114
_KG = 1.0 - _KR - _KB
_LUMA = 255.0 / 219.0 / 255.0
_CHROMA = 255.0 / 224.0 / 255.0
_RV = 2.0 * (1.0 - _KR) * _CHROMA
_GU = -2.0 * (1.0 - _KB) * _KB / _KG * _CHROMA
_GV = -2.0 * (1.0 - _KR) * _KR / _KG * _CHROMA
_BU = 2.0 * (1.0 - _KB) * _CHROMA


@numba.njit(cache=True, nogil=True, inline="always")
def _store_yuv(out, i, j, luma, u, v):
    y = np.float32(_LUMA) * (luma - np.float32(16.0))
    u -= np.float32(128.0)
    v -= np.float32(128.0)
    out[i, j, 0] = min(max(y + np.float32(_RV) * v, np.float32(0.0)), np.float32(1.0))
    out[i, j, 1] = min(max(y + np.float32(_GU) * u + np.float32(_GV) * v, np.float32(0.0)), np.float32(1.0))
    out[i, j, 2] = min(max(y + np.float32(_BU) * u, np.float32(0.0)), np.float32(1.0))


@numba.njit(nogil=True, inline="always")
def _yuv422(rows, y0, u, y1, v, out):
    for i in range(out.shape[0]):
        row = rows[i]
        for j in range(out.shape[1]):
            b = 4 * j
            luma = np.float32(0.5) * (np.float32(row[b + y0]) + np.float32(row[b + y1]))
            _store_yuv(out, i, j, luma, np.float32(row[b + u]), np.float32(row[b + v]))


# One kernel per byte order: constant offsets let the compiler fold the indexing (~25 % faster).
@numba.njit(cache=True, nogil=True)
def _yuyv(rows, out):
    _yuv422(rows, 0, 1, 2, 3, out)


@numba.njit(cache=True, nogil=True)
def _uyvy(rows, out):
    _yuv422(rows, 1, 0, 3, 2, out)


@numba.njit(cache=True, nogil=True)
def _nv21(rows, out):
    height = 2 * out.shape[0]
    for i in range(out.shape[0]):
        top, bottom, chroma = rows[2 * i], rows[2 * i + 1], rows[height + i]
        for j in range(out.shape[1]):
            b = 2 * j
            luma = np.float32(0.25) * (
                np.float32(top[b]) + np.float32(top[b + 1]) + np.float32(bottom[b]) + np.float32(bottom[b + 1])
            )
            _store_yuv(out, i, j, luma, np.float32(chroma[b + 1]), np.float32(chroma[b]))


@numba.njit(cache=True, nogil=True)
def _bayer(rows, red_row, red_col, blue_row, blue_col, out):
    scale = np.float32(1.0 / 255.0)
    for i in range(out.shape[0]):
        red_line, blue_line = rows[2 * i + red_row], rows[2 * i + blue_row]
        green_a, green_b = rows[2 * i + red_row], rows[2 * i + blue_row]  # greens: (R row, B col), (B row, R col)
        for j in range(out.shape[1]):
            b = 2 * j
            out[i, j, 0] = scale * np.float32(red_line[b + red_col])
            out[i, j, 1] = (
                np.float32(0.5) * scale * (np.float32(green_a[b + blue_col]) + np.float32(green_b[b + red_col]))
            )
            out[i, j, 2] = scale * np.float32(blue_line[b + blue_col])


def _contiguous(data) -> memoryview:
    try:
        data = memoryview(data)
        if not data.c_contiguous:
            raise TypeError("not contiguous")
    except TypeError:
        raise ValueError(f"image: data must be contiguous bytes, got {type(data).__name__}") from None
    return data


def _decode_packed(height: int, width: int, encoding: str, step: int, data: memoryview) -> np.ndarray:
    family, offsets = PACKED[encoding]
    if width % 2 or (family != "yuv422" and height % 2):
        even = "width" if family == "yuv422" else "width and height"
        raise ValueError(f"image: {encoding} needs an even {even}, got {width}x{height}")
    row_bytes = 2 * width if family == "yuv422" else width
    if step < row_bytes:
        raise ValueError(f"image: step {step} shorter than one row of {encoding} ({row_bytes} bytes)")
    lines = height + height // 2 if family == "nv21" else height  # nv21: the VU plane follows the Y plane
    if data.nbytes != lines * step:
        raise ValueError(f"image: data length {data.nbytes} != {lines} rows * step {step} = {lines * step}")
    rows = np.frombuffer(data, dtype=np.uint8).reshape(lines, step)
    if family == "yuv422":
        out = np.empty((height, width // 2, 3), np.float32)
        (_yuyv if offsets == ("yuyv",) else _uyvy)(rows, out)
    elif family == "nv21":
        out = np.empty((height // 2, width // 2, 3), np.float32)
        _nv21(rows, out)
    else:
        out = np.empty((height // 2, width // 2, 3), np.float32)
        _bayer(rows, *offsets, out)
    return out


def decode_image(
    height: int,
    width: int,
    encoding: str,
    step: int,
    data: bytes | bytearray | memoryview,
    is_bigendian: bool = False,
    max_pixels: int | None = None,
) -> np.ndarray:
    """Return the image as float32 intensities in [0, 1], shape (height, width, 1 or 3).

    Colour images come back in RGB order; alpha is dropped. 16-bit images (e.g. 16UC1 depth) are
    scaled by their full range, 32FC1 is clipped to [0, 1] with NaN treated as 0. Packed encodings
    (:data:`PACKED`: YUV, Bayer) come back RGB at their colour-sample resolution (see the module).

    :param max_pixels: largest ``height * width`` accepted (None: only :data:`MAX_SIDE` per side); the
        float32 image is 4-12x the message's size, so a node caps it.
    :raises ValueError: naming the problem for an unknown encoding, a zero or absurd size, a step
        shorter than a row, an odd size for a packed encoding, or a data length different from
        ``height * step`` (``nv21``: ``1.5 * height * step``).
    """
    height, width, step = check.as_int("height", height), check.as_int("width", width), check.as_int("step", step)
    data = _contiguous(data)
    if not isinstance(encoding, str) or (encoding not in ENCODINGS and encoding not in PACKED):
        raise ValueError(f"image: unknown encoding {encoding!r} (supported: {', '.join(SUPPORTED)})")
    if height <= 0 or width <= 0:
        raise ValueError(f"image: zero size ({width}x{height})")
    if height > MAX_SIDE or width > MAX_SIDE:
        raise ValueError(f"image: absurd size {width}x{height} (max side {MAX_SIDE})")
    if max_pixels is not None and height * width > max_pixels:
        raise ValueError(f"image: {width}x{height} = {width * height} pixels, above max_pixels {max_pixels}")
    if encoding in PACKED:
        return _decode_packed(height, width, encoding, step, data)
    kind, channels, rgb, full_scale = ENCODINGS[encoding]
    dtype = np.dtype(kind).newbyteorder(">" if is_bigendian else "<")
    row_bytes = width * channels * dtype.itemsize
    if step < row_bytes:
        raise ValueError(f"image: step {step} shorter than one row of {encoding} ({row_bytes} bytes)")
    if data.nbytes != height * step:
        raise ValueError(f"image: data length {data.nbytes} != height*step = {height}*{step} = {height * step}")
    rows = np.frombuffer(data, dtype=np.uint8).reshape(height, step)[:, :row_bytes]
    pixels = np.ascontiguousarray(rows).view(dtype).reshape(height, width, channels)
    if rgb is not None:
        pixels = pixels[:, :, rgb]
    out = pixels.astype(np.float32, order="C")
    np.divide(out, np.float32(full_scale), out=out)
    if kind == "f4":
        out = np.clip(np.nan_to_num(out, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    return out
