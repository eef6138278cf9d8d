"""The learning loop in one process, without ROS: the node graph's wiring for benchmarks and tests.

One :meth:`Loop.frame` is what the graph does with one camera image: the sensor's
:class:`~hebbian_ros.core.sensing.retina.Retina` pools it into colour-opponent ON/OFF receptive fields
and senses them with habituation, the feature layers transform (and, in learning mode, learn), memory
recognises, a familiar pattern inhibits the retina (selectively, like ``sensor_node``), and the
neuromodulator integrates the verdict and may switch the learning mode. Its broadcasts act as they do
on ``hebbian/learning_mode``: the level gates every plastic change, an a-ha keeps the stimulus for
replays and grows memory's duplicates, a replay re-presents the kept stimulus. A newly stored memory
makes the sensor look around (its gaze views, as on ``hebbian/recognition`` with ``stored``), and memory
keeps each view as a copy of it; a stimulus memory does not know at its onset gets a second look (``look_again``):
memory matches the same gaze views, and the best that recognises a memory makes the frame familiar. In the graph the
views come back frames later, a few per frame (:class:`~hebbian_ros.core.sensing.view_queue.ViewQueue`);
``view_delay`` > 0 makes the loop wait as long (a familiar view then recognises and inhibits as it arrives), 0
answers within the frame. Structural events flow as on ``hebbian/structure``: a full memory's FULL is answered by
the neuromodulator's grant, and memory grows the granted units.

Wiring only: every object is built by the same core function as in its node, from the same parameter
schema (:mod:`hebbian_ros.core.parameters`) and the same ``config/*.yaml`` files
(:meth:`Loop.from_config`), so the loop runs the graph the nodes run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from hebbian_ros.core.memory.pattern_memory import PatternMemory, Recall, memory_params
from hebbian_ros.core.neuromodulation.neuromodulator import Broadcast, Cause, Neuromodulator, NeuromodulatorParams
from hebbian_ros.core.parameters import MEMORY, NEUROMODULATOR, SENSOR, read_overrides
from hebbian_ros.core.plasticity.layer import layer_from_parameters
from hebbian_ros.core.sensing.image_decoding import decode_image
from hebbian_ros.core.sensing.retina import Retina, RetinaParams
from hebbian_ros.core.sensing.view_queue import SECOND_LOOK, ViewQueue
from hebbian_ros.core.structure.structural import StructuralChange, StructuralKind

#: Names of the loop's nodes in config/graph.yaml (their sections of the parameter files Loop.from_config reads).
SENSOR_NODE, LAYER_NODES, MEMORY_NODE, NEUROMODULATOR_NODE = "sensor", ("layer1", "layer2"), "memory", "neuromodulator"


#: The parameter files a configuration folder may hold, and the nodes each one's sections are for.
CONFIG_FILES = {
    "sensor.yaml": (SENSOR_NODE,),
    "layers.yaml": LAYER_NODES,
    "memory.yaml": (MEMORY_NODE,),
    "neuromodulator.yaml": (NEUROMODULATOR_NODE,),
}


def check_variant(directory: str | Path) -> None:
    """Refuse a variant folder that would silently change nothing: missing, with a parameter file the loop does not
    read (a misnamed file; the package's other ``config/`` files may stay beside them), with a section for a node
    its file does not configure, or with no parameter file at all.

    :raises ValueError: naming the folder, the offending file or section, and what is expected instead.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise ValueError(f"configuration folder {str(folder)!r} does not exist")
    known = ", ".join(CONFIG_FILES)
    files = sorted(p.name for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
    from hebbian_ros.resources import config_dir

    shipped = {p.name for p in config_dir().iterdir()}  # a copy of the whole config/ folder is a variant too
    unknown = [name for name in files if name not in CONFIG_FILES and name not in shipped]
    if unknown:
        raise ValueError(
            f"configuration folder {str(folder)!r}: {', '.join(unknown)} would be ignored; the files read are {known}"
        )
    if not files:
        raise ValueError(f"configuration folder {str(folder)!r} holds none of {known}: it would change nothing")
    import yaml

    for name in (name for name in files if name in CONFIG_FILES):
        document = yaml.safe_load((folder / name).read_text()) or {}
        stray = sorted(str(k) for k in document if k not in CONFIG_FILES[name])
        if stray:
            raise ValueError(
                f"configuration folder {str(folder)!r}: {name} has sections {', '.join(stray)}, which would be ignored; "
                f"it configures {', '.join(CONFIG_FILES[name])}"
            )


def configured(file: str, node: str, directory: str | Path | None = None) -> dict[str, Any]:
    """``node``'s parameters in the package's ``config/file``, overridden by those ``directory/file`` sets.

    A variant in ``directory`` overrides parameter by parameter, as a later ROS parameter file does; a file or
    parameter it lacks is the shipped one. Check the folder once with :func:`check_variant` before reading it
    (:meth:`Loop.from_config` does).
    """
    from hebbian_ros.resources import config_dir

    merged = read_overrides(config_dir() / file, node)
    if directory and (Path(directory) / file).is_file():
        merged.update(read_overrides(Path(directory) / file, node))
    return merged


class Step(NamedTuple):
    """What one frame did."""

    recall: Recall  #: memory's verdict on the live frame
    top: np.ndarray  #: top layer rates [Hz]
    broadcasts: tuple[Broadcast, ...]
    structure: tuple[StructuralChange, ...]


class Loop:
    """Sensor, feature layers, memory and neuromodulator wired like the node graph (see module docstring).

    Each argument is that node's flat parameters (any subset; the rest are the schema's defaults);
    ``view_delay``: frames until the sensor's views a verdict asked for reach memory (0: within the frame).
    """

    def __init__(
        self,
        sensor: dict[str, Any],
        layers: list[dict[str, Any]],
        memory: dict[str, Any],
        neuromodulator: dict[str, Any],
        view_delay: int = 0,
    ) -> None:
        if view_delay < 0:
            raise ValueError(f"view_delay: must be >= 0 frames, got {view_delay}")
        sensor, memory = SENSOR.resolve(sensor), MEMORY.resolve(memory)
        neuromodulator = NEUROMODULATOR.resolve(neuromodulator)
        self.retina = Retina(RetinaParams.from_parameters(sensor))
        self.shape = self.retina.shape
        self.layers = [layer_from_parameters(p) for p in layers]
        self.memory = PatternMemory(memory_params(memory))
        self.inhibition_strength = memory["inhibition_strength"]
        self.learning_enabled = neuromodulator["enabled"]
        self.modulator = Neuromodulator(NeuromodulatorParams.from_parameters(neuromodulator))
        self.level = 0.0
        self.view_delay = view_delay
        #: views (rates) on their way to memory, all of ``self._views.memory_id``, as the sensor node queues them
        self._views: ViewQueue[np.ndarray] = ViewQueue(view_delay)
        self._frames = 0

    @classmethod
    def from_config(
        cls,
        directory: str | Path | None = None,
        *,
        memory: dict[str, Any] | None = None,
        neuromodulator: dict[str, Any] | None = None,
        view_delay: int = 0,
    ) -> Loop:
        """The loop as configured in ``directory`` (default: the package's ``config/``), with overrides.

        ``directory`` holds a variant: see :func:`configured`; one that would silently change nothing is refused
        (:func:`check_variant`).
        """
        if directory:
            check_variant(directory)
        return cls(
            configured("sensor.yaml", SENSOR_NODE, directory),
            [configured("layers.yaml", name, directory) for name in LAYER_NODES],
            {**configured("memory.yaml", MEMORY_NODE, directory), **(memory or {})},
            {**configured("neuromodulator.yaml", NEUROMODULATOR_NODE, directory), **(neuromodulator or {})},
            view_delay,
        )

    def sense(self, image: np.ndarray, dt: float) -> np.ndarray:
        """Sensor rates [Hz] of one camera image, as ``sensor_node`` computes them.

        A uint8 (H, W, 3) or (H, W) array goes through the node's decoder as an rgb8 / mono8 frame; a
        float image (intensities in [0, 1]) is checked and seen directly.
        """
        image = np.asarray(image)
        if image.dtype == np.uint8 and (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
            height, width = image.shape[:2]
            encoding, depth = ("mono8", 1) if image.ndim == 2 else ("rgb8", 3)
            decoded = decode_image(height, width, encoding, width * depth, np.ascontiguousarray(image).tobytes())
            return self.retina.see(decoded, dt, validate=False)
        return self.retina.see(image, dt)

    def reset_sensor(self) -> None:
        """Forget habituation and inhibition (a fresh look)."""
        self.retina.reset()

    def top(self, rates: np.ndarray, level: float) -> np.ndarray:
        """Sensor rates through the feature layers (learning at ``level``), rescaled between them as on the topics."""
        x, max_rate = rates.ravel(), self.retina.max_rate
        for layer in self.layers:
            x, max_rate = layer.step_rates(x, max_rate, level), layer.max_rate_hz
        return x

    def frame(self, image: np.ndarray, dt: float = 1 / 30, learn: bool = True) -> Step:
        """One camera frame through the loop; ``learn=False`` freezes everything (a test presentation)."""
        self._frames += 1
        rates = self.sense(image, dt)
        level = self.level if learn else 0.0
        broadcasts: list[Broadcast] = []
        structure: list[StructuralChange] = []
        for view in self._arriving(level):  # with view_delay: the views published with the last frame
            if view.familiar:
                self.retina.inhibit(self.inhibition_strength * view.similarity)
                self._modulate(view, 0.0, learn, broadcasts, structure)
        top = self.top(rates, level)
        recall = self.memory.recall(top, level)
        if recall.look_again:  # a second look: the sensor's gaze views of the stimulus; memory takes the best
            views = self.retina.look_around()
            if self.view_delay:
                self._views.answer(SECOND_LOOK, views, self._frames)
            elif views:
                seen = self.memory.recognise_views(np.stack([self.top(view, level) for view in views]))
                if seen.familiar:
                    recall = seen
        if recall.familiar:
            self.retina.inhibit(self.inhibition_strength * recall.similarity)
        elif recall.stored:  # a new memory: the sensor looks around it and back over its look, memory keeps the views
            views = self.retina.look_around() + self.retina.as_first_seen(recall.look_frames, skip=1)
            self._keep_views(recall.memory_id, views, level)
        # a new side kept as seen live: the sensor sends it as first seen too (a second look comes first, as in the node)
        if recall.keep_view and not recall.look_again:
            self._keep_views(recall.memory_id, self.retina.as_first_seen(1), level, queued=True)
        structure += self._structure(learn)
        self._modulate(recall, dt, learn, broadcasts, structure)
        return Step(recall, top, tuple(broadcasts), tuple(structure))

    def _keep_views(self, memory_id: int, views: list[np.ndarray], level: float, queued: bool = False) -> None:
        """The sensor's views of memory ``memory_id`` become its copies: at once, or ``view_delay`` frames on.

        With a delay they answer the verdict (replacing views still on their way, which were of the stimulus before)
        or, ``queued`` (a further frame of the same memory's look), follow those of that memory: :class:`ViewQueue`.
        """
        if self.view_delay:
            queue = self._views.follow if queued else self._views.answer
            queue(memory_id, views, self._frames)
        else:
            for view in views:
                self.memory.learn_view(memory_id, self.top(view, level))

    def _arriving(self, level: float) -> list[Recall]:
        """Deliver the views due by this frame: kept as copies of a new memory, or matched (a second look)."""
        seen, memory_id = [], self._views.memory_id
        for view in self._views.due(self._frames):
            top = self.top(view, level)
            if memory_id == SECOND_LOOK:
                seen.append(self.memory.recognise_view(top))
            elif level > 0:
                self.memory.learn_view(memory_id, top)
        return seen

    def _modulate(
        self, recall: Recall, dt: float, learn: bool, broadcasts: list[Broadcast], structure: list[StructuralChange]
    ) -> None:
        """The neuromodulator takes memory's verdict; its broadcasts act on the loop at once."""
        if not learn:
            return
        unpropagated = recall.unpropagated if self.learning_enabled else 0.0
        for change in (
            self.modulator.observe(unpropagated, recall.familiar, recall.memory_id, recall.stored, min(dt, 0.5)),
            self.modulator.tick(dt),
        ):
            if change is not None:
                broadcasts.append(change)
                self._apply(change)
                structure += self._structure(learn)

    def _apply(self, change: Broadcast) -> None:
        self.level = change.level if change.active else 0.0
        if change.cause is Cause.AHA and self.retina.keep_for_replay():
            self.memory.grow_duplicates(change.memory_id)
        elif change.cause is Cause.REPLAY:
            rates = self.retina.replay()
            if rates is not None:
                self.memory.recall(self.top(rates, self.level), self.level, replay=True)

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
