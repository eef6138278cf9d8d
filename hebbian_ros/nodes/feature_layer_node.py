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

from hebbian_ros.core.parameters import FEATURE_LAYER
from hebbian_ros.core.plasticity.layer import layer_from_parameters
from hebbian_ros.core.visualization import receptive_field_mosaic, weight_norms
from hebbian_ros.msg import FiringRates, LearningMode
from hebbian_ros.nodes.checkpointing import CHECKPOINTING, Checkpointing
from hebbian_ros.nodes.conversions import image_to_msg, plasticity_level, rates_from_msg, rates_to_msg
from hebbian_ros.nodes.diagnostics import DIAGNOSTICS, LEARNING_MODE_PUBLISHERS, Diagnostics, checkpoint_age
from hebbian_ros.nodes.parameters import declare_all
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.ros import qos
from hebbian_ros.ros.spin import spin_node


class FeatureLayerNode(Node):
    """One feature layer; all computation is in :class:`hebbian_ros.core.plasticity.layer.Layer`."""

    def __init__(self, name: str = "layer", **kwargs) -> None:
        super().__init__(name, **kwargs)
        parameters = declare_all(self, FEATURE_LAYER)
        self.population = parameters["population"]
        self.input_topic = parameters["input_topic"]
        self.layer = layer_from_parameters(parameters)
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
        self.diagnostics = Diagnostics(
            self,
            self.rejections,
            (self.input_topic,),
            lambda: {
                "learning level": self.level,
                LEARNING_MODE_PUBLISHERS: self.mode_sub.get_publisher_count(),
                "checkpoint age [s]": checkpoint_age(self.checkpointing.path),
            },
        )
        self.create_subscription(FiringRates, self.input_topic, self.diagnostics.counted(self.on_rates), qos.STREAM)
        self.mode_sub = self.create_subscription(
            LearningMode, "hebbian/learning_mode", self.on_learning_mode, qos.STATE
        )
        self.weights_period = parameters["weights_image_period"]
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
            y = self.layer.step_rates(rates_from_msg(msg, self.layer.n_in), msg.max_rate, self.level)
        except ValueError as error:
            self.rejections.reject(self.input_topic, error)
            return
        self._last_header = msg.header
        self._input_shape = tuple(int(s) for s in msg.shape) if len(msg.shape) > 1 else None
        self.rates_pub.publish(
            rates_to_msg(
                msg.header,
                self.population,
                (self.layer.n_rates,),
                y,
                self.layer.max_rate_hz,
                msg.replay,
                msg.gaze_view,
                msg.second_look,
            )
        )


def main(args: list[str] | None = None) -> int:
    """Run one feature layer node until shut down."""
    return spin_node(FeatureLayerNode, args)


NODE = FeatureLayerNode
PARAMETERS = FEATURE_LAYER + CHECKPOINTING + DIAGNOSTICS

if __name__ == "__main__":
    sys.exit(main())
