"""Monitor node: records what the loop does (rates, recognition, inhibition, learning mode, ground truth).

Read-only: it subscribes and never publishes, so it can watch any running graph. The demo and the
tests read its :class:`~hebbian_ros.evaluation.run_log.RunLog`. An observer, not part of the loop: it
lives in ``evaluation/`` (nodes never import evaluation) and uses only the graph's QoS contract and the
process lifecycle of ``nodes/`` (:mod:`hebbian_ros.ros.qos`, :mod:`hebbian_ros.ros.spin`).
"""

from __future__ import annotations

import sys
import threading

import numpy as np
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node

from hebbian_ros.evaluation.probe import DEPTH, stamp_seconds
from hebbian_ros.evaluation.run_log import Event, RunLog
from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition, SceneLabel, StructuralEvent
from hebbian_ros.ros import qos
from hebbian_ros.ros.spin import spin_node


class MonitorNode(Node):
    """Collects a :class:`RunLog` of the graph it watches."""

    def __init__(self, name: str = "monitor", **kwargs) -> None:
        super().__init__(name, **kwargs)
        populations = self.declare_parameter(
            "populations",
            ["sensor", "layer1", "layer2", "memory"],
            ParameterDescriptor(description="Populations whose rates are recorded.", read_only=True),
        ).value
        self.log = RunLog()
        self.lock = threading.Lock()
        self.phase = ""
        self.frames = 0
        # A deep reader history: a stall of this process on busy cores must not replace a verdict (a memory's
        # 'stored') before it is taken, or the log shows what the monitor lost as what the loop did.
        stream, event, state = (qos.recording(p, DEPTH) for p in (qos.STREAM, qos.EVENT, qos.STATE))
        for population in populations:
            self.create_subscription(
                FiringRates, f"hebbian/{population}/rates", lambda msg, p=population: self.on_rates(p, msg), stream
            )
        self.create_subscription(SceneLabel, "sim/ground_truth", self.on_truth, event)
        self.create_subscription(Recognition, "hebbian/recognition", self.on_recognition, event)
        self.create_subscription(Inhibition, "hebbian/inhibition", self.on_inhibition, event)
        self.create_subscription(LearningMode, "hebbian/learning_mode", self.on_learning_mode, state)
        self.create_subscription(StructuralEvent, "hebbian/structure", self.on_structure, event)

    def on_rates(self, population: str, msg: FiringRates) -> None:
        with self.lock:
            self.log.add_rates(
                population, stamp_seconds(msg.header.stamp), np.asarray(msg.rates, np.float32), msg.replay
            )

    def on_truth(self, msg: SceneLabel) -> None:
        with self.lock:
            self.phase = msg.phase
            if msg.phase not in ("done", "idle"):
                self.frames += 1
                self.log.truth[stamp_seconds(msg.header.stamp)] = (
                    msg.label,
                    msg.visit_object,
                    msg.visit,
                    msg.repeat,
                    msg.phase,
                )

    def on_recognition(self, msg: Recognition) -> None:
        with self.lock:
            self.log.recognition.append(
                (
                    stamp_seconds(msg.header.stamp),
                    msg.memory_id,
                    msg.similarity,
                    msg.familiar,
                    msg.stored,
                    msg.unpropagated,
                )
            )

    def on_inhibition(self, msg: Inhibition) -> None:
        with self.lock:
            self.log.inhibition.append((stamp_seconds(msg.header.stamp), msg.strength))

    def on_learning_mode(self, msg: LearningMode) -> None:
        with self.lock:
            self.log.events.append(
                Event(stamp_seconds(msg.header.stamp), msg.active, msg.level, msg.cause, msg.memory_id)
            )

    def on_structure(self, msg: StructuralEvent) -> None:
        with self.lock:
            self.log.add_structure(
                stamp_seconds(msg.header.stamp),
                msg.population,
                msg.kind,
                msg.memory_id,
                msg.count,
                msg.synapses_total,
                msg.capacity,
            )


def main(args: list[str] | None = None) -> int:
    """Run the monitor node until shut down."""
    return spin_node(MonitorNode, args)


NODE = MonitorNode

if __name__ == "__main__":
    sys.exit(main())
