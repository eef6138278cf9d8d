"""Memory node: recognise the top layer's pattern; inhibit the sensor when familiar, report novelty when not.

Subscribes the top layer's rates and ``hebbian/learning_mode``; publishes ``hebbian/recognition``,
``hebbian/inhibition`` (only for familiar live input) and ``hebbian/memory/rates`` (memory units fire
for a recognised pattern; a novel one does not propagate, so they stay silent; only while the topic has a
subscriber, as nothing in the loop reads it).

Structural plasticity (``structural``, ``max_capacity``; see :mod:`hebbian_ros.core.structure.structural` and
:mod:`hebbian_ros.core.structure.neurogenesis`): on an a-ha memory grows duplicate copies of the confirmed memory,
prunes unused ones and asks for new units when full; every change is published on ``hebbian/structure``
(hebbian_ros/StructuralEvent), where a GROWTH grant from the neuromodulator adds the units. A gaze view
(``gaze_view`` > 0: the sensor's look around a newly stored stimulus, or a frame of the look sent back as first seen,
which memory asked for with ``episode_views``) becomes a copy of the memory that stored or asked for it
last (:meth:`~hebbian_ros.core.memory.pattern_memory.PatternMemory.learn_view`); no verdict is published. A second-look
view (``second_look``: the sensor's answer to a verdict with ``look_again``) is matched
(:meth:`~hebbian_ros.core.memory.pattern_memory.PatternMemory.recognise_view`); one that recognises a memory is
published as a familiar verdict, with its inhibition.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import fields, replace

import numpy as np
from rclpy.node import Node

from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory, memory_params
from hebbian_ros.core.parameters import MEMORY
from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition, StructuralEvent
from hebbian_ros.nodes.checkpointing import CHECKPOINTING, Checkpointing
from hebbian_ros.nodes.conversions import plasticity_level, rates_from_msg, rates_to_msg
from hebbian_ros.nodes.diagnostics import DIAGNOSTICS, LEARNING_MODE_PUBLISHERS, Diagnostics, checkpoint_age
from hebbian_ros.nodes.parameters import declare_all, follow_updates
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.ros import qos
from hebbian_ros.ros.spin import spin_node

#: memory parameters a running node applies: every writable one that memory's parameters hold
_APPLIED_AT_RUN_TIME = frozenset(f.name for f in fields(MemoryParams)) & {
    n for n, p in MEMORY.items() if not p.read_only
}


class MemoryNode(Node):
    """Pattern memory with inhibitory feedback; all computation is in :mod:`hebbian_ros.core.memory.pattern_memory`."""

    def __init__(self, name: str = "memory", **kwargs) -> None:
        super().__init__(name, **kwargs)
        parameters = declare_all(self, MEMORY)
        self.input_topic = parameters["input_topic"]
        self.memory = PatternMemory(memory_params(parameters))
        self.inhibition_strength = parameters["inhibition_strength"]
        self.inhibition_target = parameters["inhibition_target"]
        self.max_rate = parameters["max_rate"]
        self.population = parameters["population"]
        self.level = 0.0
        self.looked_at = -1  #: the memory stored or asking for a view last: the sensor's views that follow are its
        self.rejections = Rejections(self)
        self.checkpointing = Checkpointing(self, self.memory.state_dict, self.memory.load_state_dict)
        self.recognition_pub = self.create_publisher(Recognition, "hebbian/recognition", qos.EVENT)
        self.inhibition_pub = self.create_publisher(Inhibition, "hebbian/inhibition", qos.EVENT)
        self.rates_pub = self.create_publisher(FiringRates, "hebbian/memory/rates", qos.STREAM)
        self.structure_pub = self.create_publisher(StructuralEvent, "hebbian/structure", qos.EVENT)
        self.diagnostics = Diagnostics(self, self.rejections, (self.input_topic,), self._diagnostic_values)
        self.create_subscription(FiringRates, self.input_topic, self.diagnostics.counted(self.on_rates), qos.STREAM)
        self.mode_sub = self.create_subscription(
            LearningMode, "hebbian/learning_mode", self.on_learning_mode, qos.STATE
        )
        self.create_subscription(StructuralEvent, "hebbian/structure", self.on_structure, qos.EVENT)
        follow_updates(self, self._prepare_update)

    def _prepare_update(self, changes: dict) -> Callable[[], None]:
        """Validate run-time parameter changes; return what applies them (see ``follow_updates``)."""
        updates = {k: v for k, v in changes.items() if k in _APPLIED_AT_RUN_TIME}
        params = replace(self.memory.params, **updates)  # MemoryParams validates: ValueError refuses
        attributes = {k: v for k, v in changes.items() if k in ("inhibition_strength", "inhibition_target", "max_rate")}

        def apply() -> None:
            self.memory.params = params
            for attribute, value in attributes.items():
                setattr(self, attribute, value)

        return apply

    def on_structure(self, msg: StructuralEvent) -> None:
        """Grow the units a GROWTH grant for this population allows."""
        if msg.kind != StructuralEvent.KIND_GROWTH or msg.population != self.population:
            return
        added = self.memory.grow_units(int(msg.count))
        if added:
            self.get_logger().info(f"neurogenesis: +{added} units, capacity {self.memory.capacity}")
        self.publish_structure(msg.header)

    def publish_structure(self, header) -> None:
        """Publish the structural changes since the last call."""
        for change in self.memory.pop_events():
            self.structure_pub.publish(
                StructuralEvent(
                    header=header,
                    population=self.population,
                    kind=int(change.kind),
                    memory_id=change.memory_id,
                    count=change.count,
                    synapses_total=self.memory.synapses,
                    synapse_budget=self.memory.params.synapse_budget,
                    capacity=self.memory.capacity,
                    memory_size=self.memory.size,
                )
            )

    def _diagnostic_values(self) -> dict:
        return {
            "learning level": self.level,
            LEARNING_MODE_PUBLISHERS: self.mode_sub.get_publisher_count(),
            "memory size": self.memory.size,
            "memory capacity": self.memory.capacity,
            "checkpoint age [s]": checkpoint_age(self.checkpointing.path),
        }

    def on_shutdown(self) -> None:
        """Keep what was learned."""
        self.checkpointing.on_shutdown()

    def on_learning_mode(self, msg: LearningMode) -> None:
        """Follow the broadcast plasticity level."""
        try:
            self.level = plasticity_level(msg)
        except ValueError as error:
            self.rejections.reject("hebbian/learning_mode", error)
            return
        if msg.cause == LearningMode.CAUSE_AHA and self.level > 0:
            self.memory.grow_duplicates(msg.memory_id)
            self.publish_structure(msg.header)

    def on_rates(self, msg: FiringRates) -> None:
        """Recall one pattern; publish inhibition (if familiar) first, then the verdict and the memory rates."""
        try:
            pattern = rates_from_msg(msg, self.memory.params.dim)
        except ValueError as error:
            self.rejections.reject(self.input_topic, error)
            return
        if msg.gaze_view > 0 and msg.second_look:  # a view of a stimulus memory did not know: matched, not kept
            recall = self.memory.recognise_view(pattern)
            if recall.familiar:
                self.publish_verdict(msg, recall, inhibit=True)
            return
        if msg.gaze_view > 0:  # the newly stored stimulus from a moved gaze: a view of that memory
            if self.level > 0 and self.memory.learn_view(self.looked_at, pattern):
                self.publish_structure(msg.header)
            return
        recall = self.memory.recall(pattern, self.level, replay=msg.replay)
        if recall.stored or recall.keep_view:  # the views the sensor sends back are this memory's
            self.looked_at = recall.memory_id
        self.publish_verdict(msg, recall, inhibit=not msg.replay)

    def publish_verdict(self, msg: FiringRates, recall, inhibit: bool) -> None:
        """Publish inhibition (if familiar and ``inhibit``) first, then the verdict, structure and memory rates."""
        if recall.familiar and inhibit:  # first: the sensor is waiting for it
            self.inhibition_pub.publish(
                Inhibition(
                    header=msg.header,
                    target_population=self.inhibition_target,
                    strength=self.inhibition_strength * recall.similarity,
                    cause=Inhibition.CAUSE_FAMILIAR,
                    memory_id=recall.memory_id,
                )
            )
        verdict = Recognition(
            header=msg.header,
            memory_id=recall.memory_id,
            similarity=recall.similarity,
            novelty=1.0 - recall.similarity,
            familiar=recall.familiar,
            unpropagated=recall.unpropagated,
            stored=recall.stored,
            memory_size=self.memory.size,
            look_again=recall.look_again,
            look_frames=recall.look_frames,
            keep_view=recall.keep_view,
        )
        self.recognition_pub.publish(verdict)
        self.publish_structure(msg.header)
        if self.rates_pub.get_subscription_count():  # a display-only stream: built only when someone listens
            units = np.zeros(self.memory.capacity, np.float32)
            if recall.familiar:
                units[recall.memory_id] = self.max_rate * recall.similarity
            self.rates_pub.publish(rates_to_msg(msg.header, "memory", units.shape, units, self.max_rate, msg.replay))


def main(args: list[str] | None = None) -> int:
    """Run the memory node until shut down."""
    return spin_node(MemoryNode, args)


NODE = MemoryNode
PARAMETERS = MEMORY + CHECKPOINTING + DIAGNOSTICS

if __name__ == "__main__":
    sys.exit(main())
