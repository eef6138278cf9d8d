"""Malformed messages get a clear error log and are dropped; the nodes keep serving and keep what they learned."""

import time

import numpy as np
import pytest
from harness import running_loop
from sensor_msgs.msg import Image

from hebbian_ros.core.parameters import FEATURE_LAYER
from hebbian_ros.experiments.stimuli import scene
from hebbian_ros.msg import FiringRates
from hebbian_ros.nodes.conversions import image_to_msg
from hebbian_ros.ros import qos


def bad_images(probe):
    good = image_to_msg(scene("red_box"), probe.header())
    yield "unknown encoding", Image(header=probe.header(), height=4, width=4, encoding="yuv9", step=4, data=bytes(16))
    yield "data length", Image(header=probe.header(), height=64, width=64, encoding="rgb8", step=192, data=bytes(100))
    yield "zero size", Image(header=probe.header(), height=0, width=0, encoding="rgb8", step=0, data=b"")
    yield "step", Image(header=probe.header(), height=2, width=2, encoding="rgb8", step=2, data=bytes(4))
    absurd = image_to_msg(scene("red_box"), probe.header())
    absurd.header.stamp.sec = 2_000_000_000 + 10**8
    yield "more than an hour", absurd
    zero = image_to_msg(scene("red_box"), probe.header())
    zero.header.stamp.sec, zero.header.stamp.nanosec = 0, 0
    yield "zero (unset) stamp", zero
    del good


def bad_rates(header):
    def rates(values, shape=None, max_rate=100.0):
        values = np.asarray(values, np.float32)
        return FiringRates(
            header=header, population="sensor", shape=shape or [values.size], rates=values, max_rate=max_rate
        )

    n = FEATURE_LAYER.default("n_in")  # layer1's input: the sensor's rates
    yield "NaN or inf", rates(np.full(n, np.nan))
    yield "NaN or inf", rates(np.full(n, np.inf))
    yield f"expected {n} values", rates(np.ones(n - 1))
    yield "negative rate", rates(-np.ones(n))
    yield "empty", rates([])
    yield "does not hold", rates(np.ones(n), shape=[8, 8, 5])
    yield "max_rate", rates(np.ones(n), max_rate=float("nan"))


@pytest.fixture
def probe(ros_env, tmp_path):
    with running_loop(ros_env, tmp_path) as probe:
        yield probe


def familiar_id(probe, name):
    start = probe.present(name, 20)
    time.sleep(0.3)
    ids = [m.memory_id for m in probe.messages("hebbian/recognition", start) if m.familiar]
    return max(set(ids), key=ids.count) if ids else None


def test_malformed_messages_are_dropped_with_a_named_error(probe):
    probe.present("red_box", 90)
    probe.present("blank", 60)
    learned = familiar_id(probe, "red_box")
    assert learned is not None
    probe.present("blank", 30)

    # Best-effort streams: each bad message is sent again until its error is logged (a publisher made just
    # now may not have matched the node's subscription yet; CI once lost the first one that way).
    for problem, msg in bad_images(probe):
        assert probe.wait_for(
            lambda: (probe.camera.publish(msg), any(problem in e for e in probe.errors("sensor")))[1], 5.0, poll=0.2
        ), problem
    rates_pub = probe.node.create_publisher(FiringRates, "hebbian/sensor/rates", qos.STREAM)
    for problem, msg in bad_rates(probe.header()):
        assert probe.wait_for(
            lambda: (rates_pub.publish(msg), any(problem in e for e in probe.errors("layer1")))[1], 5.0, poll=0.2
        ), problem

    # Still serving valid input, and what was learned is still there.
    after = probe.present("blue_disc", 5)
    assert probe.wait_for(lambda: len(probe.messages("hebbian/layer2/rates", after)) >= 3, 2.0)
    probe.present("blank", 30)
    assert familiar_id(probe, "red_box") == learned
