"""Memory node: recognise the top layer's pattern; inhibit the sensor when familiar, report novelty when not.

Subscribes the top layer's rates and ``hebbian/learning_mode``; publishes ``hebbian/recognition``,
``hebbian/inhibition`` (only for familiar live input) and ``hebbian/memory/rates`` (memory units fire
for a recognised pattern; a novel one does not propagate, so they stay silent).
"""
from __future__ import annotations

import sys

import numpy as np
from rclpy.node import Node

from hebbian_ros.core.memory import MemoryParams, PatternMemory
from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition
from hebbian_ros.nodes import qos
from hebbian_ros.nodes.checkpointing import Checkpointing
from hebbian_ros.nodes.conversions import rates_from_msg, rates_to_msg
from hebbian_ros.nodes.parameters import declare
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.nodes.spin import spin_node


class MemoryNode(Node):
    """Pattern memory with inhibitory feedback; all computation is in :mod:`hebbian_ros.core.memory`."""

    def __init__(self, name: str = 'memory', **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.input_topic = declare(self, 'input_topic', 'hebbian/layer2/rates',
                                   'Rates of the top feature layer.', read_only=True)
        dim = declare(self, 'dim', 64, 'Units in the top layer (pattern size).', 1, 1_000_000, read_only=True)
        self.memory = PatternMemory(MemoryParams(
            dim=dim,
            capacity=declare(self, 'capacity', 64, 'Patterns that fit before the least used is recycled.',
                             1, 1_000_000, read_only=True),
            familiarity_threshold=declare(self, 'familiarity_threshold', 0.93,
                                          'Cosine similarity at which a pattern is familiar.', 0.01, 1.0),
            consolidation_rate=declare(self, 'consolidation_rate', 0.2, 'Step of a recognised memory '
                                       'towards the pattern while learning.', 0.0, 1.0),
            min_activity=declare(self, 'min_activity', 0.2, 'Mean rate below which nothing is stored [Hz].',
                                 0.0, 1e4)))
        self.inhibition_strength = declare(self, 'inhibition_strength', 0.35, 'Strength of the feedback '
                                           'sent per familiar sample (scaled by similarity).', 0.0, 1.0)
        self.inhibition_target = declare(self, 'inhibition_target', 'sensor', 'Population to inhibit '
                                         '(empty: all).')
        self.max_rate = declare(self, 'max_rate', 100.0, 'Rate of a memory unit at similarity 1 [Hz].', 1e-3, 1e4)
        self.level = 0.0
        self.rejections = Rejections(self)
        self.checkpointing = Checkpointing(self, self.memory.state_dict, self.memory.load_state_dict)
        self.recognition_pub = self.create_publisher(Recognition, 'hebbian/recognition', qos.EVENT)
        self.inhibition_pub = self.create_publisher(Inhibition, 'hebbian/inhibition', qos.EVENT)
        self.rates_pub = self.create_publisher(FiringRates, 'hebbian/memory/rates', qos.STREAM)
        self.create_subscription(FiringRates, self.input_topic, self.on_rates, qos.STREAM)
        self.create_subscription(LearningMode, 'hebbian/learning_mode', self.on_learning_mode, qos.STATE)

    def on_shutdown(self) -> None:
        """Keep what was learned."""
        self.checkpointing.on_shutdown()

    def on_learning_mode(self, msg: LearningMode) -> None:
        """Follow the broadcast plasticity level."""
        if not 0.0 <= msg.level <= 1.0:
            self.rejections.reject('hebbian/learning_mode', ValueError(f'level: {msg.level} outside [0, 1]'))
            return
        self.level = float(msg.level) if msg.active else 0.0

    def on_rates(self, msg: FiringRates) -> None:
        """Recall one pattern and publish the verdict, the memory rates and, if familiar, inhibition."""
        try:
            pattern = rates_from_msg(msg, self.memory.params.dim)
        except ValueError as error:
            self.rejections.reject(self.input_topic, error)
            return
        recall = self.memory.recall(pattern, self.level)
        verdict = Recognition(header=msg.header, memory_id=recall.memory_id, similarity=recall.similarity,
                              novelty=1.0 - recall.similarity, familiar=recall.familiar,
                              unpropagated=recall.unpropagated, stored=recall.stored,
                              memory_size=self.memory.size)
        self.recognition_pub.publish(verdict)
        units = np.zeros(self.memory.params.capacity, np.float32)
        if recall.familiar:
            units[recall.memory_id] = self.max_rate * recall.similarity
        self.rates_pub.publish(rates_to_msg(msg.header, 'memory', units.shape, units, self.max_rate, msg.replay))
        if recall.familiar and not msg.replay:
            self.inhibition_pub.publish(Inhibition(
                header=msg.header, target_population=self.inhibition_target,
                strength=self.inhibition_strength * recall.similarity, cause=Inhibition.CAUSE_FAMILIAR,
                memory_id=recall.memory_id))


def main(args: list[str] | None = None) -> int:
    """Run the memory node until shut down."""
    return spin_node(MemoryNode, args)


NODE = MemoryNode

if __name__ == "__main__":
    sys.exit(main())
