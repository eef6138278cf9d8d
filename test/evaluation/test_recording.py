"""Recording to MCAP over real DDS, read back by an independent reader, and playback into a fresh graph."""

import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import rclpy
from rclpy.context import Context
from rclpy.node import Node
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image
from std_msgs.msg import Header, String
from visualization_msgs.msg import MarkerArray

from hebbian_ros.evaluation.playback import Player
from hebbian_ros.evaluation.recording import message_definition, read_decoded, recording, topic_summary
from hebbian_ros.experiments.stimuli import scene
from hebbian_ros.msg import FiringRates, LearningMode, Recognition, SceneLabel
from hebbian_ros.nodes.conversions import image_to_msg, rates_to_msg
from hebbian_ros.ros import qos

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ros"))
from harness import Probe, start_graph


def test_message_definition_is_rosbag2s_concatenation():
    text = message_definition("hebbian_ros/FiringRates")
    blocks = text.split("=" * 80 + "\n")
    assert blocks[0].startswith("# Firing rates") and "float32[] rates" in blocks[0]
    assert [b.splitlines()[0] for b in blocks[1:]] == ["MSG: std_msgs/msg/Header", "MSG: builtin_interfaces/msg/Time"]
    image = message_definition("sensor_msgs/msg/Image")
    assert "uint8[] data" in image and "MSG: std_msgs/msg/Header" in image
    with pytest.raises(ValueError, match="type_name"):
        message_definition("not a type")


def test_recording_reads_back_with_an_independent_reader(ros_env, tmp_path):
    """Every topic and every message published arrives in the file with its type and content."""
    from rosbags.highlevel import AnyReader

    path = tmp_path / "run.mcap"
    context = Context()
    rclpy.init(context=context)
    node = Node("publisher", context=context)
    sent = {  # topic -> (publisher, messages); 'hebbian/extra/note' is found by discovery ('hebbian/*')
        "/hebbian/sensor/rates": (
            node.create_publisher(FiringRates, "hebbian/sensor/rates", qos.STREAM),
            [
                rates_to_msg(Header(frame_id="camera"), "sensor", (2, 3), np.arange(6, dtype=np.float32) + i, 100.0)
                for i in range(40)
            ],
        ),
        "/hebbian/recognition": (
            node.create_publisher(Recognition, "hebbian/recognition", qos.EVENT),
            [Recognition(memory_id=i, similarity=0.5, stored=i % 2 == 0) for i in range(25)],
        ),
        "/hebbian/learning_mode": (
            node.create_publisher(LearningMode, "hebbian/learning_mode", qos.STATE),
            [LearningMode(active=True, level=0.25 * i, cause=i) for i in range(4)],
        ),
        "/camera/image_raw": (
            node.create_publisher(Image, "camera/image_raw", qos.STREAM),
            [image_to_msg(scene("red_box", 16), Header(frame_id="camera"))] * 30,
        ),
        "/sim/ground_truth": (
            node.create_publisher(SceneLabel, "sim/ground_truth", qos.EVENT),
            [SceneLabel(label="red_box", phase="view", visit=i) for i in range(10)],
        ),
        "/clock": (node.create_publisher(Clock, "/clock", qos.STREAM), [Clock() for _ in range(20)]),
        "/hebbian/extra/note": (
            node.create_publisher(String, "hebbian/extra/note", qos.EVENT),
            [String(data=f"note {i}") for i in range(7)],
        ),
    }
    not_recorded = node.create_publisher(String, "elsewhere", qos.EVENT)
    drawing = node.create_publisher(MarkerArray, "hebbian/sensor/markers", qos.EVENT)  # excluded by default
    try:
        with recording(path) as recorder:
            end = time.monotonic() + 15.0
            while time.monotonic() < end and not all(p.get_subscription_count() for p, _ in sent.values()):
                time.sleep(0.05)
            for i in range(max(len(m) for _, m in sent.values())):
                for publisher, messages in sent.values():
                    if i < len(messages):
                        publisher.publish(messages[i])
                not_recorded.publish(String(data="x"))
                drawing.publish(MarkerArray())
                time.sleep(0.004)
            expected = {topic: len(messages) for topic, (_, messages) in sent.items()}
            end = time.monotonic() + 10.0
            while time.monotonic() < end and recorder.counts != expected:
                time.sleep(0.05)
    finally:
        node.destroy_node()
        rclpy.try_shutdown(context=context)

    # rosbags parses the file and its embedded schemas itself.
    with AnyReader([path]) as reader:
        counts = {c.topic: c.msgcount for c in reader.connections}
        types = {c.topic: c.msgtype for c in reader.connections}
        decoded = {}
        for connection, _stamp, raw in reader.messages():
            decoded.setdefault(connection.topic, []).append(reader.deserialize(raw, connection.msgtype))
    assert counts == expected
    assert types["/hebbian/sensor/rates"] == "hebbian_ros/msg/FiringRates"
    assert types["/hebbian/extra/note"] == "std_msgs/msg/String"
    for topic in ("/hebbian/sensor/rates", "/hebbian/recognition", "/hebbian/learning_mode", "/sim/ground_truth"):
        assert types[topic] == f"hebbian_ros/msg/{type(sent[topic][1][0]).__name__}"
    np.testing.assert_array_equal(
        [m.rates for m in decoded["/hebbian/sensor/rates"]], [m.rates for m in sent["/hebbian/sensor/rates"][1]]
    )
    assert [m.memory_id for m in decoded["/hebbian/recognition"]] == list(range(25))
    assert [m.level for m in decoded["/hebbian/learning_mode"]] == [0.0, 0.25, 0.5, 0.75]
    assert [m.data for m in decoded["/hebbian/extra/note"]] == [f"note {i}" for i in range(7)]
    image = decoded["/camera/image_raw"][0]
    assert (image.height, image.width, image.encoding) == (16, 16, "rgb8")
    assert bytes(image.data) == scene("red_box", 16).tobytes()
    # The QoS of the loop is kept for rosbag2 playback.
    with AnyReader([path]) as reader:
        qos_of = {c.topic: c.ext.offered_qos_profiles[0] for c in reader.connections}
    assert qos_of["/hebbian/learning_mode"].durability.name == "TRANSIENT_LOCAL"
    assert qos_of["/hebbian/sensor/rates"].reliability.name == "BEST_EFFORT"
    # mcap-ros2-support's decoder and the summary agree.
    assert {t: n for t, (_, n) in topic_summary(path).items()} == expected
    assert [m.data.population for m in read_decoded(path, ["hebbian/sensor/rates"])] == ["sensor"] * 40


def present_session(probe: Probe) -> None:
    for name, frames in (("red_box", 90), ("blank", 30), ("blue_disc", 90), ("blank", 30), ("red_box", 20)):
        probe.present(name, frames)
    time.sleep(0.5)


def outcome(verdicts: list[Recognition]) -> tuple[int, int, list[int], int]:
    """(memories stored, memory size at the end, familiar memory ids in order of first appearance,
    memory the final red_box revisit was recognised as)."""
    familiar = []
    for v in verdicts:
        if v.familiar and v.memory_id not in familiar:
            familiar.append(v.memory_id)
    last = [v.memory_id for v in verdicts[-15:] if v.familiar]
    return (
        sum(v.stored for v in verdicts),
        verdicts[-1].memory_size if verdicts else 0,
        familiar,
        max(set(last), key=last.count) if last else -1,
    )


def runs(verdicts: list[Recognition]) -> list[tuple[int, str, int]]:
    """Verdicts as runs of (memory id, 'stored' / 'familiar' / 'novel', how many): what a failure shows."""
    out: list[tuple[int, str, int]] = []
    for v in verdicts:
        key = (v.memory_id, "stored" if v.stored else "familiar" if v.familiar else "novel")
        if out and out[-1][:2] == key:
            out[-1] = (*key, out[-1][2] + 1)
        else:
            out.append((*key, 1))
    return out


def test_playback_of_the_camera_reproduces_what_the_live_run_learned(ros_env, tmp_path):
    path = tmp_path / "live.mcap"
    graph = start_graph(ros_env, tmp_path)
    probe = Probe()
    try:
        probe.wait_for_graph()
        with recording(path, ["camera/image_raw", "hebbian/recognition"]):
            time.sleep(0.5)
            start = time.monotonic()
            present_session(probe)
        verdicts = probe.messages("hebbian/recognition", start)
        live = outcome(verdicts)
    finally:
        probe.close()
        graph.stop()
    assert live[0] == 2 and len(live[2]) == 2 and live[3] == live[2][0], f"live run: {live}, {runs(verdicts)}"

    # A fresh graph (no checkpoints) sees only the recorded camera stream.
    graph = start_graph(ros_env, tmp_path)
    probe = Probe()
    context = Context()
    rclpy.init(context=context)
    try:
        probe.wait_for_graph()
        player = Player(path, ["camera/image_raw"], rate=1.0, context=context, restamp=True)
        assert player.wait_for_subscribers(10.0)
        start = time.monotonic()
        counts = player.play(threading.Event())
        time.sleep(0.5)
        replay_verdicts = probe.messages("hebbian/recognition", start)
        replayed = outcome(replay_verdicts)
        player.close()
    finally:
        rclpy.try_shutdown(context=context)
        probe.close()
        graph.stop()
    assert counts == {"/camera/image_raw": topic_summary(path)["/camera/image_raw"][1]}
    # Same memories learned, and the revisit recognised as the memory learned for that stimulus.
    assert replayed == live, f"live {live} vs playback {replayed}: {runs(replay_verdicts)}"
