"""Sensor node: camera images or touch pressures -> firing rates over a grid of receptive fields.

Subscribes ``camera/image_raw`` (sensor_msgs/Image; with ``transport: compressed``
``camera/image_raw/compressed``, sensor_msgs/CompressedImage JPEG or PNG) or ``touch``
(hebbian_ros/Touch), publishes ``hebbian/<population>/rates`` and its health on ``/diagnostics``.
Inhibitory feedback on ``hebbian/inhibition`` lowers its gain (the "slow down" command). On an a-ha it keeps the current stimulus and re-publishes it once per replay
broadcast on ``hebbian/learning_mode`` so that the new pattern is repeated and consolidated. A camera
sensor also follows ``hebbian/recognition``: when memory stores a new memory it looks around the stimulus
and publishes its views from moved gazes (``gaze_view`` 1, 2, ...; :mod:`hebbian_ros.core.sensing.gaze`),
which memory keeps as copies of the new memory: ``VIEWS_PER_FRAME`` with each of the next frames, as a stream
topic keeps only the last few messages a busy reader has not taken yet (all 12 at once, layers under load passed
5 of them on to memory: CI rehearsal 2026-12-05). With memory's ``episode_views`` it also sends the frames of the
look memory asks for (``Recognition.look_frames`` before a store, ``Recognition.keep_view``) as first seen, each
stamped as its frame (:meth:`~hebbian_ros.core.sensing.retina.Retina.as_first_seen`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from operator import attrgetter

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import CompressedImage, Image

from hebbian_ros.core.parameters import SENSOR
from hebbian_ros.core.sensing.compressed import decode_compressed
from hebbian_ros.core.sensing.habituation import HabituationParams
from hebbian_ros.core.sensing.image_decoding import decode_image
from hebbian_ros.core.sensing.retina import Retina, RetinaParams, check_pressure
from hebbian_ros.core.sensing.view_queue import SECOND_LOOK, ViewQueue
from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition, Touch
from hebbian_ros.nodes.conversions import StampClock, rates_to_msg
from hebbian_ros.nodes.diagnostics import (
    DIAGNOSTICS,
    INHIBITION_PUBLISHERS,
    RECOGNITION_PUBLISHERS,
    Diagnostics,
)
from hebbian_ros.nodes.parameters import declare_all, follow_updates
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.ros import qos
from hebbian_ros.ros.spin import spin_node


class SensorNode(Node):
    """Receptive-field sensor with habituation; all computation is in :class:`hebbian_ros.core.sensing.retina.Retina`."""

    def __init__(self, name: str = "sensor", **kwargs) -> None:
        super().__init__(name, **kwargs)
        parameters = declare_all(self, SENSOR)
        self.modality = parameters["modality"]
        self.population = parameters["population"]
        self.retina = Retina(RetinaParams.from_parameters(parameters))
        self.shape = self.retina.shape
        self.stamps = StampClock()
        self.rejections = Rejections(self)
        self._last_header = None
        self._views: ViewQueue[tuple] = ViewQueue()  # views still to publish: (gaze view k, rates, header or None)
        self._frames = 0  # frames published: the views' clock
        self.max_pixels, self.jpeg_field_pixels = parameters["max_pixels"], parameters["jpeg_field_pixels"]
        if self.jpeg_field_pixels and self.retina.params.edges:  # edge cells work on edge_resolution px per field
            self.jpeg_field_pixels = max(self.jpeg_field_pixels, self.retina.params.edge_resolution)
        self.grid = (parameters["rows"], parameters["cols"])

        self.rates_topic = f"hebbian/{self.population}/rates"
        self.rates_pub = self.create_publisher(FiringRates, self.rates_topic, qos.STREAM)
        compressed = self.modality == "camera" and parameters["transport"] == "compressed"
        self.input_topic = "touch" if self.modality == "touch" else f"camera/image_raw{'/compressed' * compressed}"
        self._last_frame = None  # the last camera message, described on /diagnostics
        self.diagnostics = Diagnostics(self, self.rejections, (self.input_topic,), self._diagnostic_values)
        msg_type, callback = {"touch": (Touch, self.on_touch), "camera": (Image, self.on_image)}[self.modality]
        if compressed:
            msg_type, callback = CompressedImage, self.on_compressed
        self.create_subscription(msg_type, self.input_topic, self.diagnostics.counted(callback), qos.STREAM)
        self.inhibition_sub = self.create_subscription(Inhibition, "hebbian/inhibition", self.on_inhibition, qos.EVENT)
        self.create_subscription(LearningMode, "hebbian/learning_mode", self.on_learning_mode, qos.STATE)
        self.recognition_sub = None
        if self.modality == "camera":
            self.recognition_sub = self.create_subscription(
                Recognition, "hebbian/recognition", self.on_recognition, qos.EVENT
            )
        follow_updates(self, self._prepare_update)

    @property
    def params(self) -> HabituationParams:
        """The retina's habituation parameters."""
        return self.retina.params.habituation

    def _prepare_update(self, changes: dict) -> Callable[[], None]:
        """Validate run-time parameter changes; return what applies them (see ``follow_updates``)."""
        params = self.retina.params.updated(changes)  # RetinaParams validates: ValueError refuses

        def apply() -> None:
            self.retina.params = params

        return apply

    def _diagnostic_values(self) -> dict:
        values = {INHIBITION_PUBLISHERS: self.inhibition_sub.get_publisher_count()}
        if self.recognition_sub is not None:
            values[RECOGNITION_PUBLISHERS] = self.recognition_sub.get_publisher_count()
        frame = self._last_frame
        if isinstance(frame, CompressedImage):
            values["last frame"] = f"{frame.format or 'no format'}, {len(frame.data)} bytes"
        elif frame is not None:
            values["last frame"] = f"{frame.width}x{frame.height} {frame.encoding}"
        return values

    def on_image(self, msg: Image) -> None:
        """Decode, pool and sense one camera frame."""
        self._last_frame = msg
        try:
            image = decode_image(
                msg.height, msg.width, msg.encoding, msg.step, msg.data, bool(msg.is_bigendian), self.max_pixels
            )
            # unchecked: a decoded image is valid by construction
            self._publish(self.retina.see(image, self._dt(msg.header), validate=False, tag=msg.header), msg.header)
        except ValueError as error:
            self.rejections.reject(self.input_topic, error)

    def on_compressed(self, msg: CompressedImage) -> None:
        """Decode (JPEG scaled down to what the fields need), pool and sense one compressed frame."""
        self._last_frame = msg
        try:
            image = decode_compressed(msg.format, msg.data, self.max_pixels, self.grid, self.jpeg_field_pixels)
            self._publish(self.retina.see(image, self._dt(msg.header), validate=False, tag=msg.header), msg.header)
        except ValueError as error:
            self.rejections.reject(self.input_topic, error)

    def on_touch(self, msg: Touch) -> None:
        """Pool and sense one taxel frame."""
        try:
            pressure = np.asarray(msg.pressure, dtype=np.float32)
            if msg.rows * msg.cols == 0 or pressure.size != msg.rows * msg.cols:
                raise ValueError(f"pressure: {pressure.size} values for a {msg.rows}x{msg.cols} grid")
            taxels = check_pressure(pressure.reshape(msg.rows, msg.cols))
            rates = self.retina.touch(taxels, self._dt(msg.header), validate=False, tag=msg.header)
            self._publish(rates, msg.header)
        except ValueError as error:
            self.rejections.reject(self.input_topic, error)

    def on_inhibition(self, msg: Inhibition) -> None:
        """Apply the slow-down command if it targets this population."""
        if msg.target_population not in ("", self.population):
            return
        try:
            self.retina.inhibit(msg.strength, np.asarray(msg.gain, np.float32))
        except ValueError as error:
            self.rejections.reject("hebbian/inhibition", error)

    def on_learning_mode(self, msg: LearningMode) -> None:
        """Keep the confirmed stimulus on an a-ha; repeat it on each replay broadcast."""
        if msg.cause == LearningMode.CAUSE_AHA:
            self.retina.keep_for_replay()
        elif msg.cause == LearningMode.CAUSE_REPLAY:
            rates = self.retina.replay()  # the stimulus as first seen: full gain, nothing adapted yet
            if rates is not None:
                header = self._last_header or msg.header
                self.rates_pub.publish(
                    rates_to_msg(header, self.population, self.shape, rates, self.retina.max_rate, replay=True)
                )

    def on_recognition(self, msg: Recognition) -> None:
        """Publish the stimulus at the fixation and from moved gazes (``gaze_view`` 1…): to be kept when memory stored
        a new memory, to be matched (``second_look``) when memory asks to look again at a stimulus it did not know.
        Memory may also ask for frames of the look as first seen (``look_frames`` before the stored one, or the frame
        itself, ``keep_view``): they follow as fixations, each stamped as its frame."""
        if msg.stored or msg.look_again:  # a new memory or a new stimulus: the views still queued were of the last one
            views = [(k, view, None) for k, view in enumerate(self.retina.look_around(), start=1)]
            if msg.stored:
                views += self._as_first_seen(msg.header.stamp, msg.look_frames, before=True)
            self._views.answer(msg.memory_id if msg.stored else SECOND_LOOK, views, self._frames)
            self._publish_views(self._last_header or msg.header)
        elif msg.keep_view:  # a further side of the memory being learned: it follows the views still queued for it
            self._views.follow(msg.memory_id, self._as_first_seen(msg.header.stamp, 1, before=False), self._frames)

    def _as_first_seen(self, stamp, count: int, before: bool) -> list[tuple]:
        """Queue entries for the ``count`` frames before the one stamped ``stamp`` (``before``), or that frame, as
        first seen (:meth:`Retina.tagged_as_first_seen`), each with its frame's header; none when that frame is gone."""
        found = self.retina.tagged_as_first_seen(stamp, count, before=before, key=attrgetter("stamp"))
        return [(1, view, header) for header, view in found]

    def _publish_views(self, header) -> None:
        second_look = self._views.memory_id == SECOND_LOOK  # views to match, not to keep
        for k, view, own in self._views.due(self._frames):
            self.rates_pub.publish(
                rates_to_msg(
                    own or header,
                    self.population,
                    self.shape,
                    view,
                    self.retina.max_rate,
                    replay=True,
                    gaze_view=k,
                    second_look=second_look,
                )
            )

    def _now(self) -> float | None:
        now = self.get_clock().now().nanoseconds * 1e-9
        return now if now > 0 else None

    def _dt(self, header) -> float:
        return self.stamps.step(header.stamp, self._now())

    def _publish(self, rates, header) -> None:
        self._last_header = header
        self._frames += 1
        self.rates_pub.publish(rates_to_msg(header, self.population, self.shape, rates, self.retina.max_rate))
        if self._views:
            self._publish_views(header)


def main(args: list[str] | None = None) -> int:
    """Run the sensor node until shut down."""
    return spin_node(SensorNode, args)


NODE = SensorNode
PARAMETERS = SENSOR + DIAGNOSTICS

if __name__ == "__main__":
    sys.exit(main())
