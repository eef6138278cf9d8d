"""Hypothesis on every subscription callback of every node, called in-process with arbitrary messages.

The nodes are real rclpy nodes (real parameters, publishers and subscriptions); each example builds
a message of the subscription's own type with generated field values -- arbitrary sizes, NaN / inf,
extreme integers, wrong encodings, absurd stamps, and also well-formed messages so that the learning
code behind the checks runs -- and calls the subscription's callback directly, then every timer of the
node (a bad message must not plant a crash that goes off later). Properties:

* no exception escapes a callback or a timer;
* no NaN / inf reaches learned state (layer weights and rule state, memory patterns, habituation
  state, neuromodulator accumulation).

Subscriptions are found on the node objects, so a callback added later is fuzzed without editing this file.
"""

from __future__ import annotations

import importlib
import math
import os
import pkgutil
import random
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
import rclpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rclpy.context import Context
from rclpy.parameter import Parameter
from rosidl_parser import definition as idl

import hebbian_ros.nodes
from hebbian_ros.core.memory.pattern_memory import PatternMemory
from hebbian_ros.core.neuromodulation.neuromodulator import Neuromodulator
from hebbian_ros.core.plasticity.layer import Layer
from hebbian_ros.core.sensing.habituation import HabituationState
from hebbian_ros.core.sensing.image_decoding import ENCODINGS
from hebbian_ros.graph.spec import MODULES, executable_module

EXAMPLES = int(os.environ.get("HEBBIAN_FUZZ_EXAMPLES", "100"))
# Nodes left out of the fuzzing, with the reason (none: the simulator node hears learning mode for its curious look).
NOT_FUZZED: dict[str, str] = {}

# Extra configurations beyond each node's defaults, so that every rule and option is behind a callback.
CONFIGURATIONS = {
    "sensor_node": [
        {},
        {"modality": "touch", "rows": 4, "cols": 4, "contrast": False},
        {"channels": 1, "colour_coding": "rgb", "selective_inhibition": False},
    ],
    "feature_layer_node": [
        {},
        *(
            {"rule": rule, "n_in": 16, "n_out": 8, "input_norm": norm, "k": 2}
            for rule, norm in (
                ("hebb", "l2"),
                ("oja", "scale"),
                ("bcm", "divisive"),
                ("competitive", "l2"),
                ("stdp", "scale"),
            )
        ),
    ],
    "memory_node": [{}, {"dim": 16, "capacity": 3, "structural": True, "copies": 2, "max_capacity": 5}],
    "simulator_node": [{"curious_orbit": 20.0}],  # it hears learning mode only for its curious look
}
SIZES = [0, 1, 2, 3, 8, 15, 16, 17, 63, 64, 65, 127, 128, 129, 383, 384, 385, 1000]


@dataclass
class Target:
    """One subscription callback of one node object."""

    node_id: str
    node: object
    topic: str
    msg_type: type
    callback: object
    calls: int = 0
    rejected_before: int = field(default=0)


def node_modules():
    names = [m.name for m in pkgutil.iter_modules(hebbian_ros.nodes.__path__)] + list(MODULES)  # + observers
    return [
        n
        for n in sorted(names)
        if n not in NOT_FUZZED and hasattr(importlib.import_module(executable_module(n)), "NODE")
    ]


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    """Every node (each configuration) in one context, on a private DDS domain, and its subscriptions."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROS_DOMAIN_ID", str(random.SystemRandom().randint(1, 200)))
        patch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
        patch.setenv("ROS_LOG_DIR", str(tmp_path_factory.mktemp("ros_log")))
        context = Context()
        rclpy.init(context=context)
        nodes, found, skipped = [], {}, {}
        try:
            for module_name in node_modules():
                node_class = importlib.import_module(executable_module(module_name)).NODE
                for index, overrides in enumerate(CONFIGURATIONS.get(module_name, [{}])):
                    node_id = f"{module_name}[{index}]"
                    try:
                        node = node_class(
                            name=f"fuzz_{module_name}_{index}",
                            context=context,
                            parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()],
                        )
                    except ImportError as error:  # e.g. ros_gz_interfaces on a machine without Gazebo
                        skipped[node_id] = str(error)
                        continue
                    nodes.append(node)
                    for subscription in node.subscriptions:
                        target = Target(
                            node_id, node, subscription.topic_name, subscription.msg_type, subscription.callback
                        )
                        found[f"{node_id} {subscription.topic_name}"] = target
            yield found, skipped
            calls = sum(t.calls for t in found.values())
            print(f"\n{calls} fuzzed messages into {len(found)} subscription callbacks of {len(nodes)} node objects")
        finally:
            for node in nodes:
                node.destroy_node()
            rclpy.try_shutdown(context=context)


# --- messages from their own type description --------------------------------------------------

INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "uint8": (0, 2**8 - 1),
    "octet": (0, 255),
    "char": (0, 255),
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}
NUMPY = {
    "float": np.float32,
    "double": np.float64,
    "int8": np.int8,
    "uint8": np.uint8,
    "octet": np.uint8,
    "int16": np.int16,
    "uint16": np.uint16,
    "int32": np.int32,
    "uint32": np.uint32,
    "int64": np.int64,
    "uint64": np.uint64,
}
STRINGS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "sensor",
            "touch",
            "layer1",
            "layer2",
            "memory",
            "rgb8",
            "mono8",
            "bgra8",
            "32FC1",
            "yuv422",
            "\x00",
            "a" * 300,
        ]
    ),
)


def scalar(typename):
    if typename == "boolean":
        return st.booleans()
    if typename in ("float", "double"):
        width = 32 if typename == "float" else 64
        return st.one_of(
            st.floats(width=width, allow_nan=True, allow_infinity=True),
            st.sampled_from([0.0, 1.0, 0.5, 100.0, -1.0, 1e-30]),
            st.floats(0.0, 100.0, width=width),
        )
    low, high = INT_RANGES[typename]
    return st.one_of(
        st.integers(low, high),
        st.sampled_from(sorted({max(low, min(high, v)) for v in (low, high, 0, 1, 2, 3, 4, 8, 16, 64, 128, 384, -1)})),
    )


@st.composite
def sequence(draw, value_type, maximum=None):
    size = draw(st.one_of(st.sampled_from(SIZES), st.integers(0, 600)))
    if maximum is not None:
        size = min(size, maximum)
    if isinstance(value_type, idl.BasicType) and value_type.typename in NUMPY:
        dtype = NUMPY[value_type.typename]
        kind = draw(st.sampled_from(["plain", "constant", "random", "special"]))
        if dtype in (np.float32, np.float64):
            if kind == "plain":
                return np.random.default_rng(draw(st.integers(0, 2**32 - 1))).uniform(0, 100, size).astype(dtype)
            if kind == "special":
                values = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).uniform(0, 100, size).astype(dtype)
                if size:
                    values[draw(st.integers(0, size - 1))] = draw(
                        st.sampled_from([np.nan, np.inf, -np.inf, -1.0, np.finfo(dtype).max, np.finfo(dtype).tiny])
                    )
                return values
            if kind == "constant":
                return np.full(size, draw(scalar(value_type.typename)), dtype)
            bits = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(
                0, 256, size * np.dtype(dtype).itemsize
            )
            return bits.astype(np.uint8).view(dtype)  # any bit pattern: NaNs, infs, denormals
        info = np.iinfo(dtype)
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        if kind == "constant":
            return np.full(size, draw(scalar(value_type.typename)), dtype)
        return rng.integers(info.min, int(info.max) + 1, size, dtype=dtype)
    return [draw(value(value_type)) for _ in range(min(size, 4))]  # strings, messages: a few


def value(slot):
    if isinstance(slot, idl.BasicType):
        return scalar(slot.typename)
    if isinstance(slot, (idl.UnboundedString, idl.BoundedString, idl.UnboundedWString, idl.BoundedWString)):
        return STRINGS
    if isinstance(slot, idl.NamespacedType):
        return message(message_class(slot))
    if isinstance(slot, idl.Array):
        if isinstance(slot.value_type, idl.BasicType) and slot.value_type.typename in NUMPY:
            return st.lists(scalar(slot.value_type.typename), min_size=slot.size, max_size=slot.size).map(
                lambda v, t=NUMPY[slot.value_type.typename]: np.array(v, t)
            )
        return st.lists(value(slot.value_type), min_size=slot.size, max_size=slot.size)
    if isinstance(slot, idl.BoundedSequence):
        return sequence(slot.value_type, slot.maximum_size)
    if isinstance(slot, idl.UnboundedSequence):
        return sequence(slot.value_type)
    raise NotImplementedError(f"no strategy for {slot}")


def message_class(slot):
    return getattr(importlib.import_module(".".join(slot.namespaces)), slot.name)


@st.composite
def stamp(draw):
    from builtin_interfaces.msg import Time

    now = time.time()
    choice = draw(st.sampled_from(["now", "now", "now", "jitter", "zero", "absurd", "backwards"]))
    seconds = {
        "now": now,
        "jitter": now + draw(st.floats(-5, 5)),
        "zero": 0.0,
        "backwards": now - 3600 * 24,
        "absurd": draw(st.floats(-(2**31), 2**31 - 1)),
    }[choice]
    whole = int(math.floor(seconds))
    nanosec = draw(st.one_of(st.just(int((seconds - whole) * 1e9)), st.integers(0, 2**32 - 1)))
    return Time(sec=max(-(2**31), min(2**31 - 1, whole)), nanosec=nanosec % 2**32)


@st.composite
def message(draw, msg_class, rates_size=None):
    msg = msg_class()
    for name, slot in zip(msg_class.get_fields_and_field_types(), msg_class.SLOT_TYPES):
        if name == "stamp" and msg_class.__name__ == "Header":
            setattr(msg, name, draw(stamp()))
        else:
            setattr(msg, name, draw(value(slot)))
    return draw(consistent(msg, rates_size))


@st.composite
def consistent(draw, msg, rates_size=None):
    """Often repair the fields that must agree, so that the code behind the size checks runs too."""
    if not draw(st.sampled_from([True, True, False])):
        return msg
    kind = type(msg).__name__
    if kind == "Image":
        msg.encoding = draw(st.one_of(st.sampled_from(sorted(ENCODINGS)), STRINGS))
        msg.height, msg.width = draw(st.integers(1, 40)), draw(st.integers(1, 40))
        dtype, channels = ENCODINGS.get(msg.encoding, ("u1", 3, None, 1))[:2]
        msg.step = msg.width * channels * np.dtype(dtype).itemsize + draw(st.sampled_from([0, 0, 1, 3]))
        size = msg.height * msg.step + draw(st.sampled_from([0, 0, 0, -1, 1]))
        msg.data = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(0, 256, max(size, 0), np.uint8)
        msg.is_bigendian = draw(st.sampled_from([0, 0, 1, 255]))
    elif kind == "Touch":
        msg.rows, msg.cols = draw(st.integers(0, 12)), draw(st.integers(0, 12))
        msg.pressure = (
            draw(sequence(idl.BasicType("float")))
            if draw(st.booleans())
            else np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
            .uniform(0, 10, msg.rows * msg.cols)
            .astype(np.float32)
        )
    elif kind == "FiringRates":
        if rates_size and draw(st.booleans()):  # what this subscriber expects, with plausible rates
            msg.rates = (
                np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
                .uniform(0, draw(st.sampled_from([1.0, 100.0, 1e4])), rates_size)
                .astype(np.float32)
            )
            msg.shape = draw(st.sampled_from([[], [rates_size], [1, rates_size]]))
            msg.max_rate = draw(st.sampled_from([100.0, 100.0, 100.0, msg.max_rate]))
        else:
            size = len(msg.rates)
            msg.shape = draw(st.sampled_from([[], [size], [1, size], [size, 1], [2, 2, size // 4 or 1], [size + 1]]))
            if draw(st.booleans()):
                msg.max_rate = 100.0
    elif kind == "LearningMode":
        msg.level = draw(st.one_of(st.floats(0, 1, width=32), st.just(msg.level)))
        msg.active = draw(st.sampled_from([True, True, msg.active]))
    return msg


@st.composite
def well_formed(draw, msg_class, rates_size):
    """A learning-mode "on" or a plausible sample of ``rates_size`` rates, stamped now."""
    msg = msg_class()
    msg.header.stamp = draw(stamp().filter(lambda t: abs(t.sec - time.time()) < 60))
    if msg_class.__name__ == "LearningMode":
        msg.active, msg.level = True, draw(st.floats(0.0625, 1.0, width=32))
        msg.cause = msg.CAUSE_MANUAL
    else:
        msg.population = "sensor"
        msg.shape = [rates_size]
        msg.rates = (
            np.random.default_rng(draw(st.integers(0, 2**32 - 1))).uniform(0, 100, rates_size).astype(np.float32)
        )
        msg.max_rate = 100.0
    return msg


# --- invariants --------------------------------------------------------------------------------


def learned_state(node):
    """Every learned or adapting array and number a node holds (found by type, so new nodes are covered)."""
    for name, item in vars(node).items():
        if isinstance(item, Layer):
            yield from ((f"{name}.{k}", v) for k, v in item.state_dict().items() if isinstance(v, np.ndarray))
        elif isinstance(item, PatternMemory):
            yield from ((f"{name}.{k}", v) for k, v in item.state_dict().items())
        elif isinstance(item, HabituationState):
            yield from ((f"{name}.{k}", v) for k, v in zip(item._fields, item))
        elif isinstance(item, Neuromodulator):
            yield f"{name}.accumulation", np.array(item.accumulation)


def check_finite(node):
    for name, array in learned_state(node):
        array = np.asarray(array)
        if array.dtype.kind == "f":
            assert np.isfinite(array).all(), f"{type(node).__name__}: NaN/inf reached {name}"


def run_timers(node):
    for timer in node.timers:
        if timer.callback is not None:
            timer.callback()


def test_every_node_with_subscriptions_is_fuzzed(targets):
    found, skipped = targets
    nodes = {key.split(" ")[0].split("[")[0] for key in found}
    expected = set(node_modules()) - {n.split("[")[0] for n in skipped}
    assert nodes == expected, (nodes, expected, skipped)
    print(
        f"\nfuzzed callbacks: {len(found)} on {len(nodes)} node kinds; skipped: {skipped or 'none'}; "
        f"not fuzzed: {NOT_FUZZED}"
    )


def pytest_generate_tests(metafunc):
    if "target_key" in metafunc.fixturenames:
        keys = []
        for module_name in node_modules():
            keys += [f"{module_name}[{i}]" for i in range(len(CONFIGURATIONS.get(module_name, [{}])))]
        metafunc.parametrize("target_key", keys)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(data=st.data())
def test_no_exception_escapes_a_callback_and_nothing_non_finite_is_learned(targets, target_key, data):
    found, skipped = targets
    if target_key in skipped:
        pytest.skip(skipped[target_key])
    mine = [t for key, t in sorted(found.items()) if t.node_id == target_key]
    if not mine:
        pytest.skip(f"{target_key} has no subscriptions")
    node = mine[0].node
    expects = (
        node.layer.n_in
        if isinstance(getattr(node, "layer", None), Layer)
        else (node.memory.params.dim if isinstance(getattr(node, "memory", None), PatternMemory) else None)
    )
    sends = []
    if data.draw(st.integers(0, 3), label="a well-formed learning sample first") == 0:
        # by chance alone, an accepted learning-mode "on" and a well-formed sample of the right size
        # met too rarely (CI once saw none in 6 layers): some examples start with such a pair
        sends = [
            (t, data.draw(well_formed(t.msg_type, expects), label=f"well-formed {t.topic}"))
            for t in sorted(mine, key=lambda t: t.msg_type.__name__ != "LearningMode")
            if t.msg_type.__name__ in ("LearningMode", "FiringRates") and expects
        ]
    for _ in range(data.draw(st.integers(1, 4), label="messages")):
        target = data.draw(st.sampled_from(mine), label="subscription")
        sends.append((target, data.draw(message(target.msg_type, expects), label=target.topic)))
    for target, msg in sends:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            target.callback(msg)
            target.calls += 1
            run_timers(node)
        check_finite(node)


def test_the_fuzzing_reached_the_learning_code(targets):
    """Not only rejections: well-formed messages got through, layers learned, memory stored patterns."""
    found, _ = targets
    nodes = {id(t.node): t.node for t in found.values()}.values()
    layers = [n.layer for n in nodes if isinstance(getattr(n, "layer", None), Layer)]
    memories = [n.memory for n in nodes if isinstance(getattr(n, "memory", None), PatternMemory)]
    rejected = sum(n.rejections.total for n in nodes if hasattr(n, "rejections"))
    assert any(layer.n_updates > 0 for layer in layers), "no layer ever learned from a fuzzed message"
    assert any(memory.size > 0 for memory in memories), "memory never stored a fuzzed pattern"
    assert rejected > 0
    print(
        f"\nlayer updates: {[layer.n_updates for layer in layers]}, memory sizes: "
        f"{[memory.size for memory in memories]}, messages rejected with a logged reason: {rejected}"
    )
