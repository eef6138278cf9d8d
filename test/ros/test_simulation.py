"""The embedded simulator as a ROS node, and the whole loop on it (the main job, shortened)."""

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from harness import Probe, start_graph
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image

from hebbian_ros.msg import FiringRates, SceneLabel, Touch
from hebbian_ros.ros import qos


def record(probe, msg_type, topic, profile):
    arrivals = []
    probe.node.create_subscription(msg_type, topic, lambda m: arrivals.append((time.monotonic(), m)), profile)
    return arrivals


def rate(arrivals):
    times = [t for t, _ in arrivals]
    return (len(times) - 1) / (times[-1] - times[0])


def test_camera_world_publishes_images_clock_and_truth_at_the_frame_rate(ros_env, tmp_path):
    graph = start_graph(
        ros_env,
        tmp_path,
        {"simulator": {"frame_rate": 30.0}},
        only=("simulator",),
        groups=("simulation",),
        sim_time=True,
    )
    probe = Probe()
    images = record(probe, Image, "camera/image_raw", qos.STREAM)
    clock = record(probe, Clock, "/clock", qos.STREAM)
    truth = record(probe, SceneLabel, "sim/ground_truth", qos.EVENT)
    try:
        assert probe.wait_for(lambda: len(images) > 90, 20.0)
    finally:
        probe.close()
        graph.stop()
    assert rate(images) == pytest.approx(30.0, rel=0.15)
    assert images[-1][1].width == 64 and images[-1][1].encoding == "rgb8"
    stamps = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for _, m in images]
    # one frame of sim time per image, in whole 2 ms physics steps
    assert np.allclose(np.diff(stamps), 1 / 30, atol=0.0021)
    assert np.mean(np.diff(stamps)) == pytest.approx(1 / 30, rel=0.01)
    assert len(clock) > 60 and len(truth) > 60


def test_touch_world_publishes_taxels_that_the_touch_sensor_turns_into_rates(ros_env, tmp_path):
    overrides = {
        "simulator": {"world": "touch", "frame_rate": 40.0, "real_time_factor": 1.0, "wait_for_subscribers": ["touch"]}
    }
    graph = start_graph(
        ros_env, tmp_path, overrides, only=("simulator", "touch_sensor"), groups=("simulation", "touch"), sim_time=True
    )
    probe = Probe()
    touch = record(probe, Touch, "touch", qos.STREAM)
    rates = record(probe, FiringRates, "hebbian/touch/rates", qos.STREAM)
    try:
        assert probe.wait_for(
            lambda: sum(max(m.pressure) > 0.5 for _, m in touch) > 20 and any(max(m.rates) > 20.0 for _, m in rates),
            30.0,
        )
    finally:
        probe.close()
        graph.stop()
    assert rate(touch) == pytest.approx(40.0, rel=0.25)
    assert touch[-1][1].rows * touch[-1][1].cols == len(touch[-1][1].pressure)
    assert max(float(np.max(m.rates)) for _, m in rates) > 20.0
    assert min(float(np.max(m.rates)) for _, m in rates) == 0.0  # lifted finger: silence


def test_main_job_learns_objects_and_habituates(ros_env, tmp_path):
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "hebbian_ros.demo", "--rounds", "2", "--quiet", "--out", str(out), "--timeout", "180"],
        env=ros_env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objects_seen"] == 4
    assert summary["distinct_memories"]
    assert summary["recognition_accuracy"] >= 0.75
    assert summary["mean_habituation_ratio"] <= 0.3
    for name, obj in summary["objects"].items():
        assert obj["novelty_events_first_visit"] >= 1, f"{name} never started learning"
        assert obj["novelty_events_revisits"] <= 1, f"{name} re-learned on revisits"
    for png in ("rates.png", "habituation.png"):
        assert (out / png).stat().st_size > 20_000


def test_main_job_explores_generated_objects(ros_env, tmp_path):
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "hebbian_ros.demo", "--objects", "3", "--rounds", "2", "--quiet", "--out", str(out)]
        + ["--frames-per-view", "20", "--timeout", "120"],
        env=ros_env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "many_objects.sdf").is_file()
    assert "episode_views: true" in (out / "parameters.yaml").read_text()  # memory keeps the looks' frames (5w)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objects_seen"] == 3
    assert 1 <= summary["memories_stored"]
    for name, obj in summary["objects"].items():
        assert obj["visits"] == 2, name  # visited once per round, in order
