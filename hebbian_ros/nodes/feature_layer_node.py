"""Feature layer node: rates from below -> rates of this layer, learning with a local Hebbian rule.

Subscribes ``input_topic`` (default ``hebbian/sensor/rates``) and ``hebbian/learning_mode``;
publishes ``hebbian/<population>/rates``. Plasticity is gated by the broadcast learning level:
with learning mode off the weights never change. Any number of layers: one node per layer, named
and wired by parameters (see config/layers.yaml).

What the layer has learned is published every ``weights_image_period`` seconds (node clock; 0
disables; each topic only while it has a subscriber), stamped with the last input sample, reliable:
``hebbian/<population>/receptive_fields``
(sensor_msgs/Image rgb8, one tile per unit over the input grid, see
:func:`hebbian_ros.core.visualization.receptive_field_mosaic`) and
``hebbian/<population>/weight_norms`` (hebbian_ros/FiringRates with population
``<population>/weight_norms``: the L2 norm of each unit's weight row, dimensionless, **not Hz**;
``max_rate`` is the largest norm, so displays show norms relative to it).
"""

from __future__ import annotations

import sys
import time

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import Image

from hebbian_ros.core.plasticity.layer import RULES, Layer
from hebbian_ros.core.visualization import receptive_field_mosaic, weight_norms
from hebbian_ros.msg import FiringRates, LearningMode
from hebbian_ros.nodes import qos
from hebbian_ros.nodes.checkpointing import Checkpointing
from hebbian_ros.nodes.conversions import image_to_msg, plasticity_level, rates_from_msg, rates_to_msg
from hebbian_ros.nodes.parameters import declare
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.nodes.spin import spin_node


def rule_params(rule: str, learning_rate: float, k: int, soft: bool, temperature: float, tau_theta: float) -> dict:
    """The rule's parameter fields from the node's flat parameters."""
    if rule == "stdp":
        return {"a_plus": learning_rate, "a_minus": 1.05 * learning_rate}
    if rule == "competitive":
        return {"eta": learning_rate, "k": k, "soft": soft, "temperature": temperature}
    if rule == "bcm":
        return {"eta": learning_rate, "tau_theta": tau_theta}
    return {"eta": learning_rate}


class FeatureLayerNode(Node):
    """One feature layer; all computation is in :class:`hebbian_ros.core.plasticity.layer.Layer`."""

    def __init__(self, name: str = "layer", **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.population = declare(
            self,
            "population",
            self.get_name(),
            "Name of the published population (default: the node name).",
            read_only=True,
        )
        self.input_topic = declare(
            self, "input_topic", "hebbian/sensor/rates", "Rates of the layer below.", read_only=True
        )
        rule = declare(self, "rule", "sanger", f"Learning rule: {', '.join(RULES)}.", read_only=True)
        n_in = declare(self, "n_in", 384, "Units in the layer below.", 1, 10_000_000, read_only=True)
        n_out = declare(self, "n_out", 128, "Units in this layer.", 1, 10_000_000, read_only=True)
        params = rule_params(
            rule,
            declare(
                self,
                "learning_rate",
                0.002,
                "Learning rate at level 1 (eta; a_plus for stdp).",
                0.0,
                1.0,
                read_only=True,
            ),
            declare(self, "k", 4, "Winners of the competitive rule (k-WTA).", 1, 1_000_000, read_only=True),
            declare(self, "soft", False, "Soft (softmax) instead of hard k-WTA.", read_only=True),
            declare(self, "temperature", 0.1, "Soft-WTA temperature.", 1e-6, 1e3, read_only=True),
            declare(
                self, "tau_theta", 20.0, "BCM sliding-threshold time constant [updates].", 1.0, 1e9, read_only=True
            ),
        )
        self.layer = Layer(
            n_in,
            n_out,
            rule,
            params,
            seed=declare(self, "seed", 0, "Seed of the initial weights.", 0, 2**31 - 1, read_only=True),
            bounds=declare(
                self, "bounds", "default", "Weight bounds: default, none, clip, l2 or l1.", read_only=True
            ).replace("default", "")
            or None,
            activation="relu",
            input_norm=declare(self, "input_norm", "l2", "Input normalisation: l2, scale or divisive.", read_only=True),
            semi_saturation_hz=declare(
                self,
                "semi_saturation",
                0.0,
                "Semi-saturation of divisive normalisation [Hz].",
                0.0,
                1e6,
                read_only=True,
            ),
            max_rate_hz=declare(self, "max_rate", 100.0, "Highest rate in and out [Hz].", 1e-3, 1e4, read_only=True),
        )
        self.level = 0.0
        self.rejections = Rejections(self)
        self.checkpointing = Checkpointing(
            self, lambda: {k: np.asarray(v) for k, v in self.layer.state_dict().items()}, self.layer.load_state_dict
        )
        started = time.monotonic()
        self.layer.warm_up()  # compiles the numba kernels (when installed) before the first sample arrives
        if time.monotonic() - started > 0.5:
            self.get_logger().info(f"learning kernels compiled in {time.monotonic() - started:.1f} s")
        self.rates_pub = self.create_publisher(FiringRates, f"hebbian/{self.population}/rates", qos.STREAM)
        self.create_subscription(FiringRates, self.input_topic, self.on_rates, qos.STREAM)
        self.create_subscription(LearningMode, "hebbian/learning_mode", self.on_learning_mode, qos.STATE)
        self.weights_period = declare(
            self,
            "weights_image_period",
            1.0,
            "Period of the receptive-field image and the weight-row norms [s, node clock]; 0 disables both.",
            0.0,
            3600.0,
            read_only=True,
        )
        self._last_header = None
        self._input_shape: tuple[int, ...] | None = None
        if self.weights_period > 0:
            self.fields_pub = self.create_publisher(Image, f"hebbian/{self.population}/receptive_fields", qos.EVENT)
            self.norms_pub = self.create_publisher(FiringRates, f"hebbian/{self.population}/weight_norms", qos.EVENT)
            self.create_timer(self.weights_period, self.publish_weights)

    def publish_weights(self) -> None:
        """Publish the receptive-field mosaic and the weight-row norms (once input has arrived).

        Each is built only while its topic has a subscriber: the mosaic of a 384x128 layer takes ≈ 18 ms,
        and this timer runs in the thread that handles the rates, so an unwatched mosaic only delayed
        frames (it was the 99th-percentile latency of the closed loop, bench/RESULTS.md section 3).
        """
        if self._last_header is None:
            return
        weights = self.layer.weights
        if self.fields_pub.get_subscription_count():
            try:
                mosaic = receptive_field_mosaic(weights, self._input_shape)
            except ValueError as error:  # e.g. weights that diverged to inf under a badly tuned rule
                self.rejections.reject(f"hebbian/{self.population}/receptive_fields", error)
                return
            self.fields_pub.publish(image_to_msg(mosaic, self._last_header))
        if self.norms_pub.get_subscription_count():
            norms = weight_norms(weights)
            self.norms_pub.publish(
                rates_to_msg(
                    self._last_header,
                    f"{self.population}/weight_norms",
                    (self.layer.n_out,),
                    norms,
                    float(norms.max()) or 1.0,
                )
            )

    def on_shutdown(self) -> None:
        """Keep what was learned."""
        self.checkpointing.on_shutdown()

    def on_learning_mode(self, msg: LearningMode) -> None:
        """Follow the broadcast plasticity level."""
        try:
            self.level = plasticity_level(msg)
        except ValueError as error:
            self.rejections.reject("hebbian/learning_mode", error)
            return

    def on_rates(self, msg: FiringRates) -> None:
        """Transform (and, in learning mode, learn from) one sample; publish this layer's rates."""
        try:
            x = rates_from_msg(msg, self.layer.n_in)
            x = np.minimum(x / msg.max_rate, 1.0) * np.float32(self.layer.max_rate_hz)
            y = self.layer.step(x, self.level)
        except ValueError as error:
            self.rejections.reject(self.input_topic, error)
            return
        self._last_header = msg.header
        self._input_shape = tuple(int(s) for s in msg.shape) if len(msg.shape) > 1 else None
        self.rates_pub.publish(
            rates_to_msg(msg.header, self.population, (self.layer.n_out,), y, self.layer.max_rate_hz, msg.replay)
        )


def main(args: list[str] | None = None) -> int:
    """Run one feature layer node until shut down."""
    return spin_node(FeatureLayerNode, args)


NODE = FeatureLayerNode

if __name__ == "__main__":
    sys.exit(main())
