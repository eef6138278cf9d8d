"""Oriented edge cells pooled onto the receptive-field grid: the sensor's view of shape.

Colour-opponent ON/OFF fields on an 8x8 grid see colour blobs; two objects of the same colours but
different shape drive them alike, and many objects do. Like V1 simple cells, each edge cell here
responds to a luminance or colour-opponent edge of one of ``ORIENTATIONS`` directions (a rectified
directional derivative: direction and polarity, 0-315 degrees in 45 degree steps); like complex cells,
their responses are summed over a receptive field that overlaps its neighbours (a field's own sum
plus half of each neighbour's, separably), which makes them tolerant to small shifts and
rotations. Each field's vector of edge energies is divisively normalised (contrast invariance, with a
semi-saturation that keeps low-contrast texture weak) and square-root compressed.

The image is first averaged onto a working grid of ``resolution`` pixels per field side, so the cost
does not depend on the camera's resolution beyond that one pooling pass.

Fixed, not learned: early visual stages are set by development before objects are learned; the layers
above learn on them.
"""

from __future__ import annotations

import numba
import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.sensing.receptive_fields import pool_grid

ORIENTATIONS = 8
_ANGLES = np.arange(ORIENTATIONS) * (2 * np.pi / ORIENTATIONS)
_DIRECTIONS = np.stack([np.cos(_ANGLES), np.sin(_ANGLES)]).astype(np.float32)  # (2, ORIENTATIONS)
#: luminance, red-green, blue-yellow from R, G, B (columns), as the opponent fields use them
_OPPONENT = np.array([[1 / 3, 1.0, -0.5], [1 / 3, -1.0, -0.5], [1 / 3, 0.0, 1.0]], np.float32)


def edge_units(channels: int) -> int:
    """Edge cells per field: ``ORIENTATIONS`` per luminance / opponent plane (1 plane for 1 channel)."""
    return ORIENTATIONS * (3 if channels == 3 else 1)


def oriented_edges(
    image: np.ndarray,
    rows: int,
    cols: int,
    channels: int,
    resolution: int = 8,
    semi_saturation: float = 0.05,
    *,
    validate: bool = True,
    compiled: bool = True,
) -> np.ndarray:
    """Edge energy per field and direction, in ``[0, 1]``.

    :param image: (H, W) or (H, W, 1 or 3) intensities in [0, 1].
    :param rows, cols: the receptive-field grid.
    :param channels: 1 (luminance edges) or 3 (luminance, red-green and blue-yellow edges).
    :param resolution: working pixels per field side (>= 2); edges finer than that are averaged out.
    :param semi_saturation: edge energy per working pixel below which a field's response stays weak.
    :param validate: ``False`` skips the checks (a decoded frame, parameters checked when set).
    :param compiled: the numba kernel (one pass over the image, then the working grid); ``False``: numpy,
        the reference it is tested against.
    :returns: float32 (rows, cols, :func:`edge_units` (channels)).
    """
    if validate:
        resolution = check.as_int("resolution", resolution, minimum=2)
        semi_saturation = check.positive("semi_saturation", semi_saturation)
    if compiled:
        if validate:  # the numpy path's checks (grid, channels, image in [0, 1]), from pool_grid itself
            pool_grid(image, 1, 1, channels)
            image = np.asarray(image, np.float32)
        if image.ndim == 2:
            image = image[:, :, None]
        height, width = image.shape[:2]
        rows_at = (np.arange(rows * resolution + 1) * height) // (rows * resolution)
        cols_at = (np.arange(cols * resolution + 1) * width) // (cols * resolution)
        out = np.empty((rows, cols, edge_units(channels)), np.float32)
        _edges_kernel(
            np.ascontiguousarray(image, np.float32),
            rows_at,
            cols_at,
            rows,
            cols,
            resolution,
            channels,
            np.float32(semi_saturation * resolution * resolution),
            _DIRECTIONS,
            _OPPONENT,
            out,
        )
        return out
    # pool_grid validates the image, grid and channels when asked to
    work = pool_grid(image, rows * resolution, cols * resolution, channels, validate=validate)
    work = work @ _OPPONENT if channels == 3 else work  # (h, w, planes)
    gx = np.zeros_like(work)
    gy = np.zeros_like(work)
    gx[:, 1:-1] = work[:, 2:] - work[:, :-2]
    gy[1:-1] = work[2:] - work[:-2]
    planes = work.shape[2]
    energy = np.maximum(np.stack([gx, gy], axis=-1) @ _DIRECTIONS, 0.0)  # (h, w, planes, ORIENTATIONS)
    energy = energy.reshape(rows, resolution, cols * resolution * planes * ORIENTATIONS).sum(axis=1)
    fields = energy.reshape(rows, cols, resolution, planes * ORIENTATIONS).sum(axis=2)
    # overlapping complex-cell pooling: each field also takes half of each neighbour's sum
    padded = np.pad(fields, ((1, 1), (1, 1), (0, 0)))
    pooled = padded[1:-1] + 0.5 * (padded[:-2] + padded[2:])
    pooled = pooled[:, 1:-1] + 0.5 * (pooled[:, :-2] + pooled[:, 2:])
    norm = np.sqrt(np.einsum("rcu,rcu->rc", pooled, pooled))[..., None]
    pooled /= norm + np.float32(semi_saturation * resolution * resolution)
    return np.sqrt(pooled, out=pooled).astype(np.float32, copy=False)


@numba.njit(cache=True, nogil=True)
def _edges_kernel(image, rows_at, cols_at, rows, cols, res, channels, sigma, directions, opponent, out):
    """oriented_edges in one pass: area-average onto the working grid, then gradients, pooling, norm."""
    height_w, width_w = rows * res, cols * res
    planes = 3 if channels == 3 else 1
    height, width, depth = image.shape
    sums = np.zeros((height_w, width_w, depth), np.float32)
    col_of = np.empty(width, np.int64)
    for j in range(width_w):
        col_of[cols_at[j] : cols_at[j + 1]] = j
    flat = image.reshape(height, width * depth)
    line = np.zeros(width * depth, np.float32)
    for i in range(height_w):
        r1 = max(rows_at[i + 1], rows_at[i] + 1)
        line[:] = 0.0
        for r in range(rows_at[i], r1):  # the working row's image rows, summed contiguously
            src = flat[r]
            for x in range(width * depth):
                line[x] += src[x]
        for c in range(width):
            j = col_of[c]
            for k in range(depth):
                sums[i, j, k] += line[c * depth + k]
    work = np.zeros((height_w, width_w, planes), np.float32)
    for i in range(height_w):
        n_rows = max(rows_at[i + 1] - rows_at[i], 1)
        for j in range(width_w):
            if cols_at[j + 1] == cols_at[j]:  # fewer pixels than working columns: the nearest one
                for k in range(depth):
                    sums[i, j, k] = image[min(rows_at[i], height - 1), min(cols_at[j], width - 1), k] * n_rows
            scale = 1.0 / (n_rows * max(cols_at[j + 1] - cols_at[j], 1))
            if depth == 1:  # grey: luminance only (a grey image has no opponent signal)
                work[i, j, 0] = sums[i, j, 0] * scale
            elif channels == 1:
                work[i, j, 0] = (0.299 * sums[i, j, 0] + 0.587 * sums[i, j, 1] + 0.114 * sums[i, j, 2]) * scale
            else:
                for p in range(3):
                    work[i, j, p] = (
                        opponent[0, p] * sums[i, j, 0] + opponent[1, p] * sums[i, j, 1] + opponent[2, p] * sums[i, j, 2]
                    ) * scale
    n_or = directions.shape[1]
    units = planes * n_or
    fields = np.zeros((rows, cols, units), np.float32)
    for i in range(height_w):
        fi = i // res
        for j in range(width_w):
            fj = j // res
            for p in range(planes):
                gx = work[i, j + 1, p] - work[i, j - 1, p] if 0 < j < width_w - 1 else 0.0
                gy = work[i + 1, j, p] - work[i - 1, j, p] if 0 < i < height_w - 1 else 0.0
                for o in range(n_or):
                    e = gx * directions[0, o] + gy * directions[1, o]
                    if e > 0:
                        fields[fi, fj, p * n_or + o] += e
    for fi in range(rows):
        for fj in range(cols):
            norm = 0.0
            for u in range(units):
                acc = 0.0
                for di in range(-1, 2):
                    if 0 <= fi + di < rows:
                        for dj in range(-1, 2):
                            if 0 <= fj + dj < cols:
                                acc += (
                                    (1.0 if di == 0 else 0.5) * (1.0 if dj == 0 else 0.5) * fields[fi + di, fj + dj, u]
                                )
                out[fi, fj, u] = acc
                norm += acc * acc
            norm = np.sqrt(norm) + sigma
            for u in range(units):
                out[fi, fj, u] = np.sqrt(out[fi, fj, u] / norm)
