"""Sensor node: camera images or touch pressures -> firing rates over a grid of receptive fields.

Subscribes ``camera/image_raw`` (sensor_msgs/Image) or ``touch`` (hebbian_ros/Touch), publishes
``hebbian/<population>/rates``. Inhibitory feedback on ``hebbian/inhibition`` lowers its gain (the
"slow down" command). On an a-ha it keeps the current stimulus and re-publishes it once per replay
broadcast on ``hebbian/learning_mode`` so that the new pattern is repeated and consolidated.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import Image

from hebbian_ros.core.sensing.habituation import HabituationParams, inhibit, initial_state, sense
from hebbian_ros.core.sensing.image_decoding import decode_image
from hebbian_ros.core.sensing.receptive_fields import colour_opponent, on_off_contrast, pool_grid
from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Touch
from hebbian_ros.nodes import qos
from hebbian_ros.nodes.conversions import StampClock, rates_to_msg
from hebbian_ros.nodes.parameters import declare, follow_updates
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.nodes.spin import spin_node


class SensorNode(Node):
    """Receptive-field sensor with habituation; all computation is in :mod:`hebbian_ros.core`."""

    def __init__(self, name: str = "sensor", **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.modality = declare(
            self,
            "modality",
            "camera",
            'Input: "camera" (sensor_msgs/Image) or "touch" (hebbian_ros/Touch).',
            read_only=True,
        )
        if self.modality not in ("camera", "touch"):
            raise ValueError(f'modality: must be "camera" or "touch", got {self.modality!r}')
        self.population = declare(self, "population", "sensor", "Name of the published population.", read_only=True)
        rows = declare(self, "rows", 8, "Receptive-field grid rows.", 1, 256, read_only=True)
        cols = declare(self, "cols", 8, "Receptive-field grid columns.", 1, 256, read_only=True)
        channels = declare(
            self,
            "channels",
            3,
            "Colour channels per field: 1 (luminance) or 3 (RGB); touch always uses 1.",
            1,
            3,
            read_only=True,
        )
        self.channels = 1 if self.modality == "touch" else channels
        if self.channels == 2:
            raise ValueError("channels: must be 1 or 3")
        self.contrast = declare(
            self,
            "contrast",
            True,
            "ON/OFF centre-surround cells (2 per channel) instead of raw intensity: a uniform scene drives nothing.",
            read_only=True,
        )
        self.contrast_gain = declare(
            self, "contrast_gain", 2.0, "Contrast gain: 1/gain drives a cell fully.", 1e-3, 1e3
        )
        self.colour_coding = declare(
            self,
            "colour_coding",
            "opponent",
            'Colour channels: "opponent" (luminance, red-green, blue-yellow) or "rgb".',
            read_only=True,
        )
        if self.colour_coding not in ("opponent", "rgb"):
            raise ValueError(f'colour_coding: must be "opponent" or "rgb", got {self.colour_coding!r}')
        self.luminance_weight = declare(
            self, "luminance_weight", 0.5, "Weight of luminance against the opponent axes.", 0.0, 1.0
        )
        self.grid = (rows, cols)
        self.shape = (rows, cols, self.channels * (2 if self.contrast else 1))
        self.max_pressure = declare(
            self, "max_pressure", 5.0, "Touch pressure that drives a field fully [N].", 1e-6, 1e6
        )
        self.params = HabituationParams(
            max_rate=declare(self, "max_rate", 100.0, "Rate of a fully driven field [Hz].", 1e-3, 1e4),
            sustained_weight=declare(
                self, "sustained_weight", 0.5, "Share of the rate following the current intensity.", 0.0, 10.0
            ),
            transient_weight=declare(
                self,
                "transient_weight",
                1.0,
                "Share of the rate following change from the adapted baseline (novelty).",
                0.0,
                10.0,
            ),
            tau_adapt=declare(self, "tau_adapt", 0.5, "Baseline adaptation time constant [s].", 1e-3, 1e4),
            tau_recover=declare(
                self, "tau_recover", 1.0, "Gain recovery time constant after inhibition [s].", 1e-3, 1e4
            ),
            gain_floor=declare(self, "gain_floor", 0.02, "Lowest gain inhibition can reach.", 0.0, 0.99),
        )
        self.selective = declare(
            self,
            "selective_inhibition",
            True,
            "Inhibition without a per-unit gain "
            "slows each unit in proportion to its current rate (stimulus-specific "
            "habituation), so a new stimulus elsewhere still fires fast.",
        )
        self.state = initial_state(self.shape)
        self._rates = np.zeros(self.shape, np.float32)
        self.stamps = StampClock()
        self.rejections = Rejections(self)
        self.replay_pattern: np.ndarray | None = None
        self._intensity: np.ndarray | None = None
        self._last_header = None

        self.rates_topic = f"hebbian/{self.population}/rates"
        self.rates_pub = self.create_publisher(FiringRates, self.rates_topic, qos.STREAM)
        if self.modality == "camera":
            self.input_topic = "camera/image_raw"
            self.create_subscription(Image, self.input_topic, self.on_image, qos.STREAM)
        else:
            self.input_topic = "touch"
            self.create_subscription(Touch, self.input_topic, self.on_touch, qos.STREAM)
        self.create_subscription(Inhibition, "hebbian/inhibition", self.on_inhibition, qos.EVENT)
        self.create_subscription(LearningMode, "hebbian/learning_mode", self.on_learning_mode, qos.STATE)
        follow_updates(self, self._prepare_update)

    def _prepare_update(self, changes: dict) -> Callable[[], None]:
        """Validate run-time parameter changes; return what applies them (see ``follow_updates``)."""
        fields = {k: v for k, v in changes.items() if k in HabituationParams.__dataclass_fields__}
        params = replace(self.params, **fields)  # HabituationParams validates: ValueError refuses
        attributes = {
            attribute: changes[name]
            for name, attribute in (
                ("contrast_gain", "contrast_gain"),
                ("luminance_weight", "luminance_weight"),
                ("max_pressure", "max_pressure"),
                ("selective_inhibition", "selective"),
            )
            if name in changes
        }

        def apply() -> None:
            self.params = params
            for attribute, value in attributes.items():
                setattr(self, attribute, value)

        return apply

    def on_image(self, msg: Image) -> None:
        """Decode, pool and sense one camera frame."""
        try:
            image = decode_image(msg.height, msg.width, msg.encoding, msg.step, msg.data, bool(msg.is_bigendian))
            self._sense(pool_grid(image, *self.grid, self.channels, validate=False), msg.header)
        except ValueError as error:
            self.rejections.reject(self.input_topic, error)

    def on_touch(self, msg: Touch) -> None:
        """Pool and sense one taxel frame."""
        try:
            pressure = np.asarray(msg.pressure, dtype=np.float32)
            if msg.rows * msg.cols == 0 or pressure.size != msg.rows * msg.cols:
                raise ValueError(f"pressure: {pressure.size} values for a {msg.rows}x{msg.cols} grid")
            if not np.all(np.isfinite(pressure)) or pressure.min() < 0:
                raise ValueError("pressure: values must be finite and >= 0")
            taxels = np.clip(pressure.reshape(msg.rows, msg.cols, 1) / self.max_pressure, 0.0, 1.0)
            self._sense(pool_grid(taxels.astype(np.float32), *self.grid, 1, validate=False), msg.header)
        except ValueError as error:
            self.rejections.reject(self.input_topic, error)

    def on_inhibition(self, msg: Inhibition) -> None:
        """Apply the slow-down command if it targets this population."""
        if msg.target_population not in ("", self.population):
            return
        unit_gain = np.asarray(msg.gain, np.float32)
        if unit_gain.size == 0 and self.selective:
            unit_gain = (self._rates / max(float(self._rates.max()), 1e-9)).ravel()
        try:
            self.state = inhibit(self.state, msg.strength, unit_gain, self.params)
        except ValueError as error:
            self.rejections.reject("hebbian/inhibition", error)

    def on_learning_mode(self, msg: LearningMode) -> None:
        """Keep the confirmed stimulus on an a-ha; repeat it on each replay broadcast."""
        if msg.cause == LearningMode.CAUSE_AHA and self._intensity is not None:
            self.replay_pattern = self._intensity.copy()
        elif msg.cause == LearningMode.CAUSE_REPLAY and self.replay_pattern is not None:
            # A replay is the stimulus as first seen: full gain, nothing adapted yet.
            rates, _ = sense(self.replay_pattern, 0.0, initial_state(self.shape), self.params)
            header = self._last_header or msg.header
            self.rates_pub.publish(
                rates_to_msg(header, self.population, self.shape, rates, self.params.max_rate, replay=True)
            )

    def _sense(self, fields: np.ndarray, header) -> None:
        # Per frame the core runs unchecked: decoded pixels and clipped taxels are valid by construction,
        # each stage's output is the next one's valid input, and parameters were checked when set.
        if self.channels == 3 and self.colour_coding == "opponent":
            fields = colour_opponent(fields, self.luminance_weight, validate=False)
        intensity = on_off_contrast(fields, self.contrast_gain, validate=False) if self.contrast else fields
        now = self.get_clock().now().nanoseconds * 1e-9
        dt = self.stamps.step(header.stamp, now if now > 0 else None)
        rates, self.state = sense(intensity, dt, self.state, self.params, validate=False)
        self._rates = rates
        self._intensity = intensity
        self._last_header = header
        self.rates_pub.publish(rates_to_msg(header, self.population, self.shape, rates, self.params.max_rate))


def main(args: list[str] | None = None) -> int:
    """Run the sensor node until shut down."""
    return spin_node(SensorNode, args)


NODE = SensorNode

if __name__ == "__main__":
    sys.exit(main())
