"""BCM rule (Bienenstock, Cooper & Munro 1982) with a sliding modification threshold.

``Δw = η x y (y − θ)``: activity above the threshold ``θ`` potentiates, below it depresses.
``θ`` slides with the unit's own recent activity, tracking ``E[y²]`` as an exponential moving
average with time constant ``tau_theta`` (in updates). A unit that fires too much raises
``θ`` and depresses itself, so the unit ends up selective: strong for some input patterns,
near silent for the rest. An optional weight decay and a hard clip to ``[w_min, w_max]`` keep
the weights bounded whatever the input statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from hebbian_ros.core import validation as check


@dataclass(frozen=True)
class BCMParams:
    """Parameters of the BCM rule.

    :param eta: learning rate in ``[0, 1]``.
    :param tau_theta: time constant of the sliding threshold, in updates (``>= 1``).
    :param decay: weight decay per update, relative to ``eta`` (``Δw -= η·decay·w``).
    :param w_min: lower weight limit.
    :param w_max: upper weight limit.
    """

    eta: float = 0.01
    tau_theta: float = 20.0
    decay: float = 0.0
    w_min: float = 0.0
    w_max: float = 1.0

    def __post_init__(self) -> None:
        set_field = object.__setattr__
        set_field(self, "eta", check.in_interval("BCMParams.eta", self.eta, 0.0, 1.0))
        set_field(self, "tau_theta", check.in_interval("BCMParams.tau_theta", self.tau_theta, 1.0))
        set_field(self, "decay", check.in_interval("BCMParams.decay", self.decay, 0.0, 1.0))
        w_min = check.as_real("BCMParams.w_min", self.w_min)
        w_max = check.as_real("BCMParams.w_max", self.w_max)
        if w_max <= w_min:
            raise ValueError(f"BCMParams.w_max: must be > w_min={w_min:g}, got {w_max:g}")
        set_field(self, "w_min", w_min)
        set_field(self, "w_max", w_max)

    def scaled(self, factor: float) -> BCMParams:
        """Same rule with the learning rate multiplied by ``factor`` (plasticity gating).

        The threshold keeps tracking activity at its own pace.
        """
        return replace(self, eta=self.eta * factor)


class BCMState(NamedTuple):
    """Sliding threshold ``θ`` of every unit, shape ``(n_out,)``."""

    theta: np.ndarray


def bcm_init_state(n_out: int, theta: float = 0.0, dtype: np.dtype | type = np.float32) -> BCMState:
    """Initial state with every threshold at ``theta`` (``>= 0``)."""
    n_out = check.as_int("n_out", n_out, minimum=1)
    theta = check.non_negative("theta", theta)
    with np.errstate(over="ignore"):
        thresholds = np.full(n_out, theta, dtype=dtype)
    if not np.isfinite(thresholds).all():
        raise ValueError(f"theta: {theta:g} overflows {thresholds.dtype}")
    return BCMState(theta=thresholds)


def _bcm_update(pre: np.ndarray, post: np.ndarray, w: np.ndarray, theta: np.ndarray, params: BCMParams) -> np.ndarray:
    """In place on ``W``; returns the new threshold (batch: means over samples)."""
    eta = params.eta
    drive = post * (post - theta)
    if params.decay:
        w *= 1 - eta * params.decay
    if pre.ndim == 1:
        w += (eta * drive)[:, None] * pre
        mean_square = post * post
    else:
        w += (drive * (eta / pre.shape[0])).T @ pre
        mean_square = np.einsum("bi,bi->i", post, post) / pre.shape[0]
    np.maximum(w, params.w_min, out=w)
    np.minimum(w, params.w_max, out=w)
    return theta + (mean_square - theta) * (1 / params.tau_theta)


def bcm_step(
    pre: np.ndarray,
    post: np.ndarray,
    w: np.ndarray,
    state: BCMState,
    params: BCMParams,
    *,
    out: np.ndarray | None = None,
    validate: bool = True,
) -> tuple[np.ndarray, BCMState]:
    """One BCM update with the current threshold, then slide the threshold towards ``y²``.

    :param pre: input ``(n_in,)`` or mini-batch ``(B, n_in)``.
    :param post: unit activity ``(n_out,)`` or ``(B, n_out)``, usually ``max(W x, 0)``.
    :param w: weights ``(n_out, n_in)``, float32 or float64 (kept).
    :param state: :class:`BCMState` with ``theta`` of shape ``(n_out,)``.
    :param params: :class:`BCMParams`.
    :param out: write the weights here (``out=w`` updates in place).
    :param validate: ``False`` skips input checks for trusted hot loops.
    :returns: new weights and new state; the given ones are not modified.
    """
    if validate:
        check.check_instance("params", params, BCMParams)
        check.check_instance("state", state, BCMState)
        pre, post, w = check.as_rule_inputs(pre, post, w)
        theta = check.as_activity("state.theta", state.theta, w.shape[0], w.dtype, batch=False, low=0.0)
        state = BCMState(theta=theta)
    target = check.prepare_output(out, w, validate=validate)
    theta = _bcm_update(pre, post, target, state.theta, params)
    return target, BCMState(theta=theta.astype(target.dtype, copy=False))
