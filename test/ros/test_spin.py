"""How node processes spin: the EventsExecutor where rclpy has it, the default executor on request; both
dispatch, stop cleanly on SIGINT / SIGTERM and keep what was learned. Plus the message fast paths of
``nodes.conversions`` (no per-element Python work) keep every validation and its message, and the display
topics that are now built only while subscribed still reach a subscriber."""

import array
import math
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from harness import Probe
from std_msgs.msg import Header

from hebbian_ros.core.checkpoint import load_checkpoint
from hebbian_ros.msg import FiringRates
from hebbian_ros.nodes.conversions import float32_array, rates_from_msg, rates_to_msg
from hebbian_ros.ros import qos, spin


def test_executor_choice(monkeypatch):
    monkeypatch.delenv(spin.EXECUTOR_VARIABLE, raising=False)
    assert spin.executor_kind() == ("events" if spin.EventsExecutor is not None else "default")
    assert spin.EventsExecutor is not None, "rclpy of ROS 2 kilted has rclpy.experimental.EventsExecutor"
    monkeypatch.setenv(spin.EXECUTOR_VARIABLE, "default")
    assert spin.executor_kind() == "default"
    monkeypatch.setenv(spin.EXECUTOR_VARIABLE, "Events ")
    assert spin.executor_kind() == "events"
    monkeypatch.setenv(spin.EXECUTOR_VARIABLE, "multi")
    with pytest.raises(ValueError, match="HEBBIAN_EXECUTOR"):
        spin.executor_kind()


@contextmanager
def layer_process(env: dict, tmp_path, stop: int = signal.SIGINT, **popen) -> Iterator[tuple]:
    """A 6 -> 3 feature layer node process that has answered a probe once; yields the process, the answers so
    far and ``answer_more(n, timeout)``; sends ``stop`` on exit and waits for it (killed after 15 s: the test
    fails); the process's ``stderr_text`` is what it wrote there if ``stderr`` was piped."""
    node = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hebbian_ros.nodes.feature_layer_node",
            "--ros-args",
            "-r",
            "__node:=layer1",
            "-p",
            "n_in:=6",
            "-p",
            "n_out:=3",
            "-p",
            f"checkpoint_dir:={tmp_path}",
            "-p",
            "checkpoint_period:=0.0",
        ],
        env=env,
        **popen,
    )
    probe = Probe()
    try:
        received = []
        probe.node.create_subscription(FiringRates, "hebbian/layer1/rates", received.append, qos.STREAM)
        publisher = probe.node.create_publisher(FiringRates, "hebbian/sensor/rates", qos.STREAM)
        sample = rates_to_msg(probe.header(), "sensor", (6,), np.arange(6, dtype=np.float32), 100.0)

        def answer_more(n: int, timeout: float) -> bool:
            count = len(received)
            return probe.wait_for(lambda: (publisher.publish(sample), len(received) >= count + n)[1], timeout, 0.2)

        # a subscription callback runs (and publishes) under this executor
        assert answer_more(1, 20.0), "the node never answered"
        yield node, received, answer_more
    finally:
        probe.close()
        node.send_signal(stop)
        try:
            _, node.stderr_text = node.communicate(timeout=15)  # None unless stderr was piped
        except subprocess.TimeoutExpired:
            node.kill()
            node.communicate()
            raise


@pytest.mark.parametrize("executor", ["events", "default"])
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_node_process_dispatches_then_stops_cleanly_and_checkpoints(ros_env, tmp_path, executor, stop):
    with layer_process({**ros_env, spin.EXECUTOR_VARIABLE: executor}, tmp_path, stop) as (node, received, _):
        assert len(received[0].rates) == 6  # 3 linear units as ON/OFF pairs of rates
    assert node.returncode == 0
    state = load_checkpoint(tmp_path / "layer1.npz")  # on_shutdown saved what was learned
    assert state["weights"].shape == (3, 6)


def test_sigusr1_prints_where_a_node_is_and_it_keeps_running(ros_env, tmp_path):
    """What the supervisor sends a node that does not stop: every thread's stack, then it goes on."""
    with layer_process(ros_env, tmp_path, stderr=subprocess.PIPE, text=True) as (node, _, answer_more):
        node.send_signal(signal.SIGUSR1)
        assert answer_more(3, 10.0), "the node stopped answering after SIGUSR1"
    assert node.returncode == 0
    stderr = node.stderr_text
    assert "most recent call first" in stderr and "spin_executor" in stderr, stderr[-2000:]


def test_float32_fields_are_filled_without_per_element_work():
    values = np.linspace(0, 1, 384, dtype=np.float64)
    out = float32_array(values)
    assert isinstance(out, array.array) and out.typecode == "f"
    np.testing.assert_array_equal(np.frombuffer(out, np.float32), values.astype(np.float32))
    msg = rates_to_msg(Header(), "x", (2, 3), np.arange(6, dtype=np.float32).reshape(2, 3), 50.0, replay=True)
    assert list(msg.shape) == [2, 3] and list(msg.rates) == [0, 1, 2, 3, 4, 5]
    assert msg.max_rate == 50.0 and msg.replay is True
    assert msg.rates.typecode == "f" and msg.shape.typecode == "I"


@pytest.mark.parametrize(
    "values, problem",
    [
        ([], "empty"),
        ([1.0, math.nan], "NaN or inf"),
        ([math.inf, 1.0], "NaN or inf"),
        ([-math.inf, 1.0], "NaN or inf"),
        ([2.0, -0.5], "negative rate -0.5"),
    ],
)
def test_rates_from_msg_names_every_problem(values, problem):
    msg = FiringRates(population="p", rates=array.array("f", values), max_rate=100.0)
    with pytest.raises(ValueError, match=problem):
        rates_from_msg(msg)


def test_rates_from_msg_checks_shape_size_and_max_rate():
    good = FiringRates(population="p", shape=[2, 2], rates=array.array("f", [0, 1, 2, 3]), max_rate=100.0)
    np.testing.assert_array_equal(rates_from_msg(good, 4), [0, 1, 2, 3])
    assert rates_from_msg(good).dtype == np.float32
    with pytest.raises(ValueError, match="does not hold 4 values"):
        rates_from_msg(FiringRates(population="p", shape=[3], rates=good.rates, max_rate=100.0))
    with pytest.raises(ValueError, match="expected 5 values, got 4"):
        rates_from_msg(good, 5)
    for max_rate in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="max_rate"):
            rates_from_msg(FiringRates(population="p", rates=good.rates, max_rate=max_rate))


def test_display_topics_are_published_to_a_subscriber(ros_env):
    """Receptive fields, weight norms and memory rates are built only while subscribed: a subscriber gets them."""
    from sensor_msgs.msg import Image

    layer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hebbian_ros.nodes.feature_layer_node",
            "--ros-args",
            "-r",
            "__node:=layer1",
            "-p",
            "n_in:=6",
            "-p",
            "n_out:=3",
            "-p",
            "weights_image_period:=0.2",
        ],
        env=ros_env,
    )
    memory = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hebbian_ros.nodes.memory_node",
            "--ros-args",
            "-p",
            "dim:=6",
            "-p",
            "input_topic:=hebbian/layer1/rates",
        ],
        env=ros_env,
    )
    probe = Probe()
    try:
        got = {
            topic: []
            for topic in ("hebbian/layer1/receptive_fields", "hebbian/layer1/weight_norms", "hebbian/memory/rates")
        }
        probe.node.create_subscription(
            Image, "hebbian/layer1/receptive_fields", got["hebbian/layer1/receptive_fields"].append, qos.EVENT
        )
        probe.node.create_subscription(
            FiringRates, "hebbian/layer1/weight_norms", got["hebbian/layer1/weight_norms"].append, qos.EVENT
        )
        probe.node.create_subscription(
            FiringRates, "hebbian/memory/rates", got["hebbian/memory/rates"].append, qos.STREAM
        )
        publisher = probe.node.create_publisher(FiringRates, "hebbian/sensor/rates", qos.STREAM)

        def publish_and_check() -> bool:
            publisher.publish(rates_to_msg(probe.header(), "sensor", (6,), np.arange(6, dtype=np.float32), 100.0))
            return all(got.values())

        assert probe.wait_for(publish_and_check, 30.0, poll=0.1), {t: len(m) for t, m in got.items()}
        assert len(got["hebbian/layer1/weight_norms"][0].rates) == 3
        assert len(got["hebbian/memory/rates"][0].rates) >= 1
    finally:
        probe.close()
        for process in (layer, memory):
            process.send_signal(signal.SIGINT)
        for process in (layer, memory):
            try:
                assert process.wait(15) == 0
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise
