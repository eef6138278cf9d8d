"""Oja's rule and Sanger's generalised Hebbian algorithm (GHA): Hebbian PCA.

Oja (1982) adds a decay proportional to ``y²`` to the Hebb term, ``Δw = η y (x − y w)``, which
keeps ``‖w‖ → 1`` and drives a linear unit ``y = w·x`` to the first principal component of
zero-mean inputs. Each row of ``W`` runs Oja independently, so every unit finds the same
component; a single unit is ``W`` of shape ``(1, n_in)``.

Sanger (1989) makes unit ``j`` learn from the input minus what units ``0..j`` already explain,
``ΔW = η (y xᵀ − LT[y yᵀ] W)`` with ``LT`` the lower triangle including the diagonal, so rows
converge to the leading ``n_out`` principal components in order of decreasing eigenvalue.

Both rules assume linear ``y = W x``. Stable for ``η ‖x‖² ≲ 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from hebbian_ros.core import validation as check


@dataclass(frozen=True)
class OjaParams:
    """Learning rate of Oja's rule (also used by Sanger's rule).

    :param eta: learning rate in ``[0, 1]``.
    """

    eta: float = 0.01

    def __post_init__(self) -> None:
        name = f"{type(self).__name__}.eta"
        object.__setattr__(self, "eta", check.in_interval(name, self.eta, 0.0, 1.0))

    def scaled(self, factor: float) -> OjaParams:
        """Same rule with the learning rate multiplied by ``factor`` (plasticity gating)."""
        return replace(self, eta=self.eta * factor)


@dataclass(frozen=True)
class SangerParams(OjaParams):
    """Learning rate of Sanger's rule (GHA); see :class:`OjaParams`."""


def _oja_update(pre: np.ndarray, post: np.ndarray, w: np.ndarray, eta: float) -> None:
    """In place: ``W ← W (1 − η y²) + η y xᵀ`` per row (batch: mean over samples)."""
    if pre.ndim == 1:
        rate = eta * post
        w *= (1 - rate * post)[:, None]
        w += rate[:, None] * pre
    else:
        rate = eta / pre.shape[0]
        hebb = (post * rate).T @ pre
        w *= (1 - rate * np.einsum("bi,bi->i", post, post))[:, None]
        w += hebb


#: Above this many units a blocked prefix sum beats ``np.cumsum`` along the unit axis, whose
#: sequential dependency chain runs at add-latency speed.
_BLOCKED_PREFIX_MIN_ROWS = 64


def _row_prefix_sums(rows: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum over axis 0, vectorised along axis 1.

    For many rows, split them into ``≈√n`` blocks: prefix sums inside blocks are one batched
    triangular matmul, block offsets a second, small one.
    """
    n_rows, n_cols = rows.shape
    if n_rows < _BLOCKED_PREFIX_MIN_ROWS:
        return np.cumsum(rows, axis=0)
    block = math.isqrt(n_rows)
    n_blocks = -(-n_rows // block)
    padded = np.zeros((n_blocks * block, n_cols), dtype=rows.dtype)
    padded[:n_rows] = rows
    sums = np.matmul(np.tril(np.ones((block, block), rows.dtype)), padded.reshape(n_blocks, block, n_cols))
    offsets = np.tril(np.ones((n_blocks, n_blocks), rows.dtype), -1) @ sums[:, -1, :]
    sums += offsets[:, None, :]
    return sums.reshape(-1, n_cols)[:n_rows]


def _sanger_update(pre: np.ndarray, post: np.ndarray, w: np.ndarray, eta: float) -> None:
    """In place: ``W += η (y xᵀ − LT[y yᵀ] W)`` (batch: mean over samples).

    For one sample row ``j`` is ``η y_j (x − Σ_{k≤j} y_k w_k)``: a prefix sum over rows costs
    ``O(n_out n_in)`` instead of the ``O(n_out² n_in)`` product with the triangle.
    """
    if pre.ndim == 1:
        explained = _row_prefix_sums(post[:, None] * w)
        np.subtract(pre, explained, out=explained)
        explained *= (eta * post)[:, None]
        w += explained
    else:
        rate = eta / pre.shape[0]
        scaled_post = post * rate
        delta = scaled_post.T @ pre
        delta -= np.tril(scaled_post.T @ post) @ w
        w += delta


def _checked(pre, post, w, params, params_type, out, validate):
    if validate:
        check.check_instance("params", params, params_type)
        pre, post, w = check.as_rule_inputs(pre, post, w)
    return pre, post, check.prepare_output(out, w, validate=validate)


def oja_step(
    pre: np.ndarray,
    post: np.ndarray,
    w: np.ndarray,
    params: OjaParams,
    *,
    out: np.ndarray | None = None,
    validate: bool = True,
) -> np.ndarray:
    """One Oja update of every row of ``W``; returns the new ``W``, inputs untouched.

    :param pre: input ``x``, shape ``(n_in,)`` or mini-batch ``(B, n_in)``.
    :param post: linear output ``y = W x``, shape ``(n_out,)`` or ``(B, n_out)``.
    :param w: weights ``(n_out, n_in)``, float32 or float64 (kept).
    :param params: :class:`OjaParams`.
    :param out: write the result here (``out=w`` updates in place).
    :param validate: ``False`` skips input checks for trusted hot loops.
    """
    pre, post, target = _checked(pre, post, w, params, OjaParams, out, validate)
    _oja_update(pre, post, target, params.eta)
    return target


def sanger_step(
    pre: np.ndarray,
    post: np.ndarray,
    w: np.ndarray,
    params: SangerParams,
    *,
    out: np.ndarray | None = None,
    validate: bool = True,
) -> np.ndarray:
    """One Sanger (GHA) update; row ``j`` converges to the ``j``-th principal component.

    Arguments as in :func:`oja_step`; ``params`` may be :class:`SangerParams` or
    :class:`OjaParams`.
    """
    pre, post, target = _checked(pre, post, w, params, OjaParams, out, validate)
    _sanger_update(pre, post, target, params.eta)
    return target
