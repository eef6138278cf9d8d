"""Observing a running graph from outside it: header stamps, one wait loop, one recording node.

Tests, benchmarks and the monitor watch the graph the same way: an rclpy node in its own context,
spun in a background thread, that keeps every message of its topics with its arrival time
(``time.monotonic()``), plus the stamp arithmetic that matches a message to the frame it answers.
Nothing here publishes into the loop by itself.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

#: messages an :class:`Observer` keeps per topic before its own stall would replace them (~30 s of a 30 Hz stream)
DEPTH = 1000

__all__ = ["Observer", "ns_to_stamp", "stamp_ns", "stamp_seconds", "wait_until"]


def stamp_ns(stamp: Any) -> int:
    """A ``builtin_interfaces/Time`` (a header's ``stamp``) as integer nanoseconds: an exact dictionary key."""
    return stamp.sec * 1_000_000_000 + stamp.nanosec


def stamp_seconds(stamp: Any) -> float:
    """A ``builtin_interfaces/Time`` in seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


def ns_to_stamp(ns: int) -> Any:
    """Integer nanoseconds as a ``builtin_interfaces/Time``."""
    from builtin_interfaces.msg import Time

    sec, nanosec = divmod(int(ns), 1_000_000_000)
    return Time(sec=sec, nanosec=nanosec)


def wait_until(
    predicate: Callable[[], T], timeout: float, poll: float = 0.05, each: Callable[[], object] | None = None
) -> T:
    """Call ``predicate`` every ``poll`` s until it returns something true or ``timeout`` s pass; ``each``
    runs before every try (e.g. to publish again). Returns the last result, so a failure can say what it saw."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if each is not None:
            each()
        result = predicate()
        if result:
            return result
        time.sleep(poll)
    return predicate()


class Observer:
    """An rclpy node in its own context that records ``(arrival monotonic s, message)`` per topic.

    :param name: node name.
    :param topics: ``{topic: (message type, QoS profile)}`` to subscribe to now (more with :meth:`subscribe`).
    :param spin: spin in a background thread (``False``: the caller spins :attr:`executor`).
    :param depth: reader history kept per topic (keep-last, at least the profile's own): a stall of this
        process on busy cores must not replace messages before it takes them, or what the graph lost and what
        the observer lost look alike. Reliability and durability stay the profile's.
    """

    def __init__(
        self, name: str, topics: Mapping[str, tuple[type, Any]] = (), *, spin: bool = True, depth: int = DEPTH
    ) -> None:
        import rclpy
        from rclpy.context import Context
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.node import Node

        self.depth = depth
        self.context = Context()
        rclpy.init(context=self.context)
        self.node = Node(name, context=self.context)
        self.lock = threading.Lock()
        self.received: dict[str, list] = defaultdict(list)
        for topic, (msg_type, profile) in dict(topics).items():
            self.subscribe(topic, msg_type, profile)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self._spin, daemon=True) if spin else None
        if self.thread is not None:
            self.thread.start()

    def _spin(self) -> None:
        from rclpy.executors import ExternalShutdownException

        try:
            self.executor.spin()
        except ExternalShutdownException:
            pass

    def subscribe(self, topic: str, msg_type: type, profile: Any) -> Any:
        """Record ``topic`` from now on, with ``profile``'s reliability and durability; returns the subscription."""
        from hebbian_ros.ros import qos

        return self.node.create_subscription(msg_type, topic, self._recorder(topic), qos.recording(profile, self.depth))

    def _recorder(self, topic: str) -> Callable:
        def record(msg) -> None:
            with self.lock:
                self.received[topic].append((time.monotonic(), msg))

        return record

    def records(self, topic: str, since: float = 0.0) -> list[tuple[float, Any]]:
        """``(arrival, message)`` pairs of ``topic`` that arrived at or after monotonic time ``since``."""
        with self.lock:
            return [(t, m) for t, m in self.received[topic] if t >= since]

    def messages(self, topic: str, since: float = 0.0) -> list:
        """Messages of ``topic`` that arrived at or after monotonic time ``since``."""
        return [m for _, m in self.records(topic, since)]

    def clear(self) -> None:
        """Forget everything received so far."""
        with self.lock:
            self.received.clear()

    def wait_for(self, predicate: Callable[[], T], timeout: float, poll: float = 0.05) -> T:
        """:func:`wait_until` (the background thread keeps receiving meanwhile)."""
        return wait_until(predicate, timeout, poll)

    def close(self) -> None:
        """Stop spinning (the context's shutdown wakes the thread), then destroy the node."""
        import rclpy

        rclpy.try_shutdown(context=self.context)
        if self.thread is not None:
            self.thread.join(5.0)
        self.executor.shutdown()
        self.node.destroy_node()
