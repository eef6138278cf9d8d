"""Shift-invariant competitive learning: prototype units that see an image at small shifts.

Each unit owns one template ``w_j`` on a zero-padded canvas of ``(h + 2r) × (w + 2r)`` pixels
and responds to an image at every shift ``(dy, dx)`` with ``|dy|, |dx| <= r`` (``r`` =
``max_shift``), keeping the best one: ``a_j = max_s (w_j·v_s − ½‖w_j‖²)``, where ``v_s`` is the
image placed on the canvas shifted by ``s``. The weights are shared across shifts, as in a
convolutional layer followed by max pooling over positions (a "complex cell"). Since shifts
never push pixels off the canvas, ``‖v_s‖`` is the same for every ``s``, and ``a_j`` is
``½‖v‖² − ½ min_s ‖v_s − w_j‖²``: the unit with the largest response is the template nearest to
the image up to a small translation (competition by Euclidean distance; the ``−½‖w_j‖²`` term
is a bias each unit computes from its own weights).

Learning is local and label-free. For one image the units are ranked by their responses and
unit of rank ``ρ`` (0 = winner) moves towards the image *at its own best shift*,
``Δw_j = (h_ρ / n_j)(v_{s_j} − w_j)`` with ``h_ρ = exp(−ρ/λ)``, the rank-ordered soft competition
of neural gas (Martinetz & Schulten 1991); as ``λ → 0`` only the winner learns (instar, winner
take all). ``n_j`` is the unit's own leaky count of past activity (``n_j += h_ρ``), so each
template is a running mean of the images it won: its learning rate falls as it becomes
experienced, and :func:`fit_shift_invariant` lets the counts decay by ``count_decay`` at every
epoch so that templates can still follow the changing assignments. ``λ`` is annealed
geometrically from ``neighbourhood_start`` to ``neighbourhood_end`` over training, which keeps
every unit in use early on (no dead units) and converges to a sharp winner-take-all code.

Mini-batches: scores of a batch are computed with the weights at its start, then every unit
applies the summed update ``n_j += Σ_b h_bj``, ``w_j += (Σ_b h_bj v_bj − Σ_b h_bj w_j) / n_j``; a
batch of one is the exact online rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from hebbian_ros.core import validation as check

#: Ranks whose neighbourhood weight ``exp(−ρ/λ)`` falls below this are not updated.
_NEGLIGIBLE = 1e-3


@dataclass(frozen=True)
class ShiftInvariantParams:
    """Parameters of shift-invariant competitive learning.

    :param image_shape: ``(height, width)`` of the images (row-major flattening).
    :param max_shift: largest shift ``r`` in pixels along each axis (``>= 0``; 0 = plain
        Euclidean competitive learning).
    :param neighbourhood_start: rank decay length ``λ`` at the start of training (``> 0``).
    :param neighbourhood_end: ``λ`` at the end (``0 < neighbourhood_end <= neighbourhood_start``).
    :param count_decay: factor in ``[0, 1]`` applied to every unit's activity count at the start
        of each epoch (1 = never forget, 0 = restart the running means each epoch).
    :param n_epochs: passes over the training images (``>= 1``).
    :param batch_size: images per weight update (``>= 1``; 1 is the exact online rule).
    """

    image_shape: tuple[int, int] = (8, 8)
    max_shift: int = 1
    neighbourhood_start: float = 2.0
    neighbourhood_end: float = 0.01
    count_decay: float = 0.2
    n_epochs: int = 20
    batch_size: int = 1

    def __post_init__(self) -> None:
        set_field = object.__setattr__
        shape = self.image_shape
        if not isinstance(shape, (tuple, list)) or len(shape) != 2:
            raise ValueError(f"ShiftInvariantParams.image_shape: expected (height, width), got {shape!r}")
        set_field(
            self,
            "image_shape",
            tuple(check.as_int("ShiftInvariantParams.image_shape", s, minimum=1) for s in shape),
        )
        set_field(self, "max_shift", check.as_int("ShiftInvariantParams.max_shift", self.max_shift, minimum=0))
        start = check.positive("ShiftInvariantParams.neighbourhood_start", self.neighbourhood_start)
        end = check.positive("ShiftInvariantParams.neighbourhood_end", self.neighbourhood_end)
        if end > start:
            raise ValueError(
                f"ShiftInvariantParams.neighbourhood_end: must be <= neighbourhood_start={start:g}, got {end:g}"
            )
        set_field(self, "neighbourhood_start", start)
        set_field(self, "neighbourhood_end", end)
        set_field(
            self, "count_decay", check.in_interval("ShiftInvariantParams.count_decay", self.count_decay, 0.0, 1.0)
        )
        set_field(self, "n_epochs", check.as_int("ShiftInvariantParams.n_epochs", self.n_epochs, minimum=1))
        set_field(self, "batch_size", check.as_int("ShiftInvariantParams.batch_size", self.batch_size, minimum=1))

    @property
    def canvas_shape(self) -> tuple[int, int]:
        """``(height + 2r, width + 2r)``: the padded canvas the templates live on."""
        height, width = self.image_shape
        return height + 2 * self.max_shift, width + 2 * self.max_shift

    @property
    def n_shifts(self) -> int:
        """Number of shifts ``(2r + 1)²``."""
        return (2 * self.max_shift + 1) ** 2

    @property
    def n_canvas(self) -> int:
        """Number of template weights per unit (canvas pixels)."""
        rows, cols = self.canvas_shape
        return rows * cols


class ShiftInvariantState(NamedTuple):
    """Per-unit leaky activity counts ``n_j`` ``(n_units,)``, the inverse learning rates."""

    counts: np.ndarray


def _check_images(images, params: ShiftInvariantParams) -> np.ndarray:
    height, width = params.image_shape
    return check.as_activity("images", images, height * width, np.float32)


def shift_views(images: np.ndarray, params: ShiftInvariantParams, *, validate: bool = True) -> np.ndarray:
    """Every image on the padded canvas at every shift.

    :param images: ``(height·width,)`` or ``(N, height·width)`` real pixels.
    :param params: :class:`ShiftInvariantParams` (uses ``image_shape`` and ``max_shift``).
    :returns: float32 ``(n_shifts, canvas)`` or ``(N, n_shifts, canvas)``; view ``n_shifts // 2``
        is the unshifted, centred image.
    """
    if validate:
        check.check_instance("params", params, ShiftInvariantParams)
        images = _check_images(images, params)
    single = images.ndim == 1
    flat = np.atleast_2d(images).astype(np.float32, copy=False)
    r = params.max_shift
    height, width = params.image_shape
    rows, cols = params.canvas_shape
    views = np.zeros((flat.shape[0], params.n_shifts, rows, cols), dtype=np.float32)
    pictures = flat.reshape(-1, height, width)
    index = 0
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            views[:, index, r + dy : r + dy + height, r + dx : r + dx + width] = pictures
            index += 1
    views = views.reshape(flat.shape[0], params.n_shifts, rows * cols)
    return views[0] if single else views


def _check_views(views, params: ShiftInvariantParams) -> np.ndarray:
    views = check.as_array("views", views)
    if views.ndim not in (2, 3) or views.shape[-2:] != (params.n_shifts, params.n_canvas):
        raise ValueError(
            f"views: expected shape (N, {params.n_shifts}, {params.n_canvas}) from shift_views, got {views.shape}"
        )
    return check.as_real_array("views", views, np.float32)


def _check_weights(w, params: ShiftInvariantParams) -> np.ndarray:
    w = check.as_weights("w", w)
    if w.shape[1] != params.n_canvas:
        raise ValueError(f"w: expected {params.n_canvas} weights per unit (canvas), got {w.shape[1]}")
    return w


def _responses(views: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(N, K)`` best response over shifts and ``(N, K)`` index of that shift."""
    n, n_shifts, n_canvas = views.shape
    bias = np.float32(0.5) * np.einsum("kd,kd->k", w, w)
    scores = (views.reshape(n * n_shifts, n_canvas) @ w.T).reshape(n, n_shifts, -1)
    scores -= bias
    best = scores.argmax(axis=1)
    return np.take_along_axis(scores, best[:, None, :], axis=1)[:, 0, :], best


def invariant_responses(
    views: np.ndarray, w: np.ndarray, params: ShiftInvariantParams, *, validate: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Responses ``a_j = max_s (w_j·v_s − ½‖w_j‖²)`` of every unit, and the best shifts.

    :param views: ``(n_shifts, canvas)`` or ``(N, n_shifts, canvas)`` from :func:`shift_views`.
    :param w: templates ``(n_units, canvas)``, float32 or float64.
    :param params: :class:`ShiftInvariantParams`.
    :returns: ``(responses, shift_index)``, each ``(n_units,)`` or ``(N, n_units)``; the unit with
        the largest response is the nearest template up to a shift.
    """
    if validate:
        check.check_instance("params", params, ShiftInvariantParams)
        views = _check_views(views, params)
        w = _check_weights(w, params)
    single = views.ndim == 2
    responses, shifts = _responses(np.atleast_3d(views) if not single else views[None], w)
    return (responses[0], shifts[0]) if single else (responses, shifts)


def _neighbourhood_weights(responses: np.ndarray, neighbourhood: float) -> tuple[np.ndarray, np.ndarray]:
    """Top units per sample ``(B, m)`` and their rank weights ``exp(−rank/λ)`` ``(m,)``."""
    n_units = responses.shape[1]
    m = min(n_units, 1 + int(math.floor(-math.log(_NEGLIGIBLE) * neighbourhood)))
    if m == 1:
        top = responses.argmax(axis=1)[:, None]
    elif m < n_units:
        top = np.argpartition(-responses, m - 1, axis=1)[:, :m]
        order = np.argsort(-np.take_along_axis(responses, top, axis=1), axis=1)
        top = np.take_along_axis(top, order, axis=1)
    else:
        top = np.argsort(-responses, axis=1)
    weights = np.exp(-np.arange(m, dtype=np.float64) / neighbourhood).astype(np.float32)
    return top, weights


def _update(views: np.ndarray, w: np.ndarray, counts: np.ndarray, neighbourhood: float) -> None:
    """In place on ``w`` and ``counts``: one rank-ordered update from a batch of views."""
    responses, shifts = _responses(views, w)
    top, weights = _neighbourhood_weights(responses, neighbourhood)
    batch, m = top.shape
    units = top.ravel()
    samples = np.repeat(np.arange(batch), m)
    share = np.tile(weights, batch)
    targets = views[samples, shifts[samples, units]]
    if batch == 1:  # units are distinct: plain fancy indexing is exact
        counts[units] += share
        rate = share / counts[units]
        w[units] += rate[:, None] * (targets - w[units])
        return
    mass = np.bincount(units, weights=share, minlength=w.shape[0]).astype(np.float32)
    pull = np.zeros_like(w)
    np.add.at(pull, units, share[:, None] * targets)
    touched = np.flatnonzero(mass)
    counts[touched] += mass[touched]
    rate = (1.0 / counts[touched]).astype(w.dtype)
    w[touched] += rate[:, None] * (pull[touched] - mass[touched, None] * w[touched])


def shift_invariant_step(
    views: np.ndarray,
    w: np.ndarray,
    state: ShiftInvariantState,
    params: ShiftInvariantParams,
    neighbourhood: float,
    *,
    out: np.ndarray | None = None,
    validate: bool = True,
) -> tuple[np.ndarray, ShiftInvariantState]:
    """One rank-ordered update from one image or a mini-batch; the inputs stay untouched.

    :param views: ``(n_shifts, canvas)`` or ``(B, n_shifts, canvas)`` from :func:`shift_views`.
    :param w: templates ``(n_units, canvas)``, float32 or float64 (kept).
    :param state: :class:`ShiftInvariantState` (the units' activity counts).
    :param params: :class:`ShiftInvariantParams`.
    :param neighbourhood: rank decay length ``λ > 0``; small values make it winner-take-all.
    :param out: write the weights here (``out=w`` updates in place).
    :param validate: ``False`` skips input checks for trusted hot loops.
    :returns: new weights and new state.
    """
    if validate:
        check.check_instance("params", params, ShiftInvariantParams)
        check.check_instance("state", state, ShiftInvariantState)
        views = _check_views(views, params)
        w = _check_weights(w, params)
        neighbourhood = check.positive("neighbourhood", neighbourhood)
        counts = check.as_activity("state.counts", state.counts, w.shape[0], np.float64, batch=False, low=0.0)
    else:
        counts = state.counts
    target = check.prepare_output(out, w, validate=validate)
    counts = np.array(counts, dtype=np.float64)
    _update(views if views.ndim == 3 else views[None], target, counts, neighbourhood)
    return target, ShiftInvariantState(counts)


def init_shift_invariant(
    images: np.ndarray, n_units: int, params: ShiftInvariantParams, rng: np.random.Generator
) -> tuple[np.ndarray, ShiftInvariantState]:
    """Imprint ``n_units`` distinct random images (centred on the canvas) as first templates.

    :returns: float32 weights ``(n_units, canvas)`` and counts of 1 (each template is the mean
        of the one image it was imprinted from).
    """
    check.check_instance("params", params, ShiftInvariantParams)
    images = np.atleast_2d(_check_images(images, params))
    n_units = check.as_int("n_units", n_units, minimum=1)
    if n_units > images.shape[0]:
        raise ValueError(f"n_units: {n_units} units need at least as many images, got {images.shape[0]}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected numpy.random.Generator, got {type(rng).__name__}")
    chosen = images[rng.choice(images.shape[0], n_units, replace=False)]
    w = shift_views(chosen, params, validate=False)[:, params.n_shifts // 2].copy()
    return w, ShiftInvariantState(np.ones(n_units, dtype=np.float64))


def fit_shift_invariant(
    images: np.ndarray, n_units: int, params: ShiftInvariantParams, seed: int = 0
) -> tuple[np.ndarray, ShiftInvariantState]:
    """Learn ``n_units`` templates from unlabelled images (see the module docstring).

    ``λ`` falls geometrically from ``neighbourhood_start`` to ``neighbourhood_end`` over all
    updates; images are shuffled every epoch; counts decay by ``count_decay`` per epoch.

    :param images: ``(N, height·width)`` training images, ``N >= n_units``.
    :param n_units: number of units ``K``.
    :param params: :class:`ShiftInvariantParams`.
    :param seed: seeds the imprinting and the presentation order.
    :returns: float32 templates ``(n_units, canvas)`` and the final state.
    """
    check.check_instance("params", params, ShiftInvariantParams)
    images = _check_images(images, params)
    if images.ndim != 2:
        raise ValueError(f"images: expected a batch (N, {images.shape[0]}), got shape {images.shape}")
    rng = np.random.default_rng(check.as_int("seed", seed, minimum=0))
    w, state = init_shift_invariant(images, n_units, params, rng)
    counts = state.counts
    views = shift_views(images, params, validate=False)
    n_images, batch = images.shape[0], params.batch_size
    steps_per_epoch = -(-n_images // batch)
    total = params.n_epochs * steps_per_epoch
    ratio = params.neighbourhood_end / params.neighbourhood_start
    step = 0
    for _ in range(params.n_epochs):
        counts *= params.count_decay
        order = rng.permutation(n_images)
        for start in range(0, n_images, batch):
            neighbourhood = params.neighbourhood_start * ratio ** (step / max(total - 1, 1))
            _update(views[order[start : start + batch]], w, counts, neighbourhood)
            step += 1
    return w, ShiftInvariantState(counts)
