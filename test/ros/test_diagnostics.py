"""/diagnostics over DDS: every node of the loop reports once a second in the conventional form, and the
sensor's level follows its input (OK while frames arrive, WARN or ERROR naming the reason while frames
are dropped, WARN when the camera stops)."""

import time

from diagnostic_msgs.msg import DiagnosticStatus
from harness import Probe, start_graph
from polling import wait_until
from sensor_msgs.msg import Image

from hebbian_ros.nodes.diagnostics import (
    INHIBITION_PUBLISHERS,
    LEARNERS_LISTENING,
    LEARNING_MODE_PUBLISHERS,
    RECOGNITION_PUBLISHERS,
)

LOOP = ("sensor", "layer1", "layer2", "memory", "neuromodulator")
COMMON_KEYS = {"input topics", "input rate [Hz]", "messages received", "messages dropped", "last drop reason"}


def statuses(probe, since, name=None):
    """Every DiagnosticStatus received after ``since`` (of node ``name``), oldest first."""
    found = [s for array in probe.messages("/diagnostics", since) for s in array.status]
    return [s for s in found if name is None or s.name == name]


def latest(probe, since, name):
    found = statuses(probe, since, name)
    return found[-1] if found else None


def test_every_node_reports_and_the_sensor_level_follows_its_input(ros_env, tmp_path):
    overrides = {"sensor": {"hardware_id": "test_camera", "diagnostics_stale_after": 1.5}}
    graph = start_graph(ros_env, tmp_path, overrides)
    probe = Probe()  # records /diagnostics
    try:
        probe.wait_for_graph()
        start = probe.present("red_box", 60)  # 2 s at 30 fps
        assert wait_until(lambda: {s.name for s in statuses(probe, start)} >= set(LOOP), 5.0), {
            s.name for s in statuses(probe, start)
        }
        for name in LOOP:
            status = latest(probe, start, name)
            values = {kv.key: kv.value for kv in status.values}
            assert COMMON_KEYS <= set(values), (name, sorted(values))
            assert status.hardware_id, name
            if name != "sensor":
                assert "learning level" in values and "checkpoint age [s]" in values, (name, sorted(values))
        memory = {kv.key for kv in latest(probe, start, "memory").values}
        assert {"memory size", "memory capacity"} <= memory

        def value(name: str, key: str) -> str:
            return {kv.key: kv.value for kv in latest(probe, start, name).values}[key]

        def connected() -> bool:  # each learner hears the one neuromodulator, which counts them (+ the sensor)
            hear = all(value(n, LEARNING_MODE_PUBLISHERS) == "1" for n in ("layer1", "layer2", "memory"))
            return hear and int(value("neuromodulator", LEARNERS_LISTENING)) >= 4

        assert wait_until(connected, 5.0), {
            n: value(n, LEARNERS_LISTENING if n == "neuromodulator" else LEARNING_MODE_PUBLISHERS)
            for n in ("layer1", "layer2", "memory", "neuromodulator")
        }
        sensor = latest(probe, start, "sensor")
        values = {kv.key: kv.value for kv in sensor.values}
        assert sensor.level == DiagnosticStatus.OK, sensor.message
        assert sensor.hardware_id == "test_camera"
        assert values["input topics"] == "camera/image_raw" and float(values["input rate [Hz]"]) > 5  # 5 s window
        assert values["last frame"] == "64x64 rgb8"
        assert values[INHIBITION_PUBLISHERS] == "1" and values[RECOGNITION_PUBLISHERS] == "1"  # it hears memory

        # 1 Hz: about one status per node per second
        window = statuses(probe, start, "layer1")
        assert 1 <= len(window) <= 2 + (time.monotonic() - start)

        # frames dropped -> WARN (more than 10 % of the window) or ERROR (all of it), naming the reason
        bad = Image(height=4, width=4, encoding="rgb8", step=12, data=bytes(10))
        dropped = time.monotonic()

        def error_reported():
            probe.camera.publish(bad)
            status = latest(probe, dropped + 1.0, "sensor")
            return status is not None and status.level != DiagnosticStatus.OK and "dropped" in status.message and status

        status = wait_until(error_reported, 8.0, poll=1 / 30)
        assert status, [s.message for s in statuses(probe, dropped, "sensor")]
        assert "data length" in {kv.key: kv.value for kv in status.values}["last drop reason"]

        # the camera stops -> WARN "input stopped"
        stopped = time.monotonic()

        def warned():
            status = latest(probe, stopped, "sensor")
            return status is not None and status.level == DiagnosticStatus.WARN and "input stopped" in status.message

        assert wait_until(warned, 8.0), [(s.level, s.message) for s in statuses(probe, stopped, "sensor")]
    finally:
        probe.close()
        graph.stop()
    assert graph.events == [], graph.events


def test_status_in_process_name_hardware_id_counting_and_a_failing_value(ros_env):
    import socket

    import rclpy
    from rclpy.context import Context
    from rclpy.node import Node

    from hebbian_ros.nodes.diagnostics import Diagnostics
    from hebbian_ros.nodes.rejections import Rejections

    context = Context()
    rclpy.init(context=context)
    try:
        node = Node("camera_sensor", namespace="robot1", context=context)
        rejections = Rejections(node)

        def broken():
            raise RuntimeError("no memory yet")

        diagnostics = Diagnostics(node, rejections, ("camera/image_raw",), broken)
        received = []
        callback = diagnostics.counted(received.append)
        for k in range(3):
            callback(k)
        rejections.reject("camera/image_raw", ValueError("image: zero size (0x0)"))
        status = diagnostics.status()
        values = {kv.key: kv.value for kv in status.values}
        assert received == [0, 1, 2]
        assert status.name == "robot1/camera_sensor" and status.hardware_id == socket.gethostname()
        assert values["messages received"] == "3" and values["messages dropped"] == "1"
        assert values["last drop reason"] == "camera/image_raw: image: zero size (0x0)"
        assert values["diagnostics error"] == "RuntimeError: no memory yet"
        assert status.level == DiagnosticStatus.WARN  # 1 of 3 dropped > 10 %
        node.destroy_node()
    finally:
        rclpy.shutdown(context=context)
