"""Every custom message survives a round trip through another process over real DDS, field by field."""

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from echo_process import TYPES
from harness import Probe
from std_msgs.msg import Header

from hebbian_ros import msg
from hebbian_ros.ros import qos

HEADER = Header(frame_id="camera")
HEADER.stamp.sec, HEADER.stamp.nanosec = 1_700_000_000, 123_456_789

SAMPLES = {
    "FiringRates": msg.FiringRates(
        header=HEADER,
        population="layer1",
        shape=[2, 3],
        rates=np.arange(6, dtype=np.float32) * 1.5,
        max_rate=100.0,
        replay=True,
    ),
    "Inhibition": msg.Inhibition(
        header=HEADER,
        target_population="sensor",
        strength=0.375,
        gain=np.array([0.5, 1.0], np.float32),
        cause=msg.Inhibition.CAUSE_FAMILIAR,
        memory_id=7,
    ),
    "LearningMode": msg.LearningMode(
        header=HEADER,
        active=True,
        level=0.5,
        cause=msg.LearningMode.CAUSE_REPLAY,
        memory_id=3,
        accumulation=1.25,
        replays_left=4,
    ),
    "Recognition": msg.Recognition(
        header=HEADER,
        memory_id=2,
        similarity=0.96875,
        novelty=0.03125,
        familiar=True,
        unpropagated=0.0,
        stored=False,
        memory_size=5,
    ),
    "Touch": msg.Touch(header=HEADER, rows=2, cols=2, pressure=np.array([0, 1.5, 2.5, 0], np.float32)),
    "SceneLabel": msg.SceneLabel(
        header=HEADER, label="red_box", visit_object="red_box", visit=4, repeat=1, phase="view"
    ),
    "StructuralEvent": msg.StructuralEvent(
        header=HEADER,
        population="memory",
        kind=msg.StructuralEvent.KIND_NEUROGENESIS,
        memory_id=-1,
        count=8,
        synapses_total=2**33 + 64,
        synapse_budget=2**34,
        capacity=72,
        memory_size=65,
    ),
}


def fields(message):
    return {
        name: (
            np.asarray(value).tolist()
            if hasattr(value, "__len__") and not isinstance(value, str)
            else fields(value)
            if hasattr(value, "get_fields_and_field_types")
            else value
        )
        for name, value in ((n, getattr(message, n)) for n in message.get_fields_and_field_types())
    }


def test_samples_cover_every_interface():
    assert set(SAMPLES) == set(TYPES) == {p.stem for p in (Path(__file__).parents[2] / "msg").glob("*.msg")}


@pytest.mark.parametrize("name", TYPES)
def test_round_trip_between_processes(ros_env, name):
    echo = subprocess.Popen([sys.executable, str(Path(__file__).with_name("echo_process.py"))], env=ros_env)
    probe = Probe()
    try:
        received = []
        msg_type = getattr(msg, name)
        probe.node.create_subscription(msg_type, f"echo/out/{name}", received.append, qos.EVENT)
        publisher = probe.node.create_publisher(msg_type, f"echo/in/{name}", qos.EVENT)
        assert probe.wait_for(
            lambda: publisher.get_subscription_count() > 0 and probe.node.count_publishers(f"echo/out/{name}") > 0, 15.0
        )
        assert probe.wait_for(lambda: (publisher.publish(SAMPLES[name]), bool(received))[1], 10.0, poll=0.2)
        assert fields(received[0]) == fields(SAMPLES[name])  # float fields hold float32-exact values
    finally:
        probe.close()
        echo.send_signal(signal.SIGINT)
        try:
            echo.wait(10)
        except subprocess.TimeoutExpired:
            echo.kill()
            echo.wait()
