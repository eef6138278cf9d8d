"""Plain Hebbian learning: ``ΔW = η y xᵀ`` ("cells that fire together wire together").

Unbounded on purpose. Averaged over inputs with correlation ``C = E[x xᵀ]`` and linear
``y = W x`` the rule is ``dw/dt = η C w``, whose solution grows like ``exp(η λ₁ t)`` along the
leading eigenvector: the norm blows up. This module is the reference for that instability;
pair it with :mod:`hebbian_ros.core.plasticity.bounds` (or use Oja/BCM/competitive/STDP) to stay bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hebbian_ros.core import validation as check


@dataclass(frozen=True)
class HebbParams:
    """Parameters of the plain Hebb rule.

    :param eta: learning rate, ``>= 0``.
    """

    eta: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "eta", check.non_negative("HebbParams.eta", self.eta))

    def scaled(self, factor: float) -> HebbParams:
        """Same rule with the learning rate multiplied by ``factor`` (plasticity gating)."""
        return replace(self, eta=self.eta * factor)


def _hebb_update(pre: np.ndarray, post: np.ndarray, w: np.ndarray, eta: float) -> None:
    """Unchecked in-place kernel: ``W += η y xᵀ`` (a mini-batch averages over its samples)."""
    if pre.ndim == 1:
        w += (eta * post)[:, None] * pre
    else:
        w += (post * (eta / pre.shape[0])).T @ pre


def hebb_step(
    pre: np.ndarray,
    post: np.ndarray,
    w: np.ndarray,
    params: HebbParams,
    *,
    out: np.ndarray | None = None,
    validate: bool = True,
) -> np.ndarray:
    """One plain Hebbian update; returns the new ``W`` and leaves the inputs untouched.

    :param pre: presynaptic activity ``(n_in,)`` or mini-batch ``(B, n_in)``.
    :param post: postsynaptic activity ``(n_out,)`` or ``(B, n_out)``.
    :param w: weights ``(n_out, n_in)``, float32 or float64; the result has the same dtype.
    :param params: :class:`HebbParams`.
    :param out: write the result here instead of a new array (``out=w`` updates in place).
    :param validate: ``False`` skips input checks for trusted hot loops.
    """
    if validate:
        check.check_instance("params", params, HebbParams)
        pre, post, w = check.as_rule_inputs(pre, post, w)
    target = check.prepare_output(out, w, validate=validate)
    _hebb_update(pre, post, target, params.eta)
    return target
