"""Pictures of the learning loop (ROS-free numpy): rates as colours, marker geometry, heatmaps, receptive fields.

**Rate colour map** (``hot``: black -> red -> yellow -> white). A rate is first made relative to its
population's ceiling, ``v = clip(rate / max_rate, 0, 1)``, then::

    R = clip(3 v, 0, 1)      G = clip(3 v - 1, 0, 1)      B = clip(3 v - 2, 0, 1)

so a silent unit is black, ``v = 1/3`` pure red, ``v = 2/3`` yellow and a unit at ``max_rate``
white. Marker heights follow ``v`` linearly as well (see :class:`MarkerStyle`).

**Weight colour map** (diverging, for receptive fields). Each unit's weight row is divided by its
own largest magnitude, ``v = w / max|w|`` in ``[-1, 1]`` (an all-zero row stays 0), then::

    v >= 0: (1, 1 - v, 1 - v)   white -> red (excitatory)
    v <  0: (1 + v, 1 + v, 1)   white -> blue (inhibitory)

**Grid layout of a population** (:func:`panel_layout`): ``shape`` ``(rows, cols)`` is drawn as it is;
``(rows, cols, channels)`` as one ``rows x cols`` panel per channel, the panels row-major on a
``grid_shape(channels)`` grid (the sensor's 6 ON/OFF colour channels: 2 x 3 panels) with one empty
cell between panels; a flat ``(n,)`` population (or any other rank) on the most square grid that
holds it (:func:`grid_shape`). Unit ``i`` (row-major in
``shape``) is drawn in cell ``(row_index[i], col_index[i])``; marker ``x`` grows with the column and
``y`` falls with the row, so the marker grid reads like the heatmap image seen from above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Names of ``LearningMode.CAUSE_*`` and ``Inhibition.CAUSE_*`` (the message constants, ROS-free).
LEARNING_CAUSES = {0: "none", 1: "novelty", 2: "a-ha", 3: "replay", 4: "manual"}
INHIBITION_CAUSES = {0: "familiar", 1: "manual", 2: "replay"}

#: Label colours (RGBA 0..1): normal, learning mode on (orange), population inhibited (blue).
LABEL_NORMAL = (1.0, 1.0, 1.0, 1.0)
LABEL_LEARNING = (1.0, 0.55, 0.0, 1.0)
LABEL_INHIBITED = (0.25, 0.55, 1.0, 1.0)
#: Pixels of a heatmap / mosaic that belong to no unit (padding, gaps between panels and tiles).
BACKGROUND = (64, 64, 64)


def _finite_rates(rates, max_rate: float) -> np.ndarray:
    if not (isinstance(max_rate, (int, float, np.floating, np.integer)) and math.isfinite(max_rate) and max_rate > 0):
        raise ValueError(f"max_rate: must be finite and > 0, got {max_rate!r}")
    values = np.asarray(rates, dtype=np.float32).ravel()
    if not np.all(np.isfinite(values)):
        raise ValueError("rates: contain NaN or inf")
    return values


def relative_rates(rates, max_rate: float) -> np.ndarray:
    """``clip(rates / max_rate, 0, 1)`` as a flat float32 vector; ``ValueError`` for non-finite input."""
    values = _finite_rates(rates, max_rate)
    return np.clip(values / np.float32(max_rate), 0.0, 1.0).astype(np.float32)


def hot_colours(values) -> np.ndarray:
    """RGB in 0..1 (shape ``values.shape + (3,)``) of relative values in 0..1 (see the module docstring)."""
    v = np.clip(np.asarray(values, dtype=np.float32), 0.0, 1.0)[..., None]
    return np.clip(3.0 * v - np.array([0.0, 1.0, 2.0], np.float32), 0.0, 1.0).astype(np.float32)


def rate_colours(rates, max_rate: float, alpha: float = 1.0) -> np.ndarray:
    """RGBA in 0..1, shape ``(n, 4)``, of each unit's rate relative to ``max_rate`` (``hot`` map)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha: must be in [0, 1], got {alpha}")
    rgb = hot_colours(relative_rates(rates, max_rate))
    return np.concatenate([rgb, np.full((rgb.shape[0], 1), alpha, np.float32)], axis=1)


def diverging_colours(values) -> np.ndarray:
    """RGB in 0..1 of signed values in -1..1: white at 0, red towards +1, blue towards -1."""
    v = np.clip(np.asarray(values, dtype=np.float32), -1.0, 1.0)
    pos, neg = np.maximum(v, 0.0), np.maximum(-v, 0.0)
    return np.stack([1.0 - neg, 1.0 - pos - neg, 1.0 - pos], axis=-1).astype(np.float32)


def grid_shape(n: int) -> tuple[int, int]:
    """The most square ``(rows, cols)`` grid for ``n`` units: exact when ``n`` has a divisor ``d <= sqrt(n)``
    with ``n / d <= 4 d`` (128 -> 8 x 16, 384 -> 16 x 24), else ``ceil(sqrt(n))`` columns with padding."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: must be a positive integer, got {n!r}")
    n = int(n)
    for rows in range(math.isqrt(n), 0, -1):
        if n % rows == 0:
            if n // rows <= 4 * rows:
                return rows, n // rows
            break
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def mosaic_grid(n: int, tile_aspect: float = 1.0) -> tuple[int, int]:
    """``(rows, cols)`` for ``n`` tiles of height/width ``tile_aspect`` so that the mosaic is about
    square: ``cols ~ sqrt(n * tile_aspect)``; a divisor of ``n`` within a factor 1.5 of that is preferred
    (no empty slots), else ``rows = ceil(n / cols)``."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: must be a positive integer, got {n!r}")
    if not (math.isfinite(tile_aspect) and tile_aspect > 0):
        raise ValueError(f"tile_aspect: must be finite and > 0, got {tile_aspect!r}")
    ideal = max(1.0, min(float(n), math.sqrt(n * tile_aspect)))
    divisors = [d for d in range(1, int(n) + 1) if n % d == 0]
    best = min(divisors, key=lambda d: abs(math.log(d / ideal)))
    cols = best if abs(math.log(best / ideal)) <= math.log(1.5) else round(ideal)
    return math.ceil(n / cols), cols


@dataclass(frozen=True)
class PanelLayout:
    """Where each unit of a population is drawn on a 2-D grid of cells (see :func:`panel_layout`)."""

    rows: int
    cols: int
    row_index: np.ndarray  #: (n,) int, cell row of unit i
    col_index: np.ndarray  #: (n,) int, cell column of unit i

    @property
    def size(self) -> int:
        """Number of units."""
        return int(self.row_index.size)


def panel_layout(shape) -> PanelLayout:
    """Cells of the units of a population of logical ``shape`` (see the module docstring)."""
    dims = tuple(int(s) for s in np.atleast_1d(np.asarray(shape, dtype=np.int64)))
    if not dims or min(dims) < 1:
        raise ValueError(f"shape: must be non-empty with every size >= 1, got {list(dims)}")
    n = int(np.prod(dims))
    index = np.arange(n)
    if len(dims) == 2:
        rows, cols = dims
        return PanelLayout(rows, cols, index // cols, index % cols)
    if len(dims) == 3:
        rows, cols, channels = dims
        r, rest = index // (cols * channels), index % (cols * channels)
        c, ch = rest // channels, rest % channels
        panel_rows, panel_cols = grid_shape(channels)
        pr, pc = ch // panel_cols, ch % panel_cols
        return PanelLayout(
            panel_rows * (rows + 1) - 1, panel_cols * (cols + 1) - 1, pr * (rows + 1) + r, pc * (cols + 1) + c
        )
    rows, cols = grid_shape(n)
    return PanelLayout(rows, cols, index // cols, index % cols)


def _paint(layout: PanelLayout, rgb: np.ndarray, scale: int) -> np.ndarray:
    if not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale: must be an integer >= 1, got {scale!r}")
    image = np.empty((layout.rows, layout.cols, 3), np.uint8)
    image[:] = BACKGROUND
    image[layout.row_index, layout.col_index] = np.round(rgb * 255.0).astype(np.uint8)
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


def rate_heatmap(rates, shape, max_rate: float, scale: int = 8) -> np.ndarray:
    """An ``rgb8`` image (H, W, 3) uint8 of a population's rates: one ``scale x scale`` block per unit,
    laid out by :func:`panel_layout`, coloured with the ``hot`` map; unused cells are :data:`BACKGROUND`."""
    layout = panel_layout(shape)
    values = relative_rates(rates, max_rate)
    if values.size != layout.size:
        raise ValueError(f"rates: {values.size} values for shape {list(np.atleast_1d(shape))}")
    return _paint(layout, hot_colours(values), scale)


def weight_norms(weights) -> np.ndarray:
    """L2 norm of each unit's weight row, ``(n_out,)`` float32 (dimensionless, not Hz)."""
    w = np.asarray(weights, dtype=np.float32)
    if w.ndim != 2 or w.size == 0:
        raise ValueError(f"weights: expected a non-empty (n_out, n_in) matrix, got shape {w.shape}")
    return np.sqrt(np.einsum("ij,ij->i", w, w, dtype=np.float32)).astype(np.float32)


def receptive_field_mosaic(weights, input_shape=None, scale: int = 4, gap: int = 1) -> np.ndarray:
    """Learned receptive fields as one ``rgb8`` image (H, W, 3) uint8.

    Unit ``j``'s weight row is drawn as a tile over its inputs, laid out by
    ``panel_layout(input_shape)`` (``None``: the inputs on :func:`grid_shape`), coloured with the
    diverging map after dividing by the row's largest magnitude. Tiles are upscaled by ``scale``
    and placed row-major on a :func:`mosaic_grid` of units (about as tall as wide), ``gap``
    background pixels apart.
    """
    w = np.asarray(weights, dtype=np.float32)
    if w.ndim != 2 or w.size == 0:
        raise ValueError(f"weights: expected a non-empty (n_out, n_in) matrix, got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights: contain NaN or inf")
    if not isinstance(gap, (int, np.integer)) or gap < 0:
        raise ValueError(f"gap: must be an integer >= 0, got {gap!r}")
    n_out, n_in = w.shape
    layout = panel_layout((n_in,) if input_shape is None or len(input_shape) == 0 else input_shape)
    if layout.size != n_in:
        raise ValueError(f"input_shape: {list(input_shape)} does not hold {n_in} inputs")
    if not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale: must be an integer >= 1, got {scale!r}")
    peak = np.abs(w).max(axis=1, keepdims=True)
    rgb = diverging_colours(np.divide(w, peak, out=np.zeros_like(w), where=peak > 0))
    tiles = np.empty((n_out, layout.rows, layout.cols, 3), np.uint8)
    tiles[:] = BACKGROUND
    tiles[:, layout.row_index, layout.col_index] = np.round(rgb * 255.0).astype(np.uint8)
    tiles = np.repeat(np.repeat(tiles, scale, axis=1), scale, axis=2)
    th, tw = tiles.shape[1] + gap, tiles.shape[2] + gap
    grid_rows, grid_cols = mosaic_grid(n_out, th / tw)
    padded = np.empty((grid_rows * grid_cols, th, tw, 3), np.uint8)
    padded[:] = BACKGROUND
    padded[:n_out, : th - gap, : tw - gap] = tiles
    mosaic = padded.reshape(grid_rows, grid_cols, th, tw, 3).transpose(0, 2, 1, 3, 4)
    mosaic = mosaic.reshape(grid_rows * th, grid_cols * tw, 3)
    return np.ascontiguousarray(mosaic[: mosaic.shape[0] - gap, : mosaic.shape[1] - gap])


@dataclass(frozen=True)
class MarkerStyle:
    """Geometry of a population's unit markers [m].

    A unit is a box (or cylinder) of footprint ``unit_size`` standing on ``z = 0`` at the centre of
    its cell; cells are ``spacing`` apart. Its height is ``min_height + v (max_height - min_height)``
    with ``v`` the rate relative to ``max_rate``, so a silent unit is a thin visible tile.
    """

    spacing: float = 0.1
    unit_size: float = 0.08
    max_height: float = 0.5
    min_height: float = 0.005
    text_size: float = 0.12

    def __post_init__(self) -> None:
        for name in ("spacing", "unit_size", "max_height", "min_height", "text_size"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name}: must be finite and > 0, got {value!r}")
        if self.min_height > self.max_height:
            raise ValueError(f"min_height: {self.min_height} exceeds max_height {self.max_height}")


@dataclass(frozen=True)
class PopulationGeometry:
    """Markers of one population sample: one box per unit plus the label's place."""

    positions: np.ndarray  #: (n, 3) centre of each box [m]
    scales: np.ndarray  #: (n, 3) box size x, y, z [m]
    colours: np.ndarray  #: (n, 4) RGBA 0..1 (``hot`` map)
    label_position: np.ndarray  #: (3,) where the population's label floats [m]
    mean_rate: float  #: mean rate of the sample [Hz]


def population_geometry(
    rates, shape, max_rate: float, style: MarkerStyle = MarkerStyle(), origin=(0.0, 0.0, 0.0)
) -> PopulationGeometry:
    """Boxes of a population: cell ``(r, c)`` of :func:`panel_layout` at ``origin + (c, -r, 0) * spacing``,
    height and colour from the rate relative to ``max_rate``; the label centred above the first row."""
    layout = panel_layout(shape)
    v = relative_rates(rates, max_rate)
    if v.size != layout.size:
        raise ValueError(f"rates: {v.size} values for shape {list(np.atleast_1d(shape))}")
    o = np.asarray(origin, dtype=np.float32)
    if o.shape != (3,) or not np.all(np.isfinite(o)):
        raise ValueError(f"origin: expected 3 finite coordinates, got {origin!r}")
    heights = np.float32(style.min_height) + v * np.float32(style.max_height - style.min_height)
    positions = (
        np.stack([layout.col_index * style.spacing, -layout.row_index * style.spacing, heights / 2], axis=1).astype(
            np.float32
        )
        + o
    )
    scales = np.empty((v.size, 3), np.float32)
    scales[:, :2] = style.unit_size
    scales[:, 2] = heights
    label = o + np.array([(layout.cols - 1) * style.spacing / 2, 2.0 * style.spacing, style.text_size], np.float32)
    colours = np.concatenate([hot_colours(v), np.ones((v.size, 1), np.float32)], axis=1)
    return PopulationGeometry(positions, scales, colours, label, float(np.asarray(rates, dtype=np.float32).mean()))


def label_colour(learning: bool, inhibited: bool) -> tuple[float, float, float, float]:
    """RGBA of a population label: orange while learning mode is on (it wins), blue while the
    population is inhibited, white otherwise."""
    if learning:
        return LABEL_LEARNING
    return LABEL_INHIBITED if inhibited else LABEL_NORMAL


def population_label(population: str, mean_rate: float, replay: bool = False) -> str:
    """Text of a population's label: name and mean rate."""
    return f"{population}: {mean_rate:.1f} Hz" + (" (replay)" if replay else "")


def status_text(
    learning: tuple[bool, float, int, int, int] | None,
    inhibition: tuple[float, int, str, int] | None,
    recognition: tuple[int, float, bool, int] | None,
) -> str:
    """Three lines for the status marker.

    :param learning: (active, level, cause, memory_id, replays_left) of the last learning-mode broadcast.
    :param inhibition: (strength, cause, target_population, memory_id) of the last inhibition still in
        effect, or None.
    :param recognition: (memory_id, similarity, familiar, memory_size) of the last verdict.
    """
    if learning is None:
        mode = "learning mode: (no broadcast yet)"
    else:
        active, level, cause, memory_id, replays_left = learning
        mode = (
            f"learning mode: {'ON' if active else 'off'} level {level:.2f} "
            f"cause {LEARNING_CAUSES.get(cause, str(cause))}"
        )
        if memory_id >= 0:
            mode += f" memory {memory_id}"
        if replays_left:
            mode += f" replays left {replays_left}"
    if inhibition is None:
        inhibit = "inhibition: none"
    else:
        strength, cause, target, memory_id = inhibition
        inhibit = f"inhibition: {strength:.2f} -> {target or 'all'} cause {INHIBITION_CAUSES.get(cause, str(cause))}"
        if memory_id >= 0:
            inhibit += f" memory {memory_id}"
    if recognition is None:
        seen = "recognition: (none yet)"
    else:
        memory_id, similarity, familiar, size = recognition
        seen = (
            f"recognition: {'familiar' if familiar else 'novel'} memory {memory_id} "
            f"similarity {similarity:.2f} ({size} stored)"
        )
    return "\n".join([mode, inhibit, seen])
