"""Helpers of the ROS tests that drive real rclpy nodes in this process: a listener with real subscriptions in the
same context, a sensor node heard through it, and rates messages of a small test population."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import rclpy
from polling import wait_until
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from std_msgs.msg import Header

from hebbian_ros.msg import FiringRates
from hebbian_ros.nodes.conversions import rates_to_msg
from hebbian_ros.nodes.sensor_node import SensorNode
from hebbian_ros.ros import qos

#: units of the small population the tests feed to memory and layer nodes directly
DIM = 64


class Listener:
    """Real subscriptions in the same context, collecting what the nodes publish."""

    def __init__(self, context: Context, topics: dict[str, tuple[type, object]]) -> None:
        self.node = rclpy.create_node("listener", context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.got: dict[str, list] = {topic: [] for topic in topics}
        for topic, (kind, profile) in topics.items():
            self.node.create_subscription(kind, topic, self.got[topic].append, profile)

    def matched(self, *publishers) -> None:
        """Spin until every publisher has a subscriber (at most 10 s)."""
        assert wait_until(
            lambda: all(p.get_subscription_count() >= 1 for p in publishers),
            10.0,
            poll=0.0,
            each=lambda: self.executor.spin_once(timeout_sec=0.05),
        )

    def drain(self, seconds: float = 0.5) -> None:
        """Spin for ``seconds``, collecting what arrives."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=0.02)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


@contextmanager
def sensor_heard(context: Context) -> Iterator[tuple[SensorNode, Listener, list]]:
    """A sensor node, a listener matched to its rates topic, and the rates messages heard; both closed after."""
    sensor = SensorNode(context=context)
    listener = Listener(context, {"hebbian/sensor/rates": (FiringRates, qos.STREAM)})
    try:
        listener.matched(sensor.rates_pub)
        yield sensor, listener, listener.got["hebbian/sensor/rates"]
    finally:
        listener.close()
        sensor.destroy_node()


def rates_message(pattern: np.ndarray, gaze_view: int = 0, second_look: bool = False) -> FiringRates:
    """A sensor rates message of ``pattern`` (``DIM`` units, max rate 100 Hz)."""
    return rates_to_msg(Header(), "sensor", (DIM,), pattern, 100.0, gaze_view > 0, gaze_view, second_look)
