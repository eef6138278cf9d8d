"""The neuromodulator node integrates memory's verdicts over the time their stamps cover, not over when they arrive.

Real rclpy nodes in this process; the verdicts are handed to the node's callback as DDS would deliver them: in a
burst, back to back, as on a busy core or after a lossy link repairs.
"""

from __future__ import annotations

import time

import pytest
from builtin_interfaces.msg import Time
from in_context import Listener
from polling import wait_until
from std_msgs.msg import Header

from hebbian_ros.core.neuromodulation.neuromodulator import Neuromodulator, NeuromodulatorParams
from hebbian_ros.msg import LearningMode, Recognition
from hebbian_ros.nodes.neuromodulator_node import NeuromodulatorNode
from hebbian_ros.ros import qos

FRAME = 1 / 30  # s between the camera frames the verdicts judged
UNPROPAGATED = 1.0  # Hz: a novel stimulus's activity that did not propagate (6 frames to learning mode)


def verdict(seconds: float) -> Recognition:
    stamp = Time(sec=int(seconds), nanosec=int(round((seconds % 1) * 1e9)))
    return Recognition(header=Header(stamp=stamp), unpropagated=UNPROPAGATED, familiar=False, memory_id=-1)


def frames_to_learning_mode() -> int:
    """How many verdicts FRAME apart the core needs before it switches learning on."""
    core = Neuromodulator(NeuromodulatorParams())
    for count in range(1, 1000):
        if core.observe(UNPROPAGATED, False, -1, False, FRAME) is not None:
            return count
    raise AssertionError("the core never switched learning on")


@pytest.fixture
def node(context):
    node = NeuromodulatorNode(name="neuromodulator_timing", context=context)
    yield node
    node.destroy_node()


def test_a_burst_of_verdicts_counts_the_time_its_stamps_cover(node):
    expected = frames_to_learning_mode()
    assert expected > 2, "the stimulus must take several frames to reach learning mode"
    start = node.get_clock().now().nanoseconds * 1e-9
    for count in range(1, 3 * expected):
        node.on_recognition(verdict(start + count * FRAME))  # back to back: microseconds apart on the node's clock
        if node.level > 0:
            break
    assert node.level > 0, f"no learning mode after {count} verdicts covering {count * FRAME:.2f} s"
    assert count == expected + 1  # the first verdict starts the clock


def test_the_learning_mode_a_verdict_switches_on_carries_that_verdicts_stamp(node, context):
    # The burst's stamps run ahead of the node's clock: a broadcast stamped when it was published would not match.
    listener = Listener(context, {"hebbian/learning_mode": (LearningMode, qos.STATE)})
    try:
        listener.matched(node.mode_pub)
        start = node.get_clock().now().nanoseconds * 1e-9
        for count in range(1, 3 * frames_to_learning_mode()):
            last = verdict(start + count * FRAME)
            node.on_recognition(last)
            if node.level > 0:
                break
        heard = listener.got["hebbian/learning_mode"]  # after the idle mode the node started with (transient local)
        novelty = wait_until(
            lambda: [m for m in heard if m.cause == LearningMode.CAUSE_NOVELTY],
            5.0,
            poll=0.0,
            each=lambda: listener.drain(0.1),
        )
        assert len(novelty) == 1
        assert novelty[0].header.stamp == last.header.stamp
    finally:
        listener.close()


def test_a_verdict_with_an_absurd_stamp_is_dropped_with_an_error_and_nothing_is_lost(node):
    start = node.get_clock().now().nanoseconds * 1e-9
    for count in range(1, 4):
        node.on_recognition(verdict(start + count * FRAME))
    accumulated = node.core.accumulation
    assert accumulated > 0
    node.on_recognition(verdict(start - 10.0))  # 10 s back: a stale or foreign stamp
    node.on_recognition(verdict(start + 7200.0))  # two hours ahead of the clock
    assert node.rejections.counts["hebbian/recognition"] == 2
    assert node.core.accumulation == accumulated
    node.on_recognition(verdict(start + 4 * FRAME))
    assert node.core.accumulation > accumulated  # it keeps integrating


def test_a_verdict_without_a_stamp_counts_the_node_clock(node):
    node.on_recognition(Recognition(unpropagated=UNPROPAGATED, familiar=False, memory_id=-1))
    assert node.core.accumulation == 0.0  # the first verdict starts the clock
    time.sleep(0.05)
    node.on_recognition(Recognition(unpropagated=UNPROPAGATED, familiar=False, memory_id=-1))
    assert node.rejections.total == 0
    assert node.core.accumulation > 0.0  # the node clock's 0.05 s counted
