"""What a run of the learning loop produced, as plain arrays keyed by the stamp of the frame it came from."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Event:
    """A learning-mode broadcast."""

    time: float          #: stamp [s]
    active: bool
    level: float
    cause: int           #: LearningMode.CAUSE_*
    memory_id: int


@dataclass
class RunLog:
    """Time series of one run. Every series is keyed by the header stamp [s] of the frame it stems from."""

    #: stamp -> (label, visit_object, visit, repeat, phase) from the simulator's ground truth
    truth: dict[float, tuple[str, str, int, int, str]] = field(default_factory=dict)
    #: population -> list of (stamp, mean rate Hz, replay)
    rates: dict[str, list[tuple[float, float, bool]]] = field(default_factory=dict)
    #: population -> last rates vector seen (for heatmaps)
    last_rates: dict[str, np.ndarray] = field(default_factory=dict)
    #: (stamp, memory_id, similarity, familiar, stored, unpropagated)
    recognition: list[tuple[float, int, float, bool, bool, float]] = field(default_factory=list)
    #: (stamp, strength)
    inhibition: list[tuple[float, float]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    #: population -> list of (stamp, weight norm) when known
    weight_norms: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def add_rates(self, population: str, stamp: float, rates: np.ndarray, replay: bool) -> None:
        self.rates.setdefault(population, []).append((stamp, float(np.mean(rates)) if rates.size else 0.0, replay))
        self.last_rates[population] = rates
