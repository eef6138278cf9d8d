"""Turning stimuli into neural activity: rate coding and Poisson spike trains.

Rate coding maps a normalised stimulus intensity ``s`` in ``[0, 1]`` linearly to a firing
rate ``r_min + s (r_max − r_min)`` in Hz. Poisson encoding turns rates into spikes: in each
time step of ``dt`` seconds a neuron fires with probability ``rate·dt``, independently of
other steps and neurons (the Bernoulli approximation of a Poisson process, which needs
``rate·dt <= 1``). Spikes depend only on the numpy ``Generator`` given, so a seed fixes them.
"""

from __future__ import annotations

import numpy as np

from hebbian_ros.core import validation as check


def rate_code(intensity: np.ndarray, r_min_hz: float = 0.0, r_max_hz: float = 100.0) -> np.ndarray:
    """Firing rates in Hz (float32) for intensities in ``[0, 1]``, any shape.

    :param intensity: normalised stimulus strengths, every value in ``[0, 1]``.
    :param r_min_hz: rate at intensity 0 (``>= 0``).
    :param r_max_hz: rate at intensity 1 (``>= r_min_hz``).
    """
    r_min_hz = check.non_negative("r_min_hz", r_min_hz)
    r_max_hz = check.non_negative("r_max_hz", r_max_hz)
    if r_max_hz < r_min_hz:
        raise ValueError(f"r_max_hz: must be >= r_min_hz={r_min_hz:g}, got {r_max_hz:g}")
    intensity = check.as_real_array("intensity", intensity, np.float32, low=0.0, high=1.0)
    return (r_min_hz + intensity * (r_max_hz - r_min_hz)).astype(np.float32, copy=False)


def poisson_spikes(
    rates_hz: np.ndarray,
    dt_s: float,
    rng: np.random.Generator,
    *,
    n_steps: int | None = None,
    validate: bool = True,
) -> np.ndarray:
    """Boolean spikes drawn with probability ``rate·dt`` per neuron and step.

    :param rates_hz: non-negative firing rates in Hz, any shape.
    :param dt_s: time step in seconds (``> 0``); ``max(rates_hz)·dt_s`` must be ``<= 1``.
    :param rng: the ``numpy.random.Generator`` to draw from (advanced by the call).
    :param n_steps: number of steps; ``None`` draws one step of shape ``rates_hz.shape``,
        otherwise the result has shape ``(n_steps, *rates_hz.shape)``.
    :param validate: ``False`` skips input checks for trusted hot loops (then ``rate·dt > 1``
        simply fires every step).
    """
    if not validate:
        prefix = () if n_steps is None else (n_steps,)
        return rng.random(prefix + np.shape(rates_hz), dtype=np.float32) < rates_hz * dt_s
    dt_s = check.positive("dt_s", dt_s)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected numpy.random.Generator, got {type(rng).__name__}")
    shape_prefix: tuple[int, ...] = ()
    if n_steps is not None:
        shape_prefix = (check.as_int("n_steps", n_steps, minimum=1),)
    rates = check.as_real_array("rates_hz", rates_hz, np.float64, low=0.0, what="rate")
    probability = rates * dt_s
    too_fast = probability > 1
    if too_fast.any():
        flat = int(np.flatnonzero(too_fast)[0])
        raise ValueError(
            f"rates_hz: rate {rates.flat[flat]:g} Hz at {check.describe_index(flat, rates.shape)} "
            f"gives {probability.flat[flat]:g} > 1 spike per step of dt_s={dt_s:g}; reduce dt_s"
        )
    return rng.random(shape_prefix + probability.shape, dtype=np.float32) < probability
