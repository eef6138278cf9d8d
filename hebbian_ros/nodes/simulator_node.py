"""Simulator node: the embedded MuJoCo simulator on the worlds/*.sdf files, published like Gazebo + ros_gz.

Publishes ``camera/image_raw`` (sensor_msgs/Image, rgb8) and ``camera/camera_info``, ``touch``
(hebbian_ros/Touch, the same type ``contacts_to_touch`` makes from ros_gz contacts) and ``/clock``,
so no other node can tell which simulator drives it; plus ``sim/ground_truth`` (SceneLabel) for
evaluation. A scripted exploration moves the camera or the finger across the objects with repeats.
Deterministic for a fixed seed; sim time advances one frame per tick.
"""

from __future__ import annotations

import math
import sys
import time

from builtin_interfaces.msg import Time
from rclpy.clock import Clock as RosClock
from rclpy.clock import ClockType
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from hebbian_ros.core.parameters import Parameter, Schema
from hebbian_ros.msg import LearningMode, SceneLabel, Touch
from hebbian_ros.nodes.conversions import image_to_msg
from hebbian_ros.nodes.diagnostics import DIAGNOSTICS, Diagnostics
from hebbian_ros.nodes.parameters import declare_all
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.ros import qos
from hebbian_ros.ros.message_types import message_class
from hebbian_ros.ros.spin import spin_node
from hebbian_ros.sim.curiosity import CURIOUS_STEP, CuriousLook
from hebbian_ros.sim.exploration import (
    ExplorationStep,
    camera_exploration,
    object_positions,
    touch_exploration,
    turned_view,
)
from hebbian_ros.sim.sdf_world import Pose

#: Every parameter of this node, written once (declared by :func:`~hebbian_ros.nodes.parameters.declare_all`).
PARAMETERS = Schema(
    Parameter("world", "tabletop", "World name in worlds/ (or a path to an .sdf).", read_only=True),
    Parameter("seed", 0, "Seed of camera noise and exploration jitter.", 0, 2**31 - 1, read_only=True),
    Parameter("frame_rate", 30.0, "Frames per simulated second.", 1.0, 1000.0, read_only=True),
    Parameter("real_time_factor", 1.0, "Simulated seconds per wall second.", 0.01, 100.0, read_only=True),
    Parameter(
        "exploration",
        "auto",
        'Scripted exploration: "camera", "touch", "auto" (what the world has) or "none".',
        read_only=True,
    ),
    Parameter("frames_per_view", 30, "Frames per object visit.", 1, 100_000, read_only=True),
    Parameter("gap_frames", 15, "Blank frames before each visit.", 0, 100_000, read_only=True),
    Parameter(
        "rounds",
        2,
        "Rounds of visits: the first introduces the objects one by one "
        "(A, B A, C B A, ...), each further one revisits all in a seeded shuffled order.",
        1,
        1000,
        read_only=True,
    ),
    Parameter(
        "visit_order",
        "expanding",
        'Camera visits: "expanding" (A, B A, C B A, ... then shuffled rounds), "cyclic" (A B C ... per round) '
        'or "random" (a shuffled order per round).',
        read_only=True,
        choices=("expanding", "cyclic", "random"),
    ),
    Parameter("jitter", 0.0, "Per-frame camera / per-press finger jitter [m].", 0.0, 0.1, read_only=True),
    Parameter(
        "view_fill",
        0.0,
        "Camera visits: approach each object until its bounding box spans this share of the camera's vertical "
        "field of view, as a robot moves closer to what it inspects (0: the same viewpoint offset for every object).",
        0.0,
        1.0,
        read_only=True,
    ),
    Parameter(
        "view_orbit",
        0.0,
        "Camera visits: the camera circles each object about the vertical through its centre, from -this to +this "
        "around the visit's viewpoint over the visit's frames, so a look shows it from several sides [deg] (0: still).",
        0.0,
        179.0,
        read_only=True,
    ),
    Parameter(
        "revisit_turn",
        0.0,
        "Camera visits: every visit after an object's first sees it from a viewpoint turned by this much about the "
        "vertical through its centre, a side its first look did not show [deg] (0: the same viewpoint).",
        -179.0,
        179.0,
        read_only=True,
    ),
    Parameter(
        "curious_orbit",
        0.0,
        "Camera visits: once learning mode comes on (hebbian/learning_mode) the camera circles the object in view, "
        "0 -> +this -> -this -> 0 about the vertical through its centre, once per visit: it looks around what it "
        "does not know yet; memory keeps the sides with episode_views (bench/RESULTS.md 5zh) [deg] (0: never).",
        0.0,
        179.0,
        read_only=True,
    ),
    Parameter("curious_step", CURIOUS_STEP, "Degrees the curious circle turns per frame.", 0.1, 90.0, read_only=True),
    Parameter("loop", False, "Start the exploration again when it ends.", read_only=True),
    Parameter(
        "wait_for_subscribers",
        ("camera/image_raw",),
        "Hold the exploration (the clock runs) until each of these topics has a subscriber.",
        read_only=True,
    ),
    Parameter(
        "wait_for_messages",
        ("",),
        "Then hold until each of these topics has delivered a message (the graph answers the resting camera: "
        "every node is up and matched, not only subscribed); the type and QoS are its publisher's.",
        read_only=True,
    ),
    Parameter(
        "settle_time",
        1.0,
        "Further wall time to hold after that, so every subscriber is matched [s].",
        0.0,
        60.0,
        read_only=True,
    ),
)
PARAMETERS += DIAGNOSTICS  # hardware_id and the /diagnostics thresholds, declared with the rest


class SimulatorNode(Node):
    """Embedded simulator publishing camera, touch, clock and ground truth."""

    def __init__(self, name: str = "simulator", **kwargs) -> None:
        super().__init__(name, **kwargs)
        from hebbian_ros.sim.simulator import EmbeddedSimulator  # imports MuJoCo: only in this node

        parameters = declare_all(self, PARAMETERS)
        world = parameters["world"]
        seed = parameters["seed"]
        self.frame_rate = parameters["frame_rate"]
        self.real_time_factor = parameters["real_time_factor"]
        exploration = parameters["exploration"]
        frames_per_view = parameters["frames_per_view"]
        gap_frames = parameters["gap_frames"]
        rounds = parameters["rounds"]
        jitter = parameters["jitter"]
        self.loop = parameters["loop"]
        self.wait_for = parameters["wait_for_subscribers"]
        #: topics whose first message the exploration waits for -> their subscription (None: no publisher yet)
        self._awaited = {topic: None for topic in parameters["wait_for_messages"] if topic}
        self._heard: set[str] = set()
        self.settle_time = parameters["settle_time"]
        self._ready_since: float | None = None
        self._started = time.monotonic()

        self.sim = EmbeddedSimulator(world, seed=seed)
        self.dt = 1.0 / self.frame_rate
        if exploration == "auto":
            exploration = "camera" if self.sim.cameras else "touch" if self.sim.contact_sensors else "none"
        if exploration == "camera":
            self.steps = camera_exploration(
                self.sim.world,
                frames_per_view=frames_per_view,
                gap_frames=gap_frames,
                dt=self.dt,
                order=parameters["visit_order"],
                rounds=rounds,
                seed=seed,
                jitter=jitter,
                view_fill=parameters["view_fill"],
                orbit=parameters["view_orbit"],
                revisit_turn=parameters["revisit_turn"],
                fov=self.sim.world.cameras[0].vertical_fov if self.sim.world.cameras else 1.047,
            )
        elif exploration == "touch":
            self.steps = touch_exploration(
                self.sim.world,
                press_frames=frames_per_view,
                gap_frames=gap_frames,
                dt=self.dt,
                rounds=rounds,
                seed=seed,
                jitter=jitter,
            )
        elif exploration == "none":
            self.steps = []
        else:
            raise ValueError(f"exploration: must be camera, touch, auto or none, got {exploration!r}")
        self.index = 0
        self.done = False
        #: the curious look (camera exploration, curious_orbit > 0): it hears learning mode, and where objects stand
        self.curious = None
        if exploration == "camera" and parameters["curious_orbit"] > 0:
            self.curious = CuriousLook(parameters["curious_orbit"], parameters["curious_step"])
            self._centres = object_positions(self.sim.world)  # the objects the exploration visits
            self._learning = False
            self.create_subscription(LearningMode, "hebbian/learning_mode", self.on_learning_mode, qos.STATE)

        self.camera = next(iter(self.sim.cameras), None)
        self.contact = next(iter(self.sim.contact_sensors), None)
        self.clock_pub = self.create_publisher(Clock, "/clock", qos.STREAM)
        self.truth_pub = self.create_publisher(SceneLabel, "sim/ground_truth", qos.EVENT)
        if self.camera:
            self.image_pub = self.create_publisher(Image, "camera/image_raw", qos.STREAM)
            self.info_pub = self.create_publisher(CameraInfo, "camera/camera_info", qos.STREAM)
        if self.contact:
            self.touch_pub = self.create_publisher(Touch, "touch", qos.STREAM)
        self.diagnostics = Diagnostics(  # a source: no input to watch; frames published so far
            self, Rejections(self), (), lambda: {"frames published": self.index, "frames": len(self.steps)}
        )
        if self.steps and isinstance(self.steps[0].target, Pose) and self.camera:
            # While it holds for subscribers the camera rests where the exploration starts (a gap), so nothing
            # is learned before the first visit.
            self.sim.set_camera_pose(self.steps[0].target, self.camera)
        # The simulator is the source of /clock, so its own pace follows the wall clock.
        self.create_timer(
            self.dt / self.real_time_factor, self.on_tick, clock=RosClock(clock_type=ClockType.STEADY_TIME)
        )
        self.get_logger().info(
            f"world {world}: camera={self.camera} contact={self.contact} "
            f"{exploration} exploration of {len(self.steps)} frames at {self.frame_rate:g} fps"
        )

    def on_tick(self) -> None:
        """Advance one frame: move along the exploration, step physics, publish everything."""
        step = self._next_step()
        if step is not None:
            if isinstance(step.target, Pose):
                self.sim.set_camera_pose(self._view(step), self.camera)
            else:
                self.sim.set_finger_target(*step.target, sensor=self.contact)
        self.sim.step(self.dt)
        header = Header(stamp=_stamp(self.sim.sim_time))
        self.clock_pub.publish(Clock(clock=header.stamp))
        if self.camera:
            header.frame_id = self.camera
            self.image_pub.publish(image_to_msg(self.sim.render(self.camera), header))
            self.info_pub.publish(self._camera_info(header))
        if self.contact:
            taxels = self.sim.touch(self.contact)
            self.touch_pub.publish(
                Touch(
                    header=Header(stamp=header.stamp, frame_id=self.contact),
                    rows=taxels.shape[0],
                    cols=taxels.shape[1],
                    pressure=taxels.ravel(),
                )
            )
        self.truth_pub.publish(self._truth(header, step))

    def on_learning_mode(self, msg: LearningMode) -> None:
        """Remember whether learning mode is on: the curious look circles what is being learned."""
        self._learning = bool(msg.active)

    def _view(self, step: ExplorationStep) -> Pose:
        """The camera pose of ``step``, turned about the object while the curious look circles it."""
        if self.curious is None:
            return step.target
        turn = self.curious.turn(step.visit, step.phase == "view", self._learning)
        return turned_view(step.target, self._centres[step.obj], turn)

    def _ready(self) -> bool:
        if self._ready_since is None:
            if any(self.count_subscribers(topic) == 0 for topic in self.wait_for if topic):
                return False
            if not self._answered():
                return False
            self._ready_since = time.monotonic()
            self.get_logger().info(f"graph ready after {self._ready_since - self._started:.1f} s")
        return time.monotonic() - self._ready_since >= self.settle_time

    def _answered(self) -> bool:
        """Whether every topic of ``wait_for_messages`` has delivered a message (subscribing as publishers appear).

        A subscriber alone does not say the graph works: a node may still be starting (compiling its kernels)
        or not yet matched to the one before it, and the frames it misses are lost to learning.
        """
        for topic, subscription in self._awaited.items():
            if subscription is None:
                publishers = self.get_publishers_info_by_topic(self.resolve_topic_name(topic))
                if publishers:
                    offered = publishers[0].qos_profile  # its durability too: a latched state arrives at once
                    profile = QoSProfile(depth=1, reliability=offered.reliability, durability=offered.durability)
                    self._awaited[topic] = self.create_subscription(
                        message_class(publishers[0].topic_type), topic, lambda _, t=topic: self._heard.add(t), profile
                    )
        if self._heard < set(self._awaited):
            return False
        for subscription in self._awaited.values():
            self.destroy_subscription(subscription)
        self._awaited.clear()
        return True

    def _next_step(self) -> ExplorationStep | None:
        if not self._ready():
            return None
        if self.index >= len(self.steps):
            if not self.loop or not self.steps:
                if self.steps and not self.done:
                    self.done = True
                    self.get_logger().info("exploration finished")
                return None
            self.index = 0
        step = self.steps[self.index]
        self.index += 1
        return step

    def _truth(self, header: Header, step: ExplorationStep | None) -> SceneLabel:
        if step is None:
            return SceneLabel(header=header, phase="done" if self.done else "idle")
        return SceneLabel(
            header=header,
            label=step.label or "",
            visit_object=step.obj,
            visit=step.visit,
            repeat=step.repeat,
            phase=step.phase,
        )

    def _camera_info(self, header: Header) -> CameraInfo:
        camera = self.sim.cameras[self.camera]
        fx = camera.width / (2.0 * math.tan(camera.horizontal_fov / 2.0))
        cx, cy = camera.width / 2.0, camera.height / 2.0
        return CameraInfo(
            header=header,
            width=camera.width,
            height=camera.height,
            distortion_model="plumb_bob",
            d=[0.0] * 5,
            k=[fx, 0.0, cx, 0.0, fx, cy, 0.0, 0.0, 1.0],
            r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            p=[fx, 0.0, cx, 0.0, 0.0, fx, cy, 0.0, 0.0, 0.0, 1.0, 0.0],
        )

    def on_shutdown(self) -> None:
        """Free the renderer."""
        self.sim.close()


def _stamp(seconds: float) -> Time:
    nanoseconds = round(seconds * 1e9)
    return Time(sec=nanoseconds // 1_000_000_000, nanosec=nanoseconds % 1_000_000_000)


def main(args: list[str] | None = None) -> int:
    """Run the simulator node until shut down."""
    return spin_node(SimulatorNode, args)


NODE = SimulatorNode

if __name__ == "__main__":
    sys.exit(main())
