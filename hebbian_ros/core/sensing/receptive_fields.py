"""Receptive fields: pool an image or a taxel array onto a coarse grid of units."""

from __future__ import annotations

import numpy as np

from hebbian_ros.core import validation as check


def _fields(name: str, value, ndims: tuple[int, ...], low: float = 0.0) -> np.ndarray:
    """A non-empty real array with one of ``ndims`` dimensions, every value in ``[low, 1]``."""
    array = check.as_real_array(name, value, None, low=low, high=1.0)
    if array.ndim not in ndims:
        raise ValueError(f"{name}: expected {' or '.join(map(str, ndims))} dimensions, got shape {array.shape}")
    return array


def pool_grid(image: np.ndarray, rows: int, cols: int, channels: int, *, validate: bool = True) -> np.ndarray:
    """Average ``image`` (H, W, C) over a ``rows`` x ``cols`` grid of equal-area receptive fields.

    ``channels`` is the sensor's fixed colour depth: 1 gives luminance, 3 gives R, G, B. A mono
    image on a colour sensor drives all three channels equally, so the population size never depends
    on the camera. Fields tile the image; with ``H < rows`` fields repeat pixels (nearest rows).

    :param image: (H, W) or (H, W, 1 or 3) intensities in [0, 1].
    :param validate: ``False`` skips every check: for callers whose image is valid by construction
        (a decoded camera frame), as the sensor node's per-frame path.
    :returns: float32 array of shape (rows, cols, channels).
    :raises ValueError: if the grid or channel count is invalid, or the image is empty, of another
        depth, or holds values outside [0, 1] (NaN and inf included).
    """
    if validate:
        rows, cols = check.as_int("rows", rows), check.as_int("cols", cols)
        if rows <= 0 or cols <= 0:
            raise ValueError(f"grid: rows and cols must be positive, got {rows}x{cols}")
        if check.as_int("channels", channels) not in (1, 3):
            raise ValueError(f"channels: must be 1 or 3, got {channels}")
        image = _fields("image", image, (2, 3))
    if image.ndim == 2:
        image = image[:, :, None]
    height, width, depth = image.shape
    if validate and depth not in (1, 3):
        raise ValueError(f"image: expected 1 or 3 channels, got {depth}")
    if depth == 3 and channels == 1:
        image = image @ np.array([0.299, 0.587, 0.114], dtype=np.float32)[:, None]
    elif depth == 1 and channels == 3:
        image = np.repeat(image, 3, axis=2)
    if height % rows == 0 and width % cols == 0:  # equal blocks: two contiguous reductions
        block_height, block_width, depth = height // rows, width // cols, image.shape[2]
        strips = image.reshape(rows, block_height, width * depth).sum(axis=1, dtype=np.float32)
        # numpy reduces a middle axis of a 5-d block view ~10x slower than this sum plus a matrix-vector product
        blocks = strips.reshape(rows, cols, block_width, depth).transpose(0, 1, 3, 2)
        return blocks @ np.full(block_width, 1.0 / (block_height * block_width), np.float32)
    row_edges = (np.arange(rows) * height) // rows
    col_edges = (np.arange(cols) * width) // cols
    row_sums = np.add.reduceat(image, row_edges, axis=0)
    sums = np.add.reduceat(row_sums, col_edges, axis=1)
    row_counts = np.diff(np.append(row_edges, height))
    col_counts = np.diff(np.append(col_edges, width))
    counts = np.maximum(row_counts[:, None] * col_counts[None, :], 1)
    return (sums / counts[:, :, None]).astype(np.float32)


def on_off_contrast(
    fields: np.ndarray,
    gain: float = 2.0,
    *,
    reference: float | None = None,
    levels: int = 1,
    tuned: bool = False,
    validate: bool = True,
) -> np.ndarray:
    """Centre-surround contrast of each field against the whole view, split into ON and OFF cells.

    Like retinal ON and OFF ganglion cells: ON fires where a field is brighter than its surround
    (here the mean of all fields, per channel), OFF where it is darker. A uniform scene drives
    nothing; a red and a blue object on grey differ in which channels are ON and which are OFF.

    :param fields: (rows, cols, C) intensities in [0, 1] (colour-opponent axes: [-1, 1]).
    :param gain: contrast that drives a cell fully is ``1 / gain``; finite in float32.
    :param reference: divide the contrast by this (the view's mean luminance: Weber contrast, the same under any
        lighting); ``None``: the plain difference.
    :param levels: cells per channel and sign, cell ``l`` driven by the contrast between ``l / gain`` and
        ``(l + 1) / gain``: a stronger contrast recruits further cells instead of only driving the same ones more.
    :param tuned: with ``levels`` > 1, cell ``l`` is tuned to the contrast ``(l + 1) / gain`` (a triangle of width
        ``2 / gain``; the last level saturates above its own): a stronger contrast moves the activity to further
        cells instead of adding cells to it, so two contrasts of one sign share less than with the recruitment code.
    :param validate: ``False`` skips the checks (fields and gain valid by construction).
    :returns: float32 (rows, cols, 2 C levels) in [0, 1]: ON channels first (each channel's levels in turn), then OFF.
    """
    if validate:
        gain = check.positive("gain", gain)
        with np.errstate(over="ignore"):
            overflows = not np.isfinite(np.float32(gain))
        if overflows:
            raise ValueError(f"gain: {gain:g} overflows float32")
        fields = _fields("fields", fields, (3,), low=-1.0)
        levels = check.as_int("levels", levels, minimum=1)
        if reference is not None:
            reference = check.positive("reference", reference)
    contrast = (fields - fields.mean(axis=(0, 1), keepdims=True)) * np.float32(gain)
    if reference is not None:
        contrast = contrast / np.float32(reference)
    signed = np.concatenate([contrast, -contrast], axis=2)
    steps = np.arange(levels, dtype=np.float32)
    cells = np.clip(signed[..., :, None] - steps, 0.0, 1.0)  # (rows, cols, 2C, levels)
    if tuned and levels > 1:  # a cell stops firing once the next level is fully driven
        cells[..., :-1] -= cells[..., 1:]
    return cells.reshape(*signed.shape[:2], -1).astype(np.float32)


def colour_opponent(fields: np.ndarray, luminance_weight: float = 0.5, *, validate: bool = True) -> np.ndarray:
    """Re-code RGB fields into luminance and the two colour-opponent axes of primate vision.

    Channels: ``luminance_weight * (R+G+B)/3``, red-green ``R-G`` and blue-yellow ``B-(R+G)/2``.
    Objects on a bright table share being darker than it; they differ in hue, which the opponent
    axes separate (red and green fall on opposite sides of one axis, blue and yellow of the other),
    so down-weighting luminance makes different objects' codes far less alike.

    :param fields: (rows, cols, 3) RGB intensities in [0, 1].
    :param validate: ``False`` skips the checks (fields and weight valid by construction).
    :returns: float32 (rows, cols, 3), luminance in [0, 1], opponent axes in [-1, 1].
    """
    if validate:
        fields = _fields("fields", fields, (3,))
        if fields.shape[2] != 3:
            raise ValueError(f"fields: expected (rows, cols, 3) RGB, got shape {fields.shape}")
        if not 0.0 <= check.as_real("luminance_weight", luminance_weight) <= 1.0:
            raise ValueError(f"luminance_weight: must be within [0, 1], got {luminance_weight}")
    red, green, blue = fields[..., 0], fields[..., 1], fields[..., 2]
    return np.stack(
        [luminance_weight * (red + green + blue) / 3, red - green, blue - (red + green) / 2], axis=2
    ).astype(np.float32)
