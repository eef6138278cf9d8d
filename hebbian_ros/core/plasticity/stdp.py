"""Pair-based spike-timing-dependent plasticity (STDP) with exponential traces.

A presynaptic spike ``Δt`` before a postsynaptic one potentiates the synapse by
``A₊ exp(−Δt/τ₊)`` (LTP); the reverse order depresses it by ``A₋ exp(−Δt/τ₋)`` (LTD). Instead of
pairing spikes explicitly, every neuron keeps a trace that jumps by 1 at each of its spikes
and decays with ``τ``; a post spike reads the pre traces (LTP), a pre spike reads the post
traces (LTD). Traces add up, so every pre/post pair counts (all-to-all pairing).

Within one time step traces are first decayed, then read, then incremented by the current
spikes, so a pre and a post spike in the same step do not pair with each other.

Bounds: the result is always clipped to ``[w_min, w_max]`` (hard, additive STDP); with
``soft_bounds`` the changes are also scaled by the distance to the bound, ``A₊ (w_max − w)``
and ``A₋ (w − w_min)`` (multiplicative STDP), which approaches the bounds smoothly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from hebbian_ros.core import validation as check


@dataclass(frozen=True)
class STDPParams:
    """Parameters of pair-based STDP; times in milliseconds.

    :param a_plus: LTP amplitude ``A₊ >= 0`` (weight change of one pair at ``Δt → 0``).
    :param a_minus: LTD amplitude ``A₋ >= 0``.
    :param tau_plus_ms: LTP window time constant ``τ₊ > 0``.
    :param tau_minus_ms: LTD window time constant ``τ₋ > 0``.
    :param dt_ms: simulation time step ``> 0``.
    :param w_min: lower weight limit.
    :param w_max: upper weight limit.
    :param soft_bounds: scale changes by the distance to the bounds (multiplicative STDP).
    """

    a_plus: float = 0.005
    a_minus: float = 0.00525
    tau_plus_ms: float = 20.0
    tau_minus_ms: float = 20.0
    dt_ms: float = 1.0
    w_min: float = 0.0
    w_max: float = 1.0
    soft_bounds: bool = False

    def __post_init__(self) -> None:
        set_field = object.__setattr__
        for name in ("a_plus", "a_minus"):
            set_field(self, name, check.in_interval(f"STDPParams.{name}", getattr(self, name), 0.0, 1.0))
        for name in ("tau_plus_ms", "tau_minus_ms", "dt_ms"):
            set_field(self, name, check.positive(f"STDPParams.{name}", getattr(self, name)))
        w_min = check.as_real("STDPParams.w_min", self.w_min)
        w_max = check.as_real("STDPParams.w_max", self.w_max)
        if w_max <= w_min:
            raise ValueError(f"STDPParams.w_max: must be > w_min={w_min:g}, got {w_max:g}")
        set_field(self, "w_min", w_min)
        set_field(self, "w_max", w_max)
        if not isinstance(self.soft_bounds, (bool, np.bool_)):
            raise ValueError(f"STDPParams.soft_bounds: expected a bool, got {type(self.soft_bounds).__name__}")
        set_field(self, "soft_bounds", bool(self.soft_bounds))
        # Per-step trace decay factors, cached because every step needs them.
        set_field(self, "_pre_decay", math.exp(-self.dt_ms / self.tau_plus_ms))
        set_field(self, "_post_decay", math.exp(-self.dt_ms / self.tau_minus_ms))

    @property
    def pre_decay(self) -> float:
        """Per-step decay factor of presynaptic traces, ``exp(−dt/τ₊)``."""
        return self._pre_decay

    @property
    def post_decay(self) -> float:
        """Per-step decay factor of postsynaptic traces, ``exp(−dt/τ₋)``."""
        return self._post_decay

    def scaled(self, factor: float) -> STDPParams:
        """Same rule with both amplitudes multiplied by ``factor`` (plasticity gating)."""
        return replace(self, a_plus=self.a_plus * factor, a_minus=self.a_minus * factor)


class STDPState(NamedTuple):
    """Spike traces: ``pre_trace`` ``(n_in,)`` and ``post_trace`` ``(n_out,)``."""

    pre_trace: np.ndarray
    post_trace: np.ndarray


def stdp_init_state(n_in: int, n_out: int, dtype: np.dtype | type = np.float32) -> STDPState:
    """All traces at zero (no spike seen yet)."""
    n_in = check.as_int("n_in", n_in, minimum=1)
    n_out = check.as_int("n_out", n_out, minimum=1)
    return STDPState(np.zeros(n_in, dtype=dtype), np.zeros(n_out, dtype=dtype))


def _stdp_update(
    pre_spikes: np.ndarray,
    post_spikes: np.ndarray,
    w: np.ndarray,
    state: STDPState,
    params: STDPParams,
) -> STDPState:
    """In place on ``W``; returns new traces. Only rows/columns that spiked are touched.

    LTP and LTD (and their soft-bound factors) are both computed from the weights before the
    step, so the change is linear in the amplitudes until the final clip.
    """
    pre_trace = state.pre_trace * params._pre_decay
    post_trace = state.post_trace * params._post_decay
    fired_out = np.nonzero(post_spikes)[0]
    fired_in = np.nonzero(pre_spikes)[0]
    if fired_out.size:
        potentiation = params.a_plus * pre_trace
        if params.soft_bounds:
            potentiation = potentiation * (params.w_max - w[fired_out])
    if fired_in.size:
        depression = (params.a_minus * post_trace)[:, None]
        if params.soft_bounds:
            depression = depression * (w[:, fired_in] - params.w_min)
        w[:, fired_in] -= depression
        pre_trace[fired_in] += 1
    if fired_out.size:
        w[fired_out] += potentiation
        w[fired_out] = np.clip(w[fired_out], params.w_min, params.w_max)
        post_trace[fired_out] += 1
    if fired_in.size:
        w[:, fired_in] = np.clip(w[:, fired_in], params.w_min, params.w_max)
    return STDPState(pre_trace, post_trace)


def stdp_step(
    pre_spikes: np.ndarray,
    post_spikes: np.ndarray,
    w: np.ndarray,
    state: STDPState,
    params: STDPParams,
    *,
    out: np.ndarray | None = None,
    validate: bool = True,
) -> tuple[np.ndarray, STDPState]:
    """Advance one time step of ``dt_ms``: decay traces, apply LTP/LTD, record the spikes.

    :param pre_spikes: presynaptic spikes of this step, ``(n_in,)`` bool or 0/1.
    :param post_spikes: postsynaptic spikes of this step, ``(n_out,)`` bool or 0/1.
    :param w: weights ``(n_out, n_in)``, float32 or float64 (kept).
    :param state: :class:`STDPState` from :func:`stdp_init_state` or the previous step.
    :param params: :class:`STDPParams`.
    :param out: write the weights here (``out=w`` updates in place).
    :param validate: ``False`` skips input checks for trusted hot loops.
    :returns: new weights and new state; the given ones are not modified.
    """
    if validate:
        check.check_instance("params", params, STDPParams)
        check.check_instance("state", state, STDPState)
        w = check.as_weights("w", w)
        n_out, n_in = w.shape
        pre_spikes = check.as_spikes("pre_spikes", pre_spikes, n_in)
        post_spikes = check.as_spikes("post_spikes", post_spikes, n_out)
        state = STDPState(
            check.as_activity("state.pre_trace", state.pre_trace, n_in, w.dtype, batch=False, low=0.0),
            check.as_activity("state.post_trace", state.post_trace, n_out, w.dtype, batch=False, low=0.0),
        )
    target = check.prepare_output(out, w, validate=validate)
    return target, _stdp_update(pre_spikes, post_spikes, target, state, params)
