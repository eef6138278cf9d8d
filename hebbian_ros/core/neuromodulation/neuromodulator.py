"""Neuromodulation: unpropagated activity accumulates like a chemical in the soma and switches learning on.

A small state machine, advanced by memory's verdicts (:meth:`Neuromodulator.observe`) and by time
(:meth:`Neuromodulator.tick`). It returns a :class:`Broadcast` whenever the learning mode changes,
which the node publishes as ``hebbian_ros/LearningMode``:

``IDLE`` --accumulation >= threshold--> ``LEARNING`` (cause novelty)
--a memory stored in this episode recognised ``confirm_samples`` times in a row--> a-ha, ``REPLAY``
(the pattern is repeated ``replays`` times, one broadcast each) --> ``IDLE``.
A learning episode that finds no a-ha within ``max_learning_time`` ends without one.

Neurogenesis: when memory reports it is full (``StructuralEvent`` FULL), :meth:`Neuromodulator.request_growth`
grants ``growth_units`` new units at most once per ``growth_interval`` seconds of :meth:`Neuromodulator.tick`
time (see :mod:`hebbian_ros.core.structure.neurogenesis`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.parameters import NEUROMODULATOR
from hebbian_ros.core.structure.neurogenesis import GrowthGate, GrowthParams


class Cause(IntEnum):
    """Why the learning mode changed; values equal ``LearningMode.CAUSE_*``."""

    NONE = 0
    NOVELTY = 1
    AHA = 2
    REPLAY = 3
    MANUAL = 4


class Phase(IntEnum):
    """Where the neuromodulator is in a learning episode."""

    IDLE = 0
    LEARNING = 1
    REPLAY = 2


@dataclass(frozen=True)
class NeuromodulatorParams:
    """Parameters of :class:`Neuromodulator`.

    :param threshold: accumulation that starts learning mode [Hz*s].
    :param tau_decay: decay time constant of the accumulation [s].
    :param confirm_samples: consecutive recognitions of a new memory that make an a-ha.
    :param replays: consolidation repeats of the confirmed pattern.
    :param replay_interval: time between two replays [s].
    :param learning_level: plasticity level broadcast while learning (0..1].
    :param replay_level: plasticity level broadcast with each replay (0..1].
    :param max_learning_time: a learning episode without a-ha ends after this long [s].
    :param growth_units: units granted to a full memory per request; 0: no neurogenesis.
    :param growth_interval: shortest time between two growth grants [s].
    """

    threshold: float = NEUROMODULATOR.default("threshold")
    tau_decay: float = NEUROMODULATOR.default("tau_decay")
    confirm_samples: int = NEUROMODULATOR.default("confirm_samples")
    replays: int = NEUROMODULATOR.default("replays")
    replay_interval: float = NEUROMODULATOR.default("replay_interval")
    learning_level: float = NEUROMODULATOR.default("learning_level")
    replay_level: float = NEUROMODULATOR.default("replay_level")
    max_learning_time: float = NEUROMODULATOR.default("max_learning_time")
    growth_units: int = NEUROMODULATOR.default("growth_units")
    growth_interval: float = NEUROMODULATOR.default("growth_interval")

    def __post_init__(self) -> None:
        for name in (
            "threshold",
            "tau_decay",
            "replay_interval",
            "max_learning_time",
            "learning_level",
            "replay_level",
        ):
            object.__setattr__(self, name, check.as_real(name, getattr(self, name)))
        for name in ("confirm_samples", "replays"):
            object.__setattr__(self, name, check.as_int(name, getattr(self, name)))
        for name in ("threshold", "tau_decay", "replay_interval", "max_learning_time"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name}: must be finite and > 0, got {value}")
        for name in ("learning_level", "replay_level"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name}: must be in (0, 1], got {getattr(self, name)}")
        if self.confirm_samples < 1 or self.replays < 0:
            raise ValueError("confirm_samples must be >= 1 and replays >= 0")
        GrowthParams(self.growth_units, self.growth_interval)  # validates both

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any] | None = None) -> NeuromodulatorParams:
        """From neuromodulator_node's flat parameters (any subset; the rest are the schema's defaults)."""
        p = NEUROMODULATOR.resolve(parameters)
        return cls(**{name: p[name] for name in cls.__dataclass_fields__})


class Broadcast(NamedTuple):
    """A learning-mode change to publish."""

    active: bool
    level: float
    cause: Cause
    memory_id: int
    accumulation: float
    replays_left: int = 0


@dataclass
class Neuromodulator:
    """Integrates unpropagated activity and drives learning episodes (see module docstring)."""

    params: NeuromodulatorParams = field(default_factory=NeuromodulatorParams)
    accumulation: float = 0.0
    phase: Phase = Phase.IDLE
    memory_id: int = -1
    episodes: int = 0
    ahas: int = 0
    _new_ids: set[int] = field(default_factory=set)
    _confirmations: int = 0
    _phase_time: float = 0.0
    _replays_left: int = 0
    #: rate limiter of neurogenesis grants
    growth: GrowthGate = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.growth = GrowthGate(GrowthParams(self.params.growth_units, self.params.growth_interval))

    def request_growth(self) -> int:
        """Memory is full: units granted now (0 when growth is off or the last grant is too recent)."""
        return self.growth.request()

    def observe(self, unpropagated: float, familiar: bool, memory_id: int, stored: bool, dt: float) -> Broadcast | None:
        """Take one memory verdict covering ``dt`` seconds; return a broadcast if the mode changes."""
        unpropagated, dt = check.as_real("unpropagated", unpropagated), check.as_real("dt", dt)
        memory_id = check.as_int("memory_id", memory_id)
        if not (math.isfinite(unpropagated) and unpropagated >= 0):
            raise ValueError(f"unpropagated: must be finite and >= 0, got {unpropagated}")
        if not (math.isfinite(dt) and dt >= 0):
            raise ValueError(f"dt: must be finite and >= 0, got {dt}")
        accumulation = self.accumulation * math.exp(-dt / self.params.tau_decay) + unpropagated * dt
        if not math.isfinite(accumulation):
            raise ValueError(f"unpropagated: {unpropagated:g} over dt={dt:g} s overflows the accumulation")
        self.accumulation = accumulation
        if self.phase is Phase.IDLE and self.accumulation >= self.params.threshold:
            self._start(Phase.LEARNING)
            self.episodes += 1
            return self._broadcast(True, self.params.learning_level, Cause.NOVELTY)
        if self.phase is Phase.LEARNING:
            if stored:
                self._new_ids.add(memory_id)
            confirmed = familiar and memory_id in self._new_ids
            self._confirmations = self._confirmations + 1 if confirmed else 0
            if self._confirmations >= self.params.confirm_samples:
                self.memory_id = memory_id
                self.ahas += 1
                self._start(Phase.REPLAY)
                self._replays_left = self.params.replays
                return self._broadcast(True, self.params.learning_level, Cause.AHA)
        return None

    def tick(self, dt: float) -> Broadcast | None:
        """Advance the clock by ``dt`` seconds: pace replays and end episodes.

        The accumulation decays in :meth:`observe`, over the time between verdicts, not here.
        """
        dt = check.as_real("dt", dt)
        if not (math.isfinite(dt) and dt >= 0):
            raise ValueError(f"dt: must be finite and >= 0, got {dt}")
        self.growth.advance(dt)
        if self.phase is Phase.IDLE:
            return None
        self._phase_time += dt
        if self.phase is Phase.LEARNING:
            return self._end() if self._phase_time >= self.params.max_learning_time else None
        if self._phase_time < self.params.replay_interval:
            return None
        if self._replays_left == 0:
            return self._end()
        self._phase_time = 0.0
        self._replays_left -= 1
        return self._broadcast(True, self.params.replay_level, Cause.REPLAY, self._replays_left)

    def manual(self, active: bool, level: float) -> Broadcast:
        """An operator sets the mode; an active manual mode lasts until switched off."""
        if not 0.0 <= check.as_real("level", level) <= 1.0:
            raise ValueError(f"level: must be within [0, 1], got {level}")
        self._start(Phase.IDLE)
        return self._broadcast(active, level if active else 0.0, Cause.MANUAL)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Accumulation and counters as arrays (for checkpoints); an episode in progress is not kept."""
        return {
            "accumulation": np.array(self.accumulation),
            "episodes": np.array(self.episodes),
            "ahas": np.array(self.ahas),
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore from :meth:`state_dict`, validating before changing anything."""
        try:
            accumulation = float(state["accumulation"])
            episodes, ahas = int(state["episodes"]), int(state["ahas"])
        except (KeyError, TypeError, ValueError, IndexError, OverflowError) as error:
            raise ValueError(f"neuromodulator state: {error!r}") from None
        if not (math.isfinite(accumulation) and accumulation >= 0 and episodes >= 0 and ahas >= 0):
            raise ValueError("neuromodulator state: values must be finite and >= 0")
        self.accumulation, self.episodes, self.ahas = accumulation, episodes, ahas
        self._start(Phase.IDLE)

    def _start(self, phase: Phase) -> None:
        self.phase = phase
        self._phase_time = 0.0
        self._confirmations = 0
        if phase is Phase.LEARNING:
            self._new_ids = set()
            self.memory_id = -1

    def _end(self) -> Broadcast:
        self._start(Phase.IDLE)
        self.accumulation = 0.0
        return self._broadcast(False, 0.0, Cause.NONE)

    def _broadcast(self, active: bool, level: float, cause: Cause, replays_left: int = 0) -> Broadcast:
        return Broadcast(active, float(level), cause, self.memory_id, self.accumulation, replays_left)
