"""What a run of the learning loop produced, as plain arrays keyed by the stamp of the frame it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Event:
    """A learning-mode broadcast."""

    time: float  #: stamp [s]
    active: bool
    level: float
    cause: int  #: LearningMode.CAUSE_*
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
    #: layer -> list of (stamp, mean weight-row norm) when known (hebbian/<layer>/weight_norms)
    weight_norms: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    #: layer -> list of (stamp, smallest, largest weight-row norm), same stamps as ``weight_norms``
    weight_norm_ranges: dict[str, list[tuple[float, float, float]]] = field(default_factory=dict)
    #: layer -> last receptive-field mosaic seen, (H, W, 3) uint8 (hebbian/<layer>/receptive_fields)
    receptive_fields: dict[str, np.ndarray] = field(default_factory=dict)
    #: structural changes (hebbian/structure): (stamp, population, kind, memory_id, count, synapses_total,
    #: capacity); kind is StructuralEvent.KIND_*
    structure: list[tuple[float, str, int, int, int, int, int]] = field(default_factory=list)

    def add_rates(self, population: str, stamp: float, rates: np.ndarray, replay: bool) -> None:
        self.rates.setdefault(population, []).append((stamp, float(np.mean(rates)) if rates.size else 0.0, replay))
        self.last_rates[population] = rates

    def add_truth(self, stamp: float, label: str, visit_object: str, visit: int, repeat: int, phase: str) -> None:
        """A ground-truth frame (ignored once the exploration is done or idle)."""
        if phase not in ("done", "idle"):
            self.truth[stamp] = (label, visit_object, int(visit), int(repeat), phase)

    def add_recognition(
        self, stamp: float, memory_id: int, similarity: float, familiar: bool, stored: bool, unpropagated: float
    ) -> None:
        self.recognition.append(
            (stamp, int(memory_id), float(similarity), bool(familiar), bool(stored), float(unpropagated))
        )

    def add_inhibition(self, stamp: float, strength: float) -> None:
        self.inhibition.append((stamp, float(strength)))

    def add_learning_mode(self, stamp: float, active: bool, level: float, cause: int, memory_id: int) -> None:
        self.events.append(Event(stamp, bool(active), float(level), int(cause), int(memory_id)))

    def add_weight_norms(self, layer: str, stamp: float, norms: np.ndarray) -> None:
        """Norms of each unit's weight row of ``layer`` at ``stamp``."""
        norms = np.asarray(norms, np.float32)
        if norms.size:
            self.weight_norms.setdefault(layer, []).append((stamp, float(norms.mean())))
            self.weight_norm_ranges.setdefault(layer, []).append((stamp, float(norms.min()), float(norms.max())))

    def add_structure(
        self, stamp: float, population: str, kind: int, memory_id: int, count: int, synapses_total: int, capacity: int
    ) -> None:
        """A structural change (duplicates grown, pruned, recycled, neurogenesis, growth request or grant)."""
        self.structure.append(
            (stamp, str(population), int(kind), int(memory_id), int(count), int(synapses_total), int(capacity))
        )
