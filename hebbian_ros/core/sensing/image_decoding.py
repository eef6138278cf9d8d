"""Decode raw sensor_msgs/Image fields into float intensities, without rclpy.

Kept apart from the node so every malformed-image case (unknown encoding, wrong step or data length,
zero size) is a plain ``ValueError`` that tests can trigger without ROS.
"""

from __future__ import annotations

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

#: Largest image side accepted; anything larger is treated as a corrupt header.
MAX_SIDE = 16384


def decode_image(
    height: int, width: int, encoding: str, step: int, data: bytes | bytearray | memoryview, is_bigendian: bool = False
) -> np.ndarray:
    """Return the image as float32 intensities in [0, 1], shape (height, width, 1 or 3).

    Colour images come back in RGB order; alpha is dropped. 16-bit images (e.g. 16UC1 depth) are
    scaled by their full range, 32FC1 is clipped to [0, 1] with NaN treated as 0.

    :raises ValueError: naming the problem for an unknown encoding, a zero or absurd size, a step
        shorter than a row, or a data length different from ``height * step``.
    """
    height, width, step = check.as_int("height", height), check.as_int("width", width), check.as_int("step", step)
    try:
        data = memoryview(data)
        if not data.c_contiguous:
            raise TypeError("not contiguous")
    except TypeError:
        raise ValueError(f"image: data must be contiguous bytes, got {type(data).__name__}") from None
    if not isinstance(encoding, str) or encoding not in ENCODINGS:
        raise ValueError(f"image: unknown encoding {encoding!r} (supported: {', '.join(sorted(ENCODINGS))})")
    if height <= 0 or width <= 0:
        raise ValueError(f"image: zero size ({width}x{height})")
    if height > MAX_SIDE or width > MAX_SIDE:
        raise ValueError(f"image: absurd size {width}x{height} (max side {MAX_SIDE})")
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
