"""Pattern memory: recognise the top layer's pattern among stored ones, store new ones while learning.

Patterns are stored as unit vectors and compared by cosine similarity, so recognition does not
depend on how strongly the sensor is inhibited (habituation scales rates, not their direction).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class MemoryParams:
    """Parameters of :class:`PatternMemory`.

    :param dim: size of the patterns (the top layer's unit count).
    :param capacity: number of patterns that fit; when full, the least-used one is recycled.
    :param familiarity_threshold: cosine similarity at or above which a pattern is familiar.
    :param consolidation_rate: how far a recognised memory moves towards the pattern per sample
        while learning mode is on (scaled by the learning level).
    :param min_activity: mean rate [Hz] below which a pattern is too weak to be recognised or stored
        (silence is neither familiar nor worth learning).
    """

    dim: int
    capacity: int = 64
    familiarity_threshold: float = 0.9
    consolidation_rate: float = 0.2
    min_activity: float = 0.5

    def __post_init__(self) -> None:
        if self.dim <= 0 or self.capacity <= 0:
            raise ValueError(f'dim and capacity: must be positive, got {self.dim}, {self.capacity}')
        if not 0.0 < self.familiarity_threshold <= 1.0:
            raise ValueError(f'familiarity_threshold: must be in (0, 1], got {self.familiarity_threshold}')
        if not 0.0 <= self.consolidation_rate <= 1.0:
            raise ValueError(f'consolidation_rate: must be in [0, 1], got {self.consolidation_rate}')
        if not self.min_activity >= 0:
            raise ValueError(f'min_activity: must be >= 0, got {self.min_activity}')


class Recall(NamedTuple):
    """Outcome of presenting one pattern to memory."""

    memory_id: int       #: best match, -1 if none
    similarity: float    #: cosine similarity to it, 0..1
    familiar: bool       #: similarity >= threshold: the signal propagates
    stored: bool         #: the pattern was stored as a new memory
    unpropagated: float  #: mean rate that did not propagate [Hz] (0 when familiar)


class PatternMemory:
    """A fixed-capacity store of unit-norm patterns with usage counts."""

    def __init__(self, params: MemoryParams) -> None:
        self.params = params
        self.patterns = np.zeros((params.capacity, params.dim), np.float32)
        self.used = np.zeros(params.capacity, bool)
        self.hits = np.zeros(params.capacity, np.int64)

    @property
    def size(self) -> int:
        """Number of stored patterns."""
        return int(self.used.sum())

    def match(self, pattern: np.ndarray) -> tuple[int, float]:
        """Best-matching stored memory and its cosine similarity (``(-1, 0.0)`` if none)."""
        unit = _unit(self._checked(pattern))
        if unit is None or not self.used.any():
            return -1, 0.0
        similarity = np.where(self.used, self.patterns @ unit, -np.inf)
        best = int(np.argmax(similarity))
        return best, float(max(similarity[best], 0.0))

    def recall(self, pattern: np.ndarray, learning_level: float) -> Recall:
        """Recognise ``pattern``; while ``learning_level`` > 0 consolidate a match or store a novelty.

        With ``learning_level == 0`` memory is left bit-identical: no plasticity is spent.
        """
        pattern = self._checked(pattern)
        if not 0.0 <= learning_level <= 1.0:
            raise ValueError(f'learning_level: must be within [0, 1], got {learning_level}')
        activity = float(pattern.mean())
        if activity < self.params.min_activity or activity == 0.0:
            return Recall(-1, 0.0, False, False, activity)   # too weak to recognise or to store
        memory_id, similarity = self.match(pattern)
        familiar = memory_id >= 0 and similarity >= self.params.familiarity_threshold
        stored = False
        if familiar:
            self.hits[memory_id] += 1
            if learning_level > 0:
                self._consolidate(memory_id, pattern, self.params.consolidation_rate * learning_level)
        elif learning_level > 0:
            memory_id, similarity, stored = self._store(pattern), 1.0, True
        return Recall(memory_id, similarity, familiar, stored, 0.0 if familiar else activity)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Arrays that fully describe the memory (for checkpoints)."""
        return {'patterns': self.patterns.copy(), 'used': self.used.copy(), 'hits': self.hits.copy()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore from :meth:`state_dict`; shapes must match the parameters."""
        for key, current in (('patterns', self.patterns), ('used', self.used), ('hits', self.hits)):
            if key not in state:
                raise ValueError(f'memory state: missing {key!r}')
            if not np.all(np.isfinite(state[key])):
                raise ValueError(f'{key}: contains NaN or inf')
            if state[key].shape != current.shape:
                raise ValueError(f'{key}: expected shape {current.shape}, got {state[key].shape}')
        self.patterns = state['patterns'].astype(np.float32)
        self.used = state['used'].astype(bool)
        self.hits = state['hits'].astype(np.int64)

    def _store(self, pattern: np.ndarray) -> int:
        free = np.flatnonzero(~self.used)
        slot = int(free[0]) if free.size else int(np.argmin(self.hits))
        self.patterns[slot] = _unit(pattern)
        self.used[slot] = True
        self.hits[slot] = 0
        return slot

    def _consolidate(self, memory_id: int, pattern: np.ndarray, rate: float) -> None:
        moved = (1.0 - rate) * self.patterns[memory_id] + rate * _unit(pattern)
        self.patterns[memory_id] = _unit(moved)

    def _checked(self, pattern: np.ndarray) -> np.ndarray:
        pattern = np.asarray(pattern, dtype=np.float32).ravel()
        if pattern.size != self.params.dim:
            raise ValueError(f'pattern: expected {self.params.dim} values, got {pattern.size}')
        if not np.all(np.isfinite(pattern)):
            raise ValueError('pattern: contains NaN or inf')
        if pattern.min() < 0:
            raise ValueError('pattern: rates must be >= 0')
        return pattern


def _unit(vector: np.ndarray) -> np.ndarray | None:
    norm = float(np.linalg.norm(vector))
    return None if norm == 0.0 else (vector / norm).astype(np.float32)
