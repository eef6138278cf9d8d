"""Publish a node's health on ``/diagnostics`` at 1 Hz, the way robot monitors expect it.

One ``diagnostic_msgs/DiagnosticArray`` per second with one ``DiagnosticStatus``: ``name`` = the node's
fully qualified name without the leading slash (``sensor``, ``robot1/sensor``), ``hardware_id`` = the
``hardware_id`` parameter (default: this computer's host name), ``level`` OK / WARN / ERROR and
``message`` from :class:`hebbian_ros.core.health.InputHealth` (input stopped, drops above
``diagnostics_max_drop_ratio``), and key-values: input topics and rate, messages received and dropped
with the last reason (from the node's :class:`~hebbian_ros.nodes.rejections.Rejections`), plus what the
node adds (learning level, learning-mode publishers heard, memory size and capacity, checkpoint age).
rqt_robot_monitor, Foxglove and diagnostic_aggregator read it as they read any driver's.

A node wires it in with one call, counts its input by wrapping the input's callback, and adds
:data:`DIAGNOSTICS` to its ``PARAMETERS``::

    self.diagnostics = Diagnostics(self, self.rejections, ("camera/image_raw",), lambda: {"learning level": ...})
    self.create_subscription(Image, "camera/image_raw", self.diagnostics.counted(self.on_image), qos.STREAM)

The timer runs on the steady clock, so diagnostics keep coming when simulated time stops.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.clock import Clock, ClockType
from rclpy.node import Node

from hebbian_ros.core.health import HealthRules, InputHealth
from hebbian_ros.core.parameters import Parameter, Schema
from hebbian_ros.nodes.parameters import declare_all
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.ros import qos

TOPIC = "/diagnostics"
PERIOD = 1.0  #: seconds between two reports (the convention: 1 Hz)
_LEVELS = {0: DiagnosticStatus.OK, 1: DiagnosticStatus.WARN, 2: DiagnosticStatus.ERROR}
#: Key-values that tell whether plasticity can reach a node: a learner's matched learning-mode publishers
#: (0: it never learns) and the neuromodulator's matched learning-mode subscribers.
LEARNING_MODE_PUBLISHERS = "learning-mode publishers"
#: A sensor's matched publishers of memory's feedback: inhibition (0: it never habituates) and recognition (0:
#: a new memory never gets the sensor's gaze views).
INHIBITION_PUBLISHERS = "inhibition publishers"
RECOGNITION_PUBLISHERS = "recognition publishers"
LEARNERS_LISTENING = "learners listening"

#: Parameters every node declares through :class:`Diagnostics` (defaults: :class:`HealthRules`).
DIAGNOSTICS = Schema(
    Parameter(
        "hardware_id",
        "",
        "/diagnostics hardware_id (the camera's serial, the robot); empty: host name.",
        read_only=True,
    ),
    Parameter(
        "diagnostics_stale_after",
        HealthRules.stale_after,
        "Seconds without input after which /diagnostics reports WARN (input stopped).",
        0.1,
        3600.0,
        read_only=True,
    ),
    Parameter(
        "diagnostics_max_drop_ratio",
        HealthRules.max_drop_ratio,
        "Share of the input dropped over the last 5 s above which /diagnostics reports WARN.",
        0.0,
        1.0,
        read_only=True,
    ),
)


def checkpoint_age(path: str | os.PathLike | None) -> str:
    """Seconds since the checkpoint file was last written, ``"never saved"``, or ``"disabled"`` (no path)."""
    if not path:
        return "disabled"
    try:
        return f"{time.time() - os.stat(path).st_mtime:.0f}"
    except OSError:
        return "never saved"


class Diagnostics:
    """A node's ``/diagnostics`` publisher (see the module).

    :param node: the node reported on; its parameters :data:`DIAGNOSTICS` are declared here.
    :param rejections: the node's drop counter (drops and last reason come from it).
    :param inputs: watched input topics: silence for ``diagnostics_stale_after`` s is a WARN.
    :param values: called once per report for the node's own key-values (name -> value, any type).
    """

    def __init__(
        self,
        node: Node,
        rejections: Rejections,
        inputs: tuple[str, ...] = (),
        values: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self._node = node
        self._rejections = rejections
        self._values = values
        undeclared = Schema(*(p for p in DIAGNOSTICS.values() if not node.has_parameter(p.name)))
        parameters = {p: node.get_parameter(p).value for p in DIAGNOSTICS if node.has_parameter(p)}
        parameters.update(declare_all(node, undeclared))  # a node whose PARAMETERS include them declared them
        hardware_id = parameters["hardware_id"]
        rules = HealthRules(
            stale_after=parameters["diagnostics_stale_after"], max_drop_ratio=parameters["diagnostics_max_drop_ratio"]
        )
        self.hardware_id = hardware_id or socket.gethostname()
        self.name = node.get_fully_qualified_name().lstrip("/")
        self.health = InputHealth(tuple(inputs), rules, time.monotonic())
        self._publisher = node.create_publisher(DiagnosticArray, TOPIC, qos.DIAGNOSTICS)
        self._timer = node.create_timer(PERIOD, self.publish, clock=Clock(clock_type=ClockType.STEADY_TIME))

    def counted(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        """``callback`` that first counts its message as input received."""
        health, clock = self.health, time.monotonic

        def counting(msg: Any) -> None:
            health.on_received(clock())
            callback(msg)

        return counting

    def status(self) -> DiagnosticStatus:
        """The node's status now."""
        report = self.health.report(time.monotonic(), self._rejections.total, self._rejections.last_reason)
        try:
            extra = self._values() if self._values is not None else {}
        except Exception as error:  # a report must never take the node down (this runs in a timer)
            extra = {"diagnostics error": f"{type(error).__name__}: {error}"}
        values = [*report.values, *((key, _text(value)) for key, value in extra.items())]
        return DiagnosticStatus(
            level=_LEVELS[report.level],
            name=self.name,
            message=report.message,
            hardware_id=self.hardware_id,
            values=[KeyValue(key=key, value=value) for key, value in values],
        )

    def publish(self) -> None:
        """Publish one DiagnosticArray (the 1 Hz timer calls this)."""
        array = DiagnosticArray(status=[self.status()])
        array.header.stamp = self._node.get_clock().now().to_msg()
        self._publisher.publish(array)


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)
