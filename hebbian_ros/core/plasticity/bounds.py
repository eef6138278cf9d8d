"""Weight bounds and per-row normalisation, the usual ways to keep Hebbian growth in check.

Plain Hebbian growth ``dw/dt = C w`` diverges; clipping each weight to ``[w_min, w_max]`` or
rescaling each unit's incoming weight vector (a row of ``W``) to a fixed L2 or L1 norm turns it
into a bounded competition between synapses. Rows are units: ``W`` has shape ``(n_out, n_in)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from hebbian_ros.core import validation as check


class BoundsMode(str, Enum):
    """How weights are kept bounded after each update."""

    NONE = "none"  #: leave weights as they are
    CLIP = "clip"  #: clip every weight to ``[w_min, w_max]``
    L2 = "l2"  #: rescale every row to Euclidean norm ``norm``
    L1 = "l1"  #: rescale every row so that its absolute values sum to ``norm``


MODES = tuple(mode.value for mode in BoundsMode)


@dataclass(frozen=True)
class Bounds:
    """A bounds option: the mode plus the numbers it needs.

    :param mode: one of ``"none"``, ``"clip"``, ``"l2"``, ``"l1"``.
    :param w_min: lower weight limit for ``"clip"``.
    :param w_max: upper weight limit for ``"clip"``.
    :param norm: target row norm for ``"l2"`` / ``"l1"``.
    """

    mode: BoundsMode | str = BoundsMode.NONE
    w_min: float = 0.0
    w_max: float = 1.0
    norm: float = 1.0

    def __post_init__(self) -> None:
        mode = BoundsMode(check.as_choice("Bounds.mode", self.mode, MODES))
        w_min = check.as_real("Bounds.w_min", self.w_min)
        w_max = check.as_real("Bounds.w_max", self.w_max)
        if w_max < w_min:
            raise ValueError(f"Bounds.w_max: must be >= w_min={w_min:g}, got {w_max:g}")
        object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "w_min", w_min)
        object.__setattr__(self, "w_max", w_max)
        object.__setattr__(self, "norm", check.positive("Bounds.norm", self.norm))


def as_bounds(value: Bounds | BoundsMode | str | None) -> Bounds:
    """Accept a :class:`Bounds`, a mode name, or ``None`` (= ``"none"``)."""
    if value is None:
        return Bounds()
    if isinstance(value, Bounds):
        return value
    return Bounds(mode=check.as_choice("bounds", value, MODES))


def _check_fits(name: str, value: float, dtype: np.dtype) -> None:
    """Refuse a bound or norm that the weights' dtype cannot hold (it would turn weights into inf)."""
    limit = float(np.finfo(dtype).max) / 2
    if abs(value) > limit:
        raise ValueError(f"{name}: {value:g} does not fit {np.dtype(dtype)} weights (|{name}| <= {limit:g})")


def _clip_in_place(target: np.ndarray, w_min: float, w_max: float) -> None:
    """Unchecked in-place clip (two ufunc calls are cheaper than ``np.clip`` on small arrays)."""
    np.maximum(target, w_min, out=target)
    np.minimum(target, w_max, out=target)


def _rescale_rows(target: np.ndarray, row_norms: np.ndarray, norm: float) -> None:
    """Scale rows to ``norm`` in place; all-zero rows have no direction and stay zero."""
    target *= (norm / np.where(row_norms > 0, row_norms, 1))[:, None]


def row_l2_norms(w: np.ndarray) -> np.ndarray:
    """Euclidean norm of every row, without overflow for huge weights (no rows: an empty array)."""
    squares = np.einsum("ij,ij->i", w, w)  # einsum overflows to inf silently
    if squares.size == 0 or squares.max() < np.inf:
        return np.sqrt(squares)
    scale = np.max(np.abs(w), axis=1).astype(np.float64)
    scale[scale == 0] = 1
    scaled = w / scale[:, None]
    return scale * np.sqrt(np.einsum("ij,ij->i", scaled, scaled))


def _row_l1_norms(w: np.ndarray) -> np.ndarray:
    return np.abs(w).sum(axis=1, dtype=np.float64)


def clip_weights(
    w: np.ndarray, w_min: float, w_max: float, *, out: np.ndarray | None = None, validate: bool = True
) -> np.ndarray:
    """Clip every weight to ``[w_min, w_max]``."""
    if validate:
        check.as_weights("w", w)
        w_min, w_max = check.as_real("w_min", w_min), check.as_real("w_max", w_max)
        if w_max < w_min:
            raise ValueError(f"w_max: must be >= w_min={w_min:g}, got {w_max:g}")
        _check_fits("w_min", w_min, w.dtype)
        _check_fits("w_max", w_max, w.dtype)
    target = check.prepare_output(out, w, validate=validate)
    _clip_in_place(target, w_min, w_max)
    return target


def normalize_rows_l2(
    w: np.ndarray, norm: float = 1.0, *, out: np.ndarray | None = None, validate: bool = True
) -> np.ndarray:
    """Rescale each row of ``W`` to Euclidean length ``norm`` (zero rows stay zero)."""
    return _normalize_rows(w, norm, row_l2_norms, out, validate)


def normalize_rows_l1(
    w: np.ndarray, norm: float = 1.0, *, out: np.ndarray | None = None, validate: bool = True
) -> np.ndarray:
    """Rescale each row of ``W`` so its absolute values sum to ``norm`` (zero rows stay zero)."""
    return _normalize_rows(w, norm, _row_l1_norms, out, validate)


def _normalize_rows(w, norm, row_norms, out, validate) -> np.ndarray:
    if validate:
        check.as_weights("w", w)
        norm = check.positive("norm", norm)
        _check_fits("norm", norm, w.dtype)
    target = check.prepare_output(out, w, validate=validate)
    _rescale_rows(target, row_norms(target), norm)
    return target


def apply_bounds(
    w: np.ndarray,
    bounds: Bounds | BoundsMode | str | None,
    *,
    out: np.ndarray | None = None,
    validate: bool = True,
) -> np.ndarray:
    """Apply a bounds option to ``W``; pure unless ``out`` is given (``out=w`` works in place)."""
    bounds = as_bounds(bounds)
    if validate:
        check.as_weights("w", w)
        if bounds.mode is BoundsMode.CLIP:
            _check_fits("Bounds.w_min", bounds.w_min, w.dtype)
            _check_fits("Bounds.w_max", bounds.w_max, w.dtype)
        elif bounds.mode is not BoundsMode.NONE:
            _check_fits("Bounds.norm", bounds.norm, w.dtype)
    target = check.prepare_output(out, w, validate=validate)
    if bounds.mode is BoundsMode.CLIP:
        _clip_in_place(target, bounds.w_min, bounds.w_max)
    elif bounds.mode is BoundsMode.L2:
        _rescale_rows(target, row_l2_norms(target), bounds.norm)
    elif bounds.mode is BoundsMode.L1:
        _rescale_rows(target, _row_l1_norms(target), bounds.norm)
    return target
