"""The learning loop in one process, without ROS: the node graph's wiring for benchmarks and tests.

One :meth:`Loop.frame` is what the graph does with one camera image: the sensor pools it into
colour-opponent ON/OFF receptive fields and senses them with habituation, the feature layers
transform (and, in learning mode, learn), memory recognises, a familiar pattern inhibits the sensor
(selectively, like ``sensor_node``), and the neuromodulator integrates the verdict and may switch
the learning mode. Its broadcasts act as they do on ``hebbian/learning_mode``: the level gates every
plastic change, an a-ha keeps the stimulus for replays and grows memory's duplicates, a replay
re-presents the kept stimulus. Structural events flow as on ``hebbian/structure``: a full memory's
FULL is answered by the neuromodulator's grant, and memory grows the granted units.

Parameters come from the same ``config/*.yaml`` files as the nodes (:meth:`Loop.from_config`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory, Recall
from hebbian_ros.core.neuromodulation.neuromodulator import Broadcast, Cause, Neuromodulator, NeuromodulatorParams
from hebbian_ros.core.plasticity.layer import Layer
from hebbian_ros.core.sensing.habituation import HabituationParams, inhibit, initial_state, sense
from hebbian_ros.core.sensing.receptive_fields import colour_opponent, on_off_contrast, pool_grid
from hebbian_ros.core.structure.neurogenesis import NeurogenesisParams
from hebbian_ros.core.structure.structural import StructuralChange, StructuralKind, StructuralParams

_NEUROMODULATOR_FIELDS = (
    "threshold",
    "tau_decay",
    "confirm_samples",
    "replays",
    "replay_interval",
    "learning_level",
    "replay_level",
    "max_learning_time",
    "growth_units",
    "growth_interval",
)


class Step(NamedTuple):
    """What one frame did."""

    recall: Recall  #: memory's verdict on the live frame
    top: np.ndarray  #: top layer rates [Hz]
    broadcasts: tuple[Broadcast, ...]
    structure: tuple[StructuralChange, ...]


def memory_params(p: dict[str, Any]) -> MemoryParams:
    """:class:`MemoryParams` from the memory node's flat parameters (``config/memory.yaml``)."""
    structural = neurogenesis = None
    if p.get("structural", False):
        structural = StructuralParams(
            copies=p.get("copies", 8),
            synapse_budget=p.get("synapse_budget", 0),
            path_similarity=p.get("path_similarity", 0.85),
            distinct_below=p.get("copy_distinct_below", 0.995),
            noise=p.get("copy_noise", 0.0),
            unused_lifetime=p.get("unused_lifetime", 5000),
            episode_samples=p.get("episode_samples", 32),
            seed=p.get("copy_seed", 0),
        )
    if p.get("max_capacity", 0) > p.get("capacity", 64):
        neurogenesis = NeurogenesisParams(max_capacity=p["max_capacity"], wait_samples=p.get("growth_wait", 10))
    return MemoryParams(
        dim=p.get("dim", 64),
        capacity=p.get("capacity", 64),
        familiarity_threshold=p.get("familiarity_threshold", 0.93),
        consolidation_rate=p.get("consolidation_rate", 0.2),
        min_activity=p.get("min_activity", 0.2),
        drift_similarity=p.get("drift_similarity", 0.85),
        structural=structural,
        neurogenesis=neurogenesis,
    )


def _ros_parameters(path: Path, node: str) -> dict[str, Any]:
    import yaml

    return dict(yaml.safe_load(path.read_text())[node]["ros__parameters"])


class Loop:
    """Sensor, feature layers, memory and neuromodulator wired like the node graph (see module docstring)."""

    def __init__(
        self,
        sensor: dict[str, Any],
        layers: list[dict[str, Any]],
        memory: dict[str, Any],
        neuromodulator: dict[str, Any],
    ) -> None:
        self.grid = (sensor.get("rows", 8), sensor.get("cols", 8))
        self.luminance_weight = sensor.get("luminance_weight", 0.5)
        self.contrast_gain = sensor.get("contrast_gain", 2.0)
        self.habituation = HabituationParams(
            max_rate=sensor.get("max_rate", 100.0),
            sustained_weight=sensor.get("sustained_weight", 0.5),
            transient_weight=sensor.get("transient_weight", 1.0),
            tau_adapt=sensor.get("tau_adapt", 0.5),
            tau_recover=sensor.get("tau_recover", 1.0),
            gain_floor=sensor.get("gain_floor", 0.02),
        )
        self.shape = (*self.grid, 6)
        self.layers = [
            Layer(
                c["n_in"],
                c["n_out"],
                c.get("rule", "sanger"),
                {"eta": c["learning_rate"]},
                seed=c.get("seed", 0),
                activation="relu",
                input_norm=c.get("input_norm", "l2"),
                semi_saturation_hz=c.get("semi_saturation", 0.0),
                max_rate_hz=c.get("max_rate", 100.0),
            )
            for c in layers
        ]
        self.memory = PatternMemory(memory_params(memory))
        self.inhibition_strength = memory.get("inhibition_strength", 0.35)
        self.modulator = Neuromodulator(
            NeuromodulatorParams(**{k: neuromodulator[k] for k in _NEUROMODULATOR_FIELDS if k in neuromodulator})
        )
        self.level = 0.0
        self.state = initial_state(self.shape)
        self._intensity: np.ndarray | None = None
        self._replay: np.ndarray | None = None

    @classmethod
    def from_config(
        cls,
        directory: str | Path | None = None,
        *,
        memory: dict[str, Any] | None = None,
        neuromodulator: dict[str, Any] | None = None,
    ) -> Loop:
        """The loop as configured in ``directory`` (default: the package's ``config/``), with overrides."""
        directory = Path(directory) if directory else Path(__file__).resolve().parents[2] / "config"
        return cls(
            _ros_parameters(directory / "sensor.yaml", "sensor"),
            [_ros_parameters(directory / "layers.yaml", name) for name in ("layer1", "layer2")],
            {**_ros_parameters(directory / "memory.yaml", "memory"), **(memory or {})},
            {**_ros_parameters(directory / "neuromodulator.yaml", "neuromodulator"), **(neuromodulator or {})},
        )

    def intensity(self, image: np.ndarray) -> np.ndarray:
        """Receptive-field drive (rows, cols, 6) of an RGB uint8 image, as the sensor node computes it."""
        fields = pool_grid(np.asarray(image, np.float32) / 255.0, *self.grid, 3)
        return on_off_contrast(colour_opponent(fields, self.luminance_weight), self.contrast_gain)

    def reset_sensor(self) -> None:
        """Forget habituation and inhibition (a fresh look)."""
        self.state = initial_state(self.shape)

    def top(self, rates: np.ndarray, level: float) -> np.ndarray:
        """Sensor rates through the feature layers (learning at ``level``)."""
        x = rates.ravel()
        for layer in self.layers:
            x = layer.step(np.minimum(x / self.habituation.max_rate, 1.0) * np.float32(layer.max_rate_hz), level)
        return x

    def frame(self, image: np.ndarray, dt: float = 1 / 30, learn: bool = True) -> Step:
        """One camera frame through the loop; ``learn=False`` freezes everything (a test presentation)."""
        intensity = self.intensity(image)
        rates, self.state = sense(intensity, dt, self.state, self.habituation)
        self._intensity = intensity
        level = self.level if learn else 0.0
        top = self.top(rates, level)
        recall = self.memory.recall(top, level)
        if recall.familiar:
            gain = (rates / max(float(rates.max()), 1e-9)).ravel()
            self.state = inhibit(self.state, self.inhibition_strength * recall.similarity, gain, self.habituation)
        broadcasts: list[Broadcast] = []
        structure = self._structure(learn)
        if learn:
            for change in (
                self.modulator.observe(
                    recall.unpropagated, recall.familiar, recall.memory_id, recall.stored, min(dt, 0.5)
                ),
                self.modulator.tick(dt),
            ):
                if change is not None:
                    broadcasts.append(change)
                    self._apply(change)
                    structure += self._structure(learn)
        return Step(recall, top, tuple(broadcasts), tuple(structure))

    def _apply(self, change: Broadcast) -> None:
        self.level = change.level if change.active else 0.0
        if change.cause is Cause.AHA and self._intensity is not None:
            self._replay = self._intensity.copy()
            self.memory.grow_duplicates(change.memory_id)
        elif change.cause is Cause.REPLAY and self._replay is not None:
            rates, _ = sense(self._replay, 0.0, initial_state(self.shape), self.habituation)
            self.memory.recall(self.top(rates, self.level), self.level)

    def _structure(self, learn: bool) -> list[StructuralChange]:
        events = self.memory.pop_events()
        for event in list(events):
            if event.kind is StructuralKind.FULL and learn:
                granted = self.modulator.request_growth()
                if granted:
                    events.append(StructuralChange(StructuralKind.GROWTH, -1, granted))
                    self.memory.grow_units(granted)
                    events += self.memory.pop_events()
        return events
