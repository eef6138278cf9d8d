"""Sensory adaptation and habituation of a population of receptive fields.

Each unit fires for what it sees now (sustained part) plus how much more it sees than it has got
used to (transient part, rectified: an onset cell), so a new stimulus in a field makes it fire fast
and a stimulus that goes away leaves no after-image. A multiplicative gain
implements the "slow down" command: inhibitory feedback from memory lowers it, and it recovers
towards 1 with ``tau_recover`` once the feedback stops. Pure functions over a small state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.parameters import SENSOR


@dataclass(frozen=True)
class HabituationParams:
    """Parameters of :func:`sense`.

    :param max_rate: rate of a unit at full drive [Hz].
    :param sustained_weight: share of the rate that follows the current intensity.
    :param transient_weight: share that follows the increase over the adapted baseline.
    :param tau_adapt: time constant of the baseline following the input [s].
    :param tau_recover: time constant of the gain recovering towards 1 [s].
    :param gain_floor: lowest gain inhibition can drive a unit to.
    """

    max_rate: float = SENSOR.default("max_rate")
    sustained_weight: float = SENSOR.default("sustained_weight")
    transient_weight: float = SENSOR.default("transient_weight")
    tau_adapt: float = SENSOR.default("tau_adapt")
    tau_recover: float = SENSOR.default("tau_recover")
    gain_floor: float = SENSOR.default("gain_floor")

    def __post_init__(self) -> None:
        for name in ("max_rate", "sustained_weight", "transient_weight", "tau_adapt", "tau_recover", "gain_floor"):
            object.__setattr__(self, name, check.as_real(name, getattr(self, name)))
        for name in ("max_rate", "tau_adapt", "tau_recover"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: must be > 0, got {getattr(self, name)}")
        for name in ("sustained_weight", "transient_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name}: must be >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.gain_floor < 1.0:
            raise ValueError(f"gain_floor: must be in [0, 1), got {self.gain_floor}")


class HabituationState(NamedTuple):
    """Adapted baseline intensity and gain of each unit (both float32, same shape)."""

    baseline: np.ndarray
    gain: np.ndarray


def initial_state(shape: tuple[int, ...]) -> HabituationState:
    """A population that has seen nothing yet and is not inhibited."""
    sides = (shape,) if isinstance(shape, (int, np.integer)) else shape
    if not isinstance(sides, (tuple, list)):
        raise ValueError(f"shape: expected a tuple of positive integers, got {type(shape).__name__}")
    shape = tuple(check.as_int("shape", side, minimum=1) for side in sides)
    return HabituationState(np.zeros(shape, np.float32), np.ones(shape, np.float32))


def sense(
    intensity: np.ndarray, dt: float, state: HabituationState, params: HabituationParams, *, validate: bool = True
) -> tuple[np.ndarray, HabituationState]:
    """Advance by ``dt`` seconds with ``intensity`` (0..1) in every field; return rates [Hz] and new state.

    ``validate=False`` skips the checks, for callers whose arguments are valid by construction (the
    sensor node's per-frame path: intensities from the receptive fields, state from this module).
    """
    if validate:
        check.check_instance("params", params, HabituationParams)
        _check_state(state)
        intensity = _check_intensity(intensity, state)
        dt = check.non_negative("dt", dt)
    onset = np.maximum(intensity - state.baseline, np.float32(0.0))
    drive = params.sustained_weight * intensity + params.transient_weight * onset
    rates = (params.max_rate * np.clip(drive, 0.0, 1.0) * state.gain).astype(np.float32)
    adapt = np.float32(1.0 - np.exp(-dt / params.tau_adapt))
    recover = np.float32(1.0 - np.exp(-dt / params.tau_recover))
    baseline = state.baseline + adapt * (intensity - state.baseline)
    gain = state.gain + recover * (np.float32(1.0) - state.gain)
    return rates, HabituationState(baseline.astype(np.float32), gain.astype(np.float32))


def inhibit(
    state: HabituationState, strength: float, unit_gain: np.ndarray | None, params: HabituationParams
) -> HabituationState:
    """Apply one inhibitory feedback message: gain *= 1 - strength * unit_gain (each 0..1), floored."""
    check.check_instance("params", params, HabituationParams)
    _check_state(state)
    factor = inhibition_factor(strength, unit_gain, state.gain.shape)
    gain = np.maximum(state.gain * (np.float32(1.0) - factor), np.float32(params.gain_floor))
    return HabituationState(state.baseline, gain.astype(np.float32))


def inhibition_factor(strength: float, unit_gain: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """Share of each unit's gain one feedback message takes, ``strength * unit_gain`` in [0, 1], shaped ``shape``.

    ``unit_gain`` ``None`` or empty: every unit alike. Raises ``ValueError`` for a strength outside [0, 1] or a
    ``unit_gain`` of the wrong size or outside [0, 1].
    """
    strength = check.as_real("strength", strength)
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength: must be within [0, 1], got {strength}")
    if unit_gain is not None:
        try:
            unit_gain = np.asarray(unit_gain, dtype=np.float32)
        except (TypeError, ValueError) as error:
            raise ValueError(f"gain: not an array of numbers ({error})") from None
    if unit_gain is None or not unit_gain.size:
        return np.full(shape, strength, np.float32)
    if unit_gain.size != int(np.prod(shape)):
        raise ValueError(f"gain: expected {int(np.prod(shape))} values, got {unit_gain.size}")
    if not np.all(np.isfinite(unit_gain)) or unit_gain.min() < 0 or unit_gain.max() > 1:
        raise ValueError("gain: every value must be finite and within [0, 1]")
    return np.float32(strength) * unit_gain.reshape(shape)


def _check_state(state: HabituationState) -> None:
    check.check_instance("state", state, HabituationState)
    for name, value in zip(state._fields, state):
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or value.shape != np.shape(state.baseline):
            raise ValueError(f"state.{name}: expected a float array shaped like state.baseline")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"state.{name}: contains NaN or inf")


def _check_intensity(intensity: np.ndarray, state: HabituationState) -> np.ndarray:
    try:
        intensity = np.asarray(intensity)
    except (TypeError, ValueError) as error:
        raise ValueError(f"intensity: not an array of numbers ({error})") from None
    if intensity.dtype.kind not in "iuf":
        raise ValueError(f"intensity: expected real numbers, got dtype {intensity.dtype}")
    if intensity.shape != state.baseline.shape:
        raise ValueError(f"intensity: expected shape {state.baseline.shape}, got {intensity.shape}")
    if not np.all(np.isfinite(intensity)):
        raise ValueError("intensity: contains NaN or inf")
    if intensity.size and (intensity.min() < 0 or intensity.max() > 1):
        raise ValueError("intensity: values must be within [0, 1]")
    return intensity
