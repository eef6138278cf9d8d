"""The nodes and the ROS-free Loop run the same code with the same parameters (issue 13, part A).

Real rclpy nodes in this process: their callbacks get real messages, their publications are received by
a real subscription. The sensor node and a Retina fed the same frames give bit-identical rates; the
feature layer, memory and neuromodulator nodes build the objects Loop builds from the same files.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import rclpy
from builtin_interfaces.msg import Time
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from std_msgs.msg import Header

from hebbian_ros.core.loop import Loop
from hebbian_ros.core.parameters import NODE_NAME, read_overrides
from hebbian_ros.core.sensing.habituation import HabituationParams, initial_state, sense
from hebbian_ros.core.sensing.image_decoding import decode_image
from hebbian_ros.core.sensing.receptive_fields import colour_opponent, on_off_contrast, pool_grid
from hebbian_ros.core.sensing.retina import WEBER_FLOOR, Retina, RetinaParams
from hebbian_ros.experiments.stimuli import scene
from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Touch
from hebbian_ros.nodes.conversions import StampClock, image_to_msg
from hebbian_ros.nodes.feature_layer_node import FeatureLayerNode
from hebbian_ros.nodes.memory_node import MemoryNode
from hebbian_ros.nodes.neuromodulator_node import NeuromodulatorNode
from hebbian_ros.nodes.sensor_node import SensorNode
from hebbian_ros.resources import config_dir
from hebbian_ros.ros import qos


def overrides(values: dict) -> list[Parameter]:
    return [Parameter(k, value=v) for k, v in values.items()]


def configured(file: str, node: str, **extra) -> dict:
    return {**read_overrides(config_dir() / file, node), **extra}


class Receiver:
    """A real subscription to the sensor's rates in the same context."""

    def __init__(self, context: Context, topic: str) -> None:
        self.node = rclpy.create_node("receiver", context=context)
        self.executor = SingleThreadedExecutor(context=context)
        self.executor.add_node(self.node)
        self.got: list[FiringRates] = []
        self.node.create_subscription(FiringRates, topic, self.got.append, qos.STREAM)

    def wait_matched(self, publisher) -> None:
        deadline = time.monotonic() + 10.0
        while publisher.get_subscription_count() == 0 and time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=0.05)
        assert publisher.get_subscription_count() == 1

    def next(self) -> FiringRates:
        count, deadline = len(self.got), time.monotonic() + 10.0
        while len(self.got) == count and time.monotonic() < deadline:
            self.executor.spin_once(timeout_sec=0.05)
        assert len(self.got) == count + 1, "no rates received"
        return self.got[-1]

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


def stamp(seconds: float) -> Time:
    return Time(sec=int(seconds), nanosec=int(round((seconds % 1) * 1e9)) % 1_000_000_000)


def frames(rng):
    """(encoding, pixels, the same image as RGB or mono): objects, a blank, shifted and noisy views."""
    images = [scene(name) for name in ("blank", "red_box", "red_box", "green_disc", "blue_bar", "yellow_box")]
    images += [scene("red_box", offset=(5, -7)), rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)]
    images += [scene("green_disc", size=48), scene("blue_bar", size=60)]  # grids that do not divide evenly
    encoded = []
    for i, image in enumerate(images):
        if i % 3 == 1:
            encoded.append(("bgr8", np.ascontiguousarray(image[:, :, ::-1]), image))
        elif i % 3 == 2:
            mono = image.mean(axis=2).astype(np.uint8)
            encoded.append(("mono8", mono, mono))
        else:
            encoded.append(("rgb8", image, image))
    return encoded


def test_sensor_node_and_retina_give_the_same_rates_for_the_same_frames(context):
    parameters = configured("sensor.yaml", "sensor", tau_adapt=0.2)  # faster adaptation: more happens per frame
    node = SensorNode(context=context, parameter_overrides=overrides(parameters))
    receiver = Receiver(context, node.rates_topic)
    retina, clock = Retina(RetinaParams.from_parameters(parameters)), StampClock()
    reference = {"state": initial_state((8, 8, 24)), "rates": None}  # 3 axes x ON/OFF x 4 levels
    habituation = HabituationParams(tau_adapt=0.2)
    try:
        receiver.wait_matched(node.rates_pub)
        start = time.time()
        for i, (encoding, pixels, plain) in enumerate(frames(np.random.default_rng(3))):
            header = Header(stamp=stamp(start + i / 30), frame_id="camera")
            msg = image_to_msg(pixels, header, encoding)
            node.on_image(msg)
            published = receiver.next()
            dt = clock.step(header.stamp, None)
            expected = retina.see(
                decode_image(msg.height, msg.width, msg.encoding, msg.step, msg.data), dt, validate=False
            )
            rates = np.asarray(published.rates, np.float32).reshape(node.shape)
            np.testing.assert_array_equal(rates, expected)
            assert published.max_rate == retina.max_rate and tuple(published.shape) == retina.shape

            # the colour fields' chain written out from the primitives (what the sensor did before the Retina
            # existed), up to the first inhibition (its selective gain depends on every unit the retina has)
            image = plain.astype(np.float32) / 255
            fields = pool_grid(image, 8, 8, 3)
            luminance = max(float(fields.mean()), WEBER_FLOOR)  # Weber contrast: against the view's mean
            drive = on_off_contrast(colour_opponent(fields, 0.5), 2.0, reference=luminance, levels=4)
            reference["rates"], reference["state"] = sense(drive, dt, reference["state"], habituation)
            if i <= 3:
                np.testing.assert_allclose(rates[:, :, :24], reference["rates"], rtol=1e-5, atol=1e-4)

            if i == 3:  # memory recognised it: selective inhibition (no per-unit gain in the message)
                node.on_inhibition(Inhibition(target_population="sensor", strength=0.5))
                retina.inhibit(0.5)
                np.testing.assert_array_equal(node.retina.state.gain, retina.state.gain)
                assert node.retina.state.gain.min() < 1.0
            if i == 5:  # a-ha: both keep the stimulus; each replay re-presents it as first seen
                node.on_learning_mode(LearningMode(active=True, level=1.0, cause=LearningMode.CAUSE_AHA))
                retina.keep_for_replay()
        node.on_learning_mode(LearningMode(active=True, level=0.5, cause=LearningMode.CAUSE_REPLAY))
        replayed = receiver.next()
        assert replayed.replay
        np.testing.assert_array_equal(np.asarray(replayed.rates, np.float32).reshape(node.shape), retina.replay())
    finally:
        receiver.close()
        node.destroy_node()


def test_touch_sensor_node_and_retina_give_the_same_rates(context):
    parameters = configured("touch_sensor.yaml", "touch_sensor")
    node = SensorNode("touch_sensor", context=context, parameter_overrides=overrides(parameters))
    receiver = Receiver(context, node.rates_topic)
    retina, clock = Retina(RetinaParams.from_parameters(parameters)), StampClock()
    rng = np.random.default_rng(5)
    try:
        receiver.wait_matched(node.rates_pub)
        start = time.time()
        for i in range(6):
            pressure = (rng.uniform(0, 8, (8, 8)) * (rng.uniform(size=(8, 8)) < 0.4)).astype(np.float32)
            header = Header(stamp=stamp(start + i / 50))
            node.on_touch(Touch(header=header, rows=8, cols=8, pressure=pressure.ravel().tolist()))
            expected = retina.touch(pressure, clock.step(header.stamp, None))
            np.testing.assert_array_equal(np.asarray(receiver.next().rates, np.float32).reshape(node.shape), expected)
    finally:
        receiver.close()
        node.destroy_node()


def test_loop_sees_camera_frames_as_the_sensor_node_does(context):
    loop = Loop.from_config()
    node = SensorNode(context=context, parameter_overrides=overrides(configured("sensor.yaml", "sensor")))
    assert node.retina.params == loop.retina.params
    retina = Retina(node.retina.params)
    for name in ("red_box", "blank", "blue_bar"):
        pixels = scene(name)
        msg = image_to_msg(pixels, Header())
        decoded = decode_image(msg.height, msg.width, msg.encoding, msg.step, msg.data)
        np.testing.assert_array_equal(loop.sense(pixels, 1 / 30), retina.see(decoded, 1 / 30, validate=False))


LAYER_CASES = {
    "layer1 (config)": configured("layers.yaml", "layer1"),
    "layer2 (config)": configured("layers.yaml", "layer2"),
    "competitive": {"rule": "competitive", "n_in": 24, "n_out": 6, "k": 2, "learning_rate": 0.05, "seed": 3},
    "soft competitive": {"rule": "competitive", "n_in": 24, "n_out": 6, "soft": True, "temperature": 0.3},
    "bcm": {"rule": "bcm", "n_in": 24, "n_out": 6, "tau_theta": 7.0, "learning_rate": 0.01},
    "stdp": {"rule": "stdp", "n_in": 24, "n_out": 6, "learning_rate": 0.01, "max_rate": 50.0},
    "hebb, clip bounds": {"rule": "hebb", "n_in": 24, "n_out": 6, "bounds": "clip", "input_norm": "scale"},
}


@pytest.mark.parametrize("case", LAYER_CASES)
def test_loop_builds_the_layer_the_feature_layer_node_builds(context, case):
    parameters = {**LAYER_CASES[case], "weights_image_period": 0.0}
    node = FeatureLayerNode("layer", context=context, parameter_overrides=overrides(parameters))
    try:
        parameters.pop("weights_image_period")
        layer = Loop({}, [parameters], {}, {}).layers[0]
        for attribute in ("rule", "params", "bounds", "activation", "n_in", "n_out", "max_rate_hz"):
            assert getattr(layer, attribute) == getattr(node.layer, attribute), attribute
        assert layer.state_dict().keys() == node.layer.state_dict().keys()
        np.testing.assert_array_equal(layer.weights, node.layer.weights)
        # the same samples, learning at level 1: the same outputs and weights
        node.on_learning_mode(LearningMode(active=True, level=1.0, cause=LearningMode.CAUSE_NOVELTY))
        rng = np.random.default_rng(1)
        for _ in range(5):
            rates = rng.uniform(0, 120, layer.n_in).astype(np.float32)
            node.on_rates(FiringRates(population="below", shape=[layer.n_in], rates=rates, max_rate=120.0))
            layer.step_rates(rates, 120.0, 1.0)
        np.testing.assert_array_equal(layer.weights, node.layer.weights)
    finally:
        node.destroy_node()


def test_loop_builds_the_memory_and_neuromodulator_of_the_nodes(context):
    loop = Loop.from_config()
    memory = MemoryNode(context=context, parameter_overrides=overrides(configured("memory.yaml", "memory")))
    modulator = NeuromodulatorNode(
        context=context, parameter_overrides=overrides(configured("neuromodulator.yaml", "neuromodulator"))
    )
    try:
        assert memory.memory.params == loop.memory.params
        assert memory.memory.params.structural is not None and memory.memory.params.neurogenesis is not None
        assert memory.inhibition_strength == loop.inhibition_strength
        assert modulator.core.params == loop.modulator.params
        assert modulator.core.params.growth_units == 8
    finally:
        memory.destroy_node()
        modulator.destroy_node()


def test_memory_applies_every_writable_parameter_it_holds_at_run_time(context):
    memory = MemoryNode(context=context, parameter_overrides=overrides(configured("memory.yaml", "memory")))
    try:
        changes = {
            "local_vigilance": 0.5,
            "threshold_quantile": 0.9,
            "adaptive_after": 20,
            "recognition_hold": 2.0,
            "onset_similarity": 0.8,
        }
        results = memory.set_parameters([Parameter(k, value=v) for k, v in changes.items()])
        assert all(r.successful for r in results), [r.reason for r in results]
        for name, value in changes.items():
            assert getattr(memory.memory.params, name) == value, name
        refused = memory.set_parameters([Parameter("local_vigilance", value=1.5)])  # out of range
        assert not refused[0].successful and memory.memory.params.local_vigilance == 0.5
    finally:
        memory.destroy_node()


@pytest.mark.parametrize("node_class", [SensorNode, FeatureLayerNode, MemoryNode, NeuromodulatorNode])
def test_a_node_declares_its_schema_with_its_defaults(context, node_class):
    import importlib

    schema = importlib.import_module(node_class.__module__).PARAMETERS
    node = node_class(context=context)
    try:
        declared = set(node._parameters) - {"use_sim_time", "start_type_description_service"}
        assert set(schema) <= declared, set(schema) - declared
        for name, p in schema.items():
            value = node.get_parameter(name).value
            expected = node.get_name() if p.default == NODE_NAME else p.default
            assert (tuple(value) if isinstance(value, list) else value) == expected, name
            assert node.describe_parameter(name).description == p.description, name
            assert node.describe_parameter(name).read_only == p.read_only, name
    finally:
        node.destroy_node()
