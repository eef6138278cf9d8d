"""Lateral decorrelation: anti-Hebbian lateral synapses that whiten a layer's signed units.

A layer's units, each a random or principal projection of the same non-negative input, are strongly
correlated: every pattern shares the mean direction, and a few directions carry most of the variance, so
two different stimuli look alike to a cosine read-out (bench/RESULTS.md 5k). Lateral inhibition between
units that fire together removes that (Földiák 1990; Barlow & Földiák 1989): with anti-Hebbian lateral
synapses (``ΔL_ij ∝ -y_i y_j``) and a self-gain that holds each unit's variance, the population's steady
state is ``y = K c`` with ``K C K = I``, where ``c`` is the units' drive less its running mean and ``C``
its covariance. With independent unit noise of variance ``ε² λ_max`` during learning the symmetric
solution is

    ``K = (C + ε² λ_max I)^(-1/2)``

(ZCA whitening; ``λ_max`` is ``C``'s largest eigenvalue, ``ε = floor``): directions in which stimuli
differ little are raised up to ``1/ε`` times the strongest, never without bound. This module computes that
fixed point from the running co-activity ``C`` the lateral synapses accumulate (a Hebbian average of
``c_i c_j``), instead of integrating the lateral weights one sample at a time; it refreshes ``K`` every
``refresh`` learned samples.

Details that keep the read-out valid:

* centring scales with the drive's size: ``c = z - (‖z‖ / r) m`` (``m`` the mean drive, ``r`` its mean
  norm), so a weak input (an empty table) stays weak instead of becoming ``-m``;
* the output is rescaled by ``s`` so its mean square norm equals the drive's: rates keep their range;
* it fades in over ``tau`` samples, ``y = (1 - f) z + f s K c`` with ``f = n / (n + tau)``: the first
  memories are stored while the transfer is still near the identity, and it changes ever more slowly.

Statistics change only while the layer learns (:meth:`Decorrelation.update`); :meth:`Decorrelation.apply`
is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hebbian_ros.core import validation as check


@dataclass(frozen=True)
class DecorrelationParams:
    """Immutable parameters of :class:`Decorrelation`.

    :param tau: time constant [learning samples] of the running statistics and of the fade-in, ``> 0``.
    :param floor: ``ε``: noise floor relative to the strongest direction, ``(0, 1]``; the largest gain is
        ``1/ε`` times the strongest direction's.
    :param refresh: learned samples between two computations of the transfer ``K``, ``>= 1``.
    """

    tau: float = 3000.0
    floor: float = 0.1
    refresh: int = 32

    def __post_init__(self) -> None:
        check.in_interval("tau", self.tau, 0.0, 1e12, low_open=True)
        check.in_interval("floor", self.floor, 0.0, 1.0, low_open=True)
        check.as_int("refresh", self.refresh, minimum=1)


class Decorrelation:
    """Running co-activity of ``n`` signed units and the whitening transfer it gives; see the module docstring."""

    #: Keys of :meth:`state_dict`.
    KEYS = (
        "decorrelation_count",
        "decorrelation_mean",
        "decorrelation_norm",
        "decorrelation_power",
        "decorrelation_cov",
        "decorrelation_transfer",
        "decorrelation_refreshed_at",
    )

    def __init__(self, n: int, params: DecorrelationParams | None = None) -> None:
        self.n = check.as_int("n", n, minimum=1)
        self.params = DecorrelationParams() if params is None else params
        check.check_instance("params", self.params, DecorrelationParams)
        self.count = 0
        self.mean = np.zeros(self.n)  # m: mean drive
        self.norm = 0.0  # r: mean drive norm
        self.power = 0.0  # mean squared drive norm
        self.cov = np.zeros((self.n, self.n))  # C: mean c c^T
        self._transfer = np.eye(self.n, dtype=np.float32)  # s K
        self._refreshed_at = 0

    @property
    def fade(self) -> float:
        """``f = n / (n + tau)``: how far the output has moved from the drive to its whitened form."""
        return self.count / (self.count + self.params.tau)

    @property
    def transfer(self) -> np.ndarray:
        """``s K`` ``(n, n)``, symmetric, as last refreshed (a copy)."""
        return self._transfer.copy()

    def centred(self, z: np.ndarray) -> np.ndarray:
        """``c = z - (‖z‖ / r) m`` for drives ``z`` ``(n,)`` or ``(B, n)``."""
        if self.norm <= 0:
            return np.asarray(z, np.float32)
        size = np.sqrt(np.einsum("...i,...i->...", z, z, dtype=np.float64))[..., None] / self.norm
        return (z - size * self.mean).astype(np.float32)

    def apply(self, z: np.ndarray) -> np.ndarray:
        """The units' output for drives ``z`` ``(n,)`` or ``(B, n)`` (float32): ``(1 - f) z + f s K c``."""
        if self.count == 0:
            return z
        f = np.float32(self.fade)
        return ((1 - f) * z + f * (self.centred(z) @ self._transfer)).astype(np.float32, copy=False)

    def update(self, z: np.ndarray) -> None:
        """Fold learned-from drives ``z`` ``(n,)`` or ``(B, n)`` into the statistics; refresh ``K`` when due."""
        for row in np.atleast_2d(np.asarray(z, np.float64)):
            self.count += 1
            rate = max(1.0 / self.count, 1.0 / self.params.tau)
            size = float(np.sqrt(row @ row))
            self.mean += rate * (row - self.mean)
            self.norm += rate * (size - self.norm)
            self.power += rate * (size * size - self.power)
            c = row - (size / self.norm) * self.mean if self.norm > 0 else row
            self.cov *= 1 - rate
            self.cov += rate * np.outer(c, c)
            if self.count - self._refreshed_at >= self.params.refresh or self.count <= self.params.refresh:
                self._refresh()

    def _refresh(self) -> None:
        """``s K`` from the current statistics (a symmetric eigendecomposition)."""
        self._refreshed_at = self.count
        eigenvalues, vectors = np.linalg.eigh(self.cov)
        eigenvalues = np.clip(eigenvalues, 0.0, None)
        top = eigenvalues[-1]
        if top <= 0:
            self._transfer = np.eye(self.n, dtype=np.float32)
            return
        regularised = eigenvalues + self.params.floor**2 * top
        whitened_power = float(np.sum(eigenvalues / regularised))  # E ||K c||^2
        scale = np.sqrt(self.power / whitened_power) if whitened_power > 0 else 1.0
        self._transfer = ((vectors * (scale / np.sqrt(regularised))) @ vectors.T).astype(np.float32)

    def state_dict(self) -> dict[str, Any]:
        """The statistics and the transfer as last refreshed, as plain arrays and scalars."""
        return {
            "decorrelation_count": self.count,
            "decorrelation_mean": self.mean.copy(),
            "decorrelation_norm": self.norm,
            "decorrelation_power": self.power,
            "decorrelation_cov": self.cov.copy(),
            "decorrelation_transfer": self._transfer.copy(),
            "decorrelation_refreshed_at": self._refreshed_at,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], n: int, params: DecorrelationParams) -> Decorrelation:
        """A :class:`Decorrelation` restored from :meth:`state_dict`; everything checked first."""
        out = cls(n, params)
        count = check.as_int("decorrelation_count", state["decorrelation_count"], minimum=0)
        mean = check.as_real_array("decorrelation_mean", state["decorrelation_mean"], np.float64)
        cov = check.as_real_array("decorrelation_cov", state["decorrelation_cov"], np.float64)
        transfer = check.as_real_array("decorrelation_transfer", state["decorrelation_transfer"], np.float32)
        if mean.shape != (n,) or cov.shape != (n, n) or transfer.shape != (n, n):
            raise ValueError(
                f"decorrelation: expected mean ({n},), cov and transfer ({n}, {n}), got {mean.shape}, {cov.shape}, "
                f"{transfer.shape}"
            )
        refreshed_at = check.as_int("decorrelation_refreshed_at", state["decorrelation_refreshed_at"], minimum=0)
        if refreshed_at > count:
            raise ValueError(f"decorrelation_refreshed_at: {refreshed_at} is after decorrelation_count {count}")
        norm, power = (
            float(check.as_real_array(key, state[key], np.float64, low=0.0))
            for key in ("decorrelation_norm", "decorrelation_power")
        )
        out.count, out.mean, out.cov, out.norm, out.power = count, mean.copy(), cov.copy(), norm, power
        out._transfer, out._refreshed_at = transfer.copy(), refreshed_at
        return out
