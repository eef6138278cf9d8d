"""Visualizer node: the loop's activity as rviz markers and heatmap images.

Subscribes ``hebbian/<population>/rates`` for every population of the ``populations`` parameter,
``hebbian/inhibition``, ``hebbian/learning_mode`` and ``hebbian/recognition``; read-only towards the
loop. Publishes, at most once per ``publish_period`` (wall time) and only after a new sample:

- ``hebbian/<population>/markers`` (visualization_msgs/MarkerArray, frame ``frame_id``): one CUBE or
  CYLINDER per unit on the population's ``shape`` grid, height and colour = rate relative to the
  message's ``max_rate`` (``hot`` colour map: black -> red -> yellow -> white, see
  :mod:`hebbian_ros.core.visualization`), plus a TEXT_VIEW_FACING label "<population>: <mean> Hz"
  that turns orange while learning mode is on and blue while the population is inhibited.
  Population ``i`` of the list stands at ``y = -i * population_spacing``.
- ``hebbian/<population>/heatmap`` (sensor_msgs/Image rgb8): the rate grid, ``heatmap_scale``
  pixels per unit, same colour map and layout.
- ``hebbian/status/markers`` (MarkerArray): one TEXT_VIEW_FACING marker with the learning mode
  (on/off, level, cause), the inhibition in effect (strength, target, cause) and the last
  recognition, coloured like the labels.

Every output is reliable (``qos.EVENT``), so rviz displays with the default (reliable) as well as
best-effort QoS receive it. Receptive fields are published by the feature layers themselves
(``hebbian/<layer>/receptive_fields``); config/hebbian.rviz shows all of it.
"""

from __future__ import annotations

import sys
import time

from geometry_msgs.msg import Point, Pose, Quaternion, Vector3
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from hebbian_ros.core.parameters import Parameter, Schema
from hebbian_ros.core.visualization import (
    MarkerStyle,
    label_colour,
    population_geometry,
    population_label,
    rate_heatmap,
    status_text,
)
from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition
from hebbian_ros.nodes.conversions import image_to_msg, rates_from_msg
from hebbian_ros.nodes.diagnostics import DIAGNOSTICS, Diagnostics
from hebbian_ros.nodes.parameters import declare_all
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.ros import qos
from hebbian_ros.ros.spin import spin_node

STATUS_TOPIC = "hebbian/status/markers"


#: Every parameter of this node, written once (declared by :func:`~hebbian_ros.nodes.parameters.declare_all`).
PARAMETERS = Schema(
    Parameter(
        "populations",
        ("sensor", "layer1", "layer2", "memory"),
        "Populations drawn (hebbian/<population>/rates).",
        read_only=True,
    ),
    Parameter("frame_id", "hebbian", "Frame of the markers and images (the rviz fixed frame).", read_only=True),
    Parameter("marker_type", "cube", 'Unit marker: "cube" or "cylinder".', read_only=True),
    Parameter("spacing", 0.1, "Distance between unit centres [m].", 1e-4, 100.0, read_only=True),
    Parameter("unit_size", 0.08, "Footprint of a unit marker [m].", 1e-4, 100.0, read_only=True),
    Parameter("max_height", 0.5, "Height of a unit at max_rate [m].", 1e-4, 100.0, read_only=True),
    Parameter("min_height", 0.005, "Height of a silent unit [m].", 1e-4, 100.0, read_only=True),
    Parameter("text_size", 0.12, "Height of label letters [m].", 1e-4, 100.0, read_only=True),
    Parameter(
        "population_spacing",
        2.0,
        "Distance between the origins of successive populations along -y [m].",
        0.0,
        1000.0,
        read_only=True,
    ),
    Parameter("heatmap_scale", 8, "Heatmap pixels per unit (each way).", 1, 64, read_only=True),
    Parameter(
        "publish_period",
        0.1,
        "Least wall time between two drawings of a population [s]; 0: draw every sample.",
        0.0,
        60.0,
        read_only=True,
    ),
    Parameter(
        "inhibition_hold",
        0.5,
        "Wall time a population counts as inhibited after an inhibition message [s].",
        0.0,
        60.0,
        read_only=True,
    ),
)
PARAMETERS += DIAGNOSTICS  # hardware_id and the /diagnostics thresholds, declared with the rest


class VisualizerNode(Node):
    """Turns rates and loop events into MarkerArrays and Images; all geometry is in the core."""

    def __init__(self, name: str = "visualizer", **kwargs) -> None:
        super().__init__(name, **kwargs)
        parameters = declare_all(self, PARAMETERS)
        self.populations = list(parameters["populations"])
        self.frame_id = parameters["frame_id"]
        shape = parameters["marker_type"]
        if shape not in ("cube", "cylinder"):
            raise ValueError(f'marker_type: must be "cube" or "cylinder", got {shape!r}')
        self.marker_type = Marker.CUBE if shape == "cube" else Marker.CYLINDER
        self.style = MarkerStyle(
            spacing=parameters["spacing"],
            unit_size=parameters["unit_size"],
            max_height=parameters["max_height"],
            min_height=parameters["min_height"],
            text_size=parameters["text_size"],
        )
        self.population_spacing = parameters["population_spacing"]
        self.heatmap_scale = parameters["heatmap_scale"]
        self.publish_period = parameters["publish_period"]
        self.inhibition_hold = parameters["inhibition_hold"]
        self.rejections = Rejections(self)
        self.latest: dict[str, FiringRates] = {}
        self.drawn_sizes: dict[str, int] = {}
        self.learning: tuple[bool, float, int, int, int] | None = None
        self.recognition: tuple[int, float, bool, int] | None = None
        self.inhibition: tuple[float, int, str, int] | None = None
        self.inhibited_until: dict[str, float] = {}
        self.marker_pubs = {}
        self.heatmap_pubs = {}
        inputs = tuple(f"hebbian/{population}/rates" for population in self.populations)
        self.diagnostics = Diagnostics(self, self.rejections, inputs)
        for index, population in enumerate(self.populations):
            self.marker_pubs[population] = self.create_publisher(
                MarkerArray, f"hebbian/{population}/markers", qos.EVENT
            )
            self.heatmap_pubs[population] = self.create_publisher(Image, f"hebbian/{population}/heatmap", qos.EVENT)
            self.create_subscription(
                FiringRates,
                f"hebbian/{population}/rates",
                self.diagnostics.counted(lambda msg, p=population: self.on_rates(p, msg)),
                qos.STREAM,
            )
        self.origins = {p: (0.0, -i * self.population_spacing, 0.0) for i, p in enumerate(self.populations)}
        self.status_pub = self.create_publisher(MarkerArray, STATUS_TOPIC, qos.EVENT)
        self.create_subscription(Inhibition, "hebbian/inhibition", self.on_inhibition, qos.EVENT)
        self.create_subscription(LearningMode, "hebbian/learning_mode", self.on_learning_mode, qos.STATE)
        self.create_subscription(Recognition, "hebbian/recognition", self.on_recognition, qos.EVENT)
        self.status_dirty = True
        self.status_inhibited = False
        if self.publish_period > 0:
            self.create_timer(self.publish_period, self.draw_pending, clock=Clock(clock_type=ClockType.STEADY_TIME))

    # --- inputs -------------------------------------------------------------------------------

    def on_rates(self, population: str, msg: FiringRates) -> None:
        """Keep the newest valid sample of ``population`` (drawn by the timer, or now without one)."""
        try:
            rates_from_msg(msg)
        except ValueError as error:
            self.rejections.reject(f"hebbian/{population}/rates", error)
            return
        self.latest[population] = msg
        if self.publish_period == 0:
            self.draw(population, msg)
            self.draw_status()

    def on_inhibition(self, msg: Inhibition) -> None:
        if not 0.0 <= msg.strength <= 1.0:
            self.rejections.reject("hebbian/inhibition", ValueError(f"strength: {msg.strength} outside [0, 1]"))
            return
        until = time.monotonic() + self.inhibition_hold
        for population in self.populations:
            if msg.target_population in ("", population):
                self.inhibited_until[population] = until
        self.inhibition = (float(msg.strength), int(msg.cause), msg.target_population, int(msg.memory_id))
        self.status_dirty = True

    def on_learning_mode(self, msg: LearningMode) -> None:
        self.learning = (bool(msg.active), float(msg.level), int(msg.cause), int(msg.memory_id), int(msg.replays_left))
        self.status_dirty = True
        if self.publish_period == 0:
            self.draw_status()

    def on_recognition(self, msg: Recognition) -> None:
        self.recognition = (int(msg.memory_id), float(msg.similarity), bool(msg.familiar), int(msg.memory_size))
        self.status_dirty = True

    # --- outputs ------------------------------------------------------------------------------

    def inhibited(self, population: str) -> bool:
        """True while an inhibition aimed at ``population`` was received within ``inhibition_hold``."""
        return time.monotonic() < self.inhibited_until.get(population, -1.0)

    def draw_pending(self) -> None:
        """Timer: draw every population with a new sample, and the status when it changed."""
        pending, self.latest = self.latest, {}
        for population, msg in pending.items():
            self.draw(population, msg)
        inhibited = any(self.inhibited(p) for p in self.populations)
        if pending or self.status_dirty or inhibited != self.status_inhibited:
            self.draw_status()

    def draw(self, population: str, msg: FiringRates) -> None:
        """Publish the MarkerArray and the heatmap of one sample."""
        shape = tuple(msg.shape) or (len(msg.rates),)
        try:
            geometry = population_geometry(msg.rates, shape, msg.max_rate, self.style, self.origins[population])
            heatmap = rate_heatmap(msg.rates, shape, msg.max_rate, self.heatmap_scale)
        except ValueError as error:
            self.rejections.reject(f"hebbian/{population}/rates", error)
            return
        header = Header(stamp=msg.header.stamp, frame_id=self.frame_id)
        markers = []
        if self.drawn_sizes.get(population) != len(geometry.positions):
            markers.append(Marker(header=header, action=Marker.DELETEALL))
            self.drawn_sizes[population] = len(geometry.positions)
        for i, (p, s, c) in enumerate(
            zip(geometry.positions.tolist(), geometry.scales.tolist(), geometry.colours.tolist())
        ):
            markers.append(
                Marker(
                    header=header,
                    ns=population,
                    id=i,
                    type=self.marker_type,
                    action=Marker.ADD,
                    pose=Pose(position=Point(x=p[0], y=p[1], z=p[2]), orientation=Quaternion(w=1.0)),
                    scale=Vector3(x=s[0], y=s[1], z=s[2]),
                    color=ColorRGBA(r=c[0], g=c[1], b=c[2], a=c[3]),
                )
            )
        learning = self.learning is not None and self.learning[0]
        r, g, b, a = label_colour(learning, self.inhibited(population))
        lx, ly, lz = geometry.label_position.tolist()
        markers.append(
            Marker(
                header=header,
                ns=f"{population}/label",
                id=0,
                type=Marker.TEXT_VIEW_FACING,
                action=Marker.ADD,
                pose=Pose(position=Point(x=lx, y=ly, z=lz), orientation=Quaternion(w=1.0)),
                scale=Vector3(z=self.style.text_size),
                color=ColorRGBA(r=r, g=g, b=b, a=a),
                text=population_label(population, geometry.mean_rate, msg.replay),
            )
        )
        self.marker_pubs[population].publish(MarkerArray(markers=markers))
        self.heatmap_pubs[population].publish(image_to_msg(heatmap, header))

    def draw_status(self) -> None:
        """Publish the status text marker (learning mode, inhibition, recognition)."""
        self.status_dirty = False
        learning = self.learning is not None and self.learning[0]
        self.status_inhibited = any(self.inhibited(p) for p in self.populations)
        inhibition = self.inhibition if self.status_inhibited else None
        r, g, b, a = label_colour(learning, inhibition is not None)
        marker = Marker(
            header=Header(frame_id=self.frame_id),
            ns="status",
            id=0,
            type=Marker.TEXT_VIEW_FACING,
            action=Marker.ADD,
            pose=Pose(
                position=Point(x=0.0, y=4.0 * self.style.spacing, z=2.0 * self.style.text_size),
                orientation=Quaternion(w=1.0),
            ),
            scale=Vector3(z=self.style.text_size),
            color=ColorRGBA(r=r, g=g, b=b, a=a),
            text=status_text(self.learning, inhibition, self.recognition),
        )
        self.status_pub.publish(MarkerArray(markers=[marker]))


def main(args: list[str] | None = None) -> int:
    """Run the visualizer node until shut down."""
    return spin_node(VisualizerNode, args)


NODE = VisualizerNode

if __name__ == "__main__":
    sys.exit(main())
