"""The simulator node's curious look, with real messages: once learning mode comes on during a visit, the camera circles
the object in view and comes back to its viewpoint; without learning mode it holds still."""

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
import rclpy
from polling import wait_until
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from hebbian_ros.msg import LearningMode, SceneLabel
from hebbian_ros.nodes.simulator_node import SimulatorNode
from hebbian_ros.ros import qos
from hebbian_ros.sim.curiosity import curious_path

AMPLITUDE, STEP = 20.0, 5.0


def _stamp(msg) -> int:
    return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec


def _frames(images: list[Image]) -> np.ndarray:
    return np.stack([np.frombuffer(m.data, np.uint8).reshape(m.height, m.width, 3).astype(np.float32) for m in images])


def test_learning_mode_makes_the_camera_circle_the_object_in_view_once(context):
    simulator = SimulatorNode(
        context=context,
        parameter_overrides=[
            Parameter(name, value=value)
            for name, value in {
                "curious_orbit": AMPLITUDE,
                "curious_step": STEP,
                "frames_per_view": 60,
                "gap_frames": 3,
                "rounds": 1,
                "frame_rate": 30.0,
                "wait_for_subscribers": ["camera/image_raw"],
                "settle_time": 0.0,
            }.items()
        ],
    )
    operator = rclpy.create_node("operator", context=context)
    mode = operator.create_publisher(LearningMode, "hebbian/learning_mode", qos.STATE)
    images: list[Image] = []
    truth: list[SceneLabel] = []
    operator.create_subscription(SceneLabel, "sim/ground_truth", truth.append, qos.EVENT)
    operator.create_subscription(Image, "camera/image_raw", images.append, qos.STREAM)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(simulator)
    executor.add_node(operator)
    spin = lambda: executor.spin_once(timeout_sec=0.01)  # noqa: E731
    try:
        # first visit: still for a while, then learning mode comes on (as the neuromodulator's novelty broadcast)
        assert wait_until(
            lambda: sum(t.phase == "view" and t.visit == 0 for t in truth) >= 10, 20.0, poll=0.0, each=spin
        )
        mode.publish(LearningMode(header=Header(), active=True, level=1.0, cause=LearningMode.CAUSE_NOVELTY))
        assert wait_until(lambda: any(t.visit >= 1 for t in truth), 20.0, poll=0.0, each=spin)
        mode.publish(LearningMode(header=Header(), active=False, cause=LearningMode.CAUSE_NONE))
        # second visit: learning mode stays off, the camera holds still
        assert wait_until(
            lambda: sum(t.phase == "view" and t.visit == 1 for t in truth) >= 40, 20.0, poll=0.0, each=spin
        )
    finally:
        executor.shutdown()
        operator.destroy_node()
        simulator.on_shutdown()
        simulator.destroy_node()

    label = {_stamp(t): t for t in truth}  # an image and its frame's truth share a stamp
    seen = [(label.get(_stamp(m)), m) for m in images]
    first = _frames([m for t, m in seen if t is not None and t.visit == 0 and t.phase == "view"])
    still = first[:8]
    noise = float(np.max(np.abs(still[1:] - still[0]).mean(axis=(1, 2, 3))))
    change = np.abs(first - still[0]).mean(axis=(1, 2, 3))
    moved = np.flatnonzero(change > 4 * noise + 1.0)
    path = curious_path(AMPLITUDE, STEP)
    # the circle: it lasts as long as the path, from after learning mode came on; it passes the viewpoint halfway
    assert len(path) - 3 <= moved[-1] - moved[0] + 1 <= len(path), (noise, change.round(1))
    assert moved[0] >= 10, change.round(1)
    out, across = change[moved[0] : moved[0] + len(path) // 4 + 1], change[moved[0] + len(path) // 2 - 1]
    assert across < 0.5 * out.max(), change.round(1)
    # and back: the frames after the circle show the visit's viewpoint again
    after = change[moved[-1] + 2 :]
    assert len(after) >= 5 and np.all(after <= 4 * noise + 1.0), change.round(1)

    second = _frames([m for t, m in seen if t is not None and t.visit == 1 and t.phase == "view"])
    assert np.abs(second - second[0]).mean(axis=(1, 2, 3)).max() <= 4 * noise + 1.0
