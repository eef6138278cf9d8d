"""Decorrelated matching: memory compares patterns after whitening them by what it has stored.

Rates that reach memory are crowded: their strongest directions (what every object shares) dominate every
cosine, so a never-seen object looks nearly as similar to its nearest memory as a new view of a known one
(issue 14: median nearest cosines 0.92-0.95 after the layers). Whitening by the stored entries' own
covariance, ``K = (C + prior I)^(-1/2)`` (the steady state of anti-Hebbian lateral decorrelation, Földiák
1990), equalises those directions so the differences between objects count.

The transform is applied to the probe **and** to every stored entry alike, and entries are kept as they were
stored: a refit changes how everything is compared, never what was stored, so no memory is left behind as
the fit follows new objects (a transform in front of memory re-codes only what comes later: drift, bench
RESULTS 5k). A shrinkage prior on the covariance and on the centre keeps it near a plain cosine while few
entries are stored, where a full whitening of a few samples is worse than none (bench/layer_whitening.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.parameters import MEMORY

#: eigenvalue floor, a share of the largest: directions weaker than this are not amplified further
FLOOR = 0.1
#: fewest stored entries before the first fit (until then: plain cosine)
MIN_ENTRIES = 32
#: a refit follows when the entries stored since the last fit reach this share of those fitted on
REFIT_GROWTH = 0.25


@dataclass(frozen=True)
class WhiteningParams:
    """Parameters of :class:`MatchWhitening`.

    :param scatter: what is whitened away. ``"total"``: the entries' covariance (what all objects share).
        ``"views"``: how each memory's own entries (its views: gaze views, copies) vary about their mean, so
        what changes between views of one object (a shift, a turn) counts less than what tells objects apart.
    :param prior_entries: strength of the shrinkage towards a plain cosine, in stored entries: fitted on ``n``
        entries, the prior adds ``prior_entries / n`` of the covariance's trace to every direction and scales
        the centre by ``n / (n + prior_entries)``.
    """

    prior_entries: float = MEMORY.default("match_whitening_prior")
    scatter: str = MEMORY.default("match_whitening_scatter")

    def __post_init__(self) -> None:
        object.__setattr__(self, "prior_entries", check.as_real("prior_entries", self.prior_entries))
        MEMORY["match_whitening_scatter"].check(self.scatter)
        if not self.prior_entries >= 0:
            raise ValueError(f"prior_entries: must be >= 0, got {self.prior_entries}")


class MatchWhitening:
    """The shared transform: centre and ``K``, fitted on stored unit-norm entries, refitted as they grow."""

    def __init__(self, params: WhiteningParams, dim: int) -> None:
        self.params = params
        self.dim = check.as_int("dim", dim, minimum=1)
        self.reset()

    def reset(self) -> None:
        """Not fitted: plain cosine until :meth:`fit`."""
        self.centre = np.zeros(self.dim, np.float32)
        self.transfer: np.ndarray | None = None
        self._transfer64: np.ndarray | None = None
        self.fitted_on = 0  #: entries the transform was fitted on (0: not fitted)
        self.added = 0  #: entries stored since

    def due(self, entries: int) -> bool:
        """Whether a (re)fit is due with ``entries`` stored now."""
        if entries < MIN_ENTRIES:
            return False
        return self.fitted_on == 0 or self.added >= REFIT_GROWTH * self.fitted_on

    def fit(self, units: np.ndarray, owners: np.ndarray | None = None) -> None:
        """Fit on stored entries ``units`` (rows of unit length) of memories ``owners`` (for ``scatter`` views)."""
        units = np.asarray(units, np.float64)
        mean = units.mean(axis=0)
        deviations = units - mean
        if self.params.scatter == "views":
            _, group, counts = np.unique(np.asarray(owners), return_inverse=True, return_counts=True)
            means = np.zeros((len(counts), self.dim))
            np.add.at(means, group, units)
            deviations = (units - means[group] / counts[group, None])[counts[group] > 1]
        samples = max(len(deviations), 1)
        values, vectors = np.linalg.eigh(deviations.T @ deviations / samples)
        values = np.clip(values, 0.0, None)
        prior = FLOOR**2 * values[-1] + self.params.prior_entries / samples * values.sum()
        # the centre has the same prior, at no centring: the mean of a few objects' views is those objects
        mean *= len(units) / (len(units) + self.params.prior_entries)
        if prior <= 0:  # every entry alike: nothing to decorrelate
            self.transfer = None
        else:
            self.transfer = ((vectors / np.sqrt(values + prior)) @ vectors.T).astype(np.float32)
        self.centre = mean.astype(np.float32)
        self._transfer64 = None if self.transfer is None else self.transfer.astype(np.float64)
        self.fitted_on, self.added = len(units), 0

    def __call__(self, units: np.ndarray) -> np.ndarray:
        """Rows ``units`` (unit length) as compared: centred, whitened, unit length (zero rows stay zero)."""
        if self.transfer is None:
            return np.array(units, np.float32)
        # float64: a row comes out the same whether whitened alone or with all the others (exact resume)
        z = (np.asarray(units, np.float64) - self.centre) @ self._transfer64
        norm = np.linalg.norm(z, axis=-1, keepdims=True)
        return np.divide(z, norm, out=np.zeros_like(z), where=norm > 0).astype(np.float32)

    def state_dict(self) -> dict[str, np.ndarray]:
        """The transform and its refit counters (for checkpoints)."""
        transfer = np.zeros((0, self.dim), np.float32) if self.transfer is None else self.transfer
        return {
            "match_centre": self.centre.copy(),
            "match_transfer": transfer.copy(),
            "match_counts": np.array([self.fitted_on, self.added], np.int64),
        }

    def load_state_dict(self, state) -> None:
        """Restore from :meth:`state_dict`; a state without it (older checkpoint) refits at the next match."""
        if "match_transfer" not in state:
            self.reset()
            return
        centre, transfer = np.asarray(state["match_centre"]), np.asarray(state["match_transfer"])
        counts = np.asarray(state["match_counts"])
        if centre.shape != (self.dim,) or transfer.shape not in ((0, self.dim), (self.dim, self.dim)):
            raise ValueError(f"match_transfer: expected ({self.dim}, {self.dim}), got {transfer.shape}")
        if counts.shape != (2,) or counts.dtype.kind not in "iu" or counts.min() < 0:
            raise ValueError(f"match_counts: expected two counts >= 0, got {counts!r}")
        if not (np.all(np.isfinite(centre)) and np.all(np.isfinite(transfer))):
            raise ValueError("match_transfer: contains NaN or inf")
        self.centre = centre.astype(np.float32)
        self.transfer = transfer.astype(np.float32) if transfer.shape[0] else None
        self._transfer64 = None if self.transfer is None else self.transfer.astype(np.float64)
        self.fitted_on, self.added = int(counts[0]), int(counts[1])
