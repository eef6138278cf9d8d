"""Run-time parameter updates over the real parameter services, from another process's node.

Invalid updates (read-only parameters, values outside the declared range, NaN / inf, wrong types,
undeclaring, unknown names, an atomic batch with one bad value) are refused with a reason and leave every
value as it was. Valid updates of writable parameters take effect in the running loop.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time

import pytest
from harness import Probe, start_graph
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.msg import ParameterType, ParameterValue
from rcl_interfaces.srv import DescribeParameters, GetParameters, ListParameters, SetParameters, SetParametersAtomically

from hebbian_ros.msg import LearningMode

LOOP = ("sensor", "layer1", "layer2", "memory", "neuromodulator")
VALUE_FIELD = {
    ParameterType.PARAMETER_BOOL: "bool_value",
    ParameterType.PARAMETER_INTEGER: "integer_value",
    ParameterType.PARAMETER_DOUBLE: "double_value",
    ParameterType.PARAMETER_STRING: "string_value",
    ParameterType.PARAMETER_STRING_ARRAY: "string_array_value",
    ParameterType.PARAMETER_DOUBLE_ARRAY: "double_array_value",
    ParameterType.PARAMETER_INTEGER_ARRAY: "integer_array_value",
    ParameterType.PARAMETER_BOOL_ARRAY: "bool_array_value",
    ParameterType.PARAMETER_BYTE_ARRAY: "byte_array_value",
}


def make_value(kind, value=None):
    result = ParameterValue(type=kind)
    if kind != ParameterType.PARAMETER_NOT_SET:
        setattr(result, VALUE_FIELD[kind], value)
    return result


def plain(value: ParameterValue):
    """A comparable Python value (NaN-safe) of a ParameterValue."""
    if value.type == ParameterType.PARAMETER_NOT_SET:
        return ("not set",)
    raw = getattr(value, VALUE_FIELD[value.type])
    raw = list(raw) if not isinstance(raw, (bool, int, float, str)) else raw
    return (value.type, repr(raw))


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    """The learning loop as separate processes on a private domain, and a probe node in this process."""
    tmp = tmp_path_factory.mktemp("parameters")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {
            "ROS_DOMAIN_ID": str(random.SystemRandom().randint(1, 200)),
            "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
            "ROS_HOME": str(tmp / "ros_home"),
            "ROS_LOG_DIR": str(tmp / "ros_log"),
            "PYTHONUNBUFFERED": "1",
        }.items():
            patch.setenv(key, value)
        patch.setenv(
            "PYTHONPATH",
            os.pathsep.join(
                filter(
                    None,
                    [
                        str(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
                        os.environ.get("PYTHONPATH", ""),
                    ],
                )
            ),
        )
        supervisor = start_graph(dict(os.environ), tmp)
        probe = Probe()
        try:
            probe.wait_for_graph(timeout=40.0)
            yield probe
        finally:
            probe.close()
            supervisor.stop()
            assert supervisor.events == [], f"a node crashed: {supervisor.events}"


class Services:
    """Blocking calls to one node's parameter services."""

    def __init__(self, probe: Probe, node: str) -> None:
        self.probe = probe
        self.clients = {
            kind: probe.node.create_client(kind, f"/{node}/{name}")
            for kind, name in (
                (ListParameters, "list_parameters"),
                (DescribeParameters, "describe_parameters"),
                (GetParameters, "get_parameters"),
                (SetParameters, "set_parameters"),
                (SetParametersAtomically, "set_parameters_atomically"),
            )
        }
        for client in self.clients.values():
            assert client.wait_for_service(timeout_sec=20.0), f"{node}: {client.srv_name} not available"

    def call(self, kind, **fields):
        done = threading.Event()
        future = self.clients[kind].call_async(kind.Request(**fields))
        future.add_done_callback(lambda _: done.set())
        assert done.wait(15.0), f"{kind.__name__} timed out"
        return future.result()

    def names(self):
        return sorted(self.call(ListParameters).result.names)

    def values(self, names):
        return dict(zip(names, (plain(v) for v in self.call(GetParameters, names=names).values)))

    def set(self, name, value):
        return self.call(SetParameters, parameters=[ParameterMsg(name=name, value=value)]).results[0]


def invalid_updates(descriptor, current: ParameterValue):
    """(what, value, expected reason) for one declared parameter."""
    kind, _name = descriptor.type, descriptor.name
    same_type = {
        ParameterType.PARAMETER_BOOL: lambda: make_value(kind, not current.bool_value),
        ParameterType.PARAMETER_INTEGER: lambda: make_value(kind, current.integer_value + 1),
        ParameterType.PARAMETER_DOUBLE: lambda: make_value(kind, current.double_value * 1.5 + 1.0),
        ParameterType.PARAMETER_STRING: lambda: make_value(kind, "../../etc/passwd"),
        ParameterType.PARAMETER_STRING_ARRAY: lambda: make_value(kind, ["x"]),
    }.get(kind)
    if descriptor.read_only:
        if same_type:
            yield "read-only", same_type(), "read-only"
        return
    wrong = ParameterType.PARAMETER_STRING if kind != ParameterType.PARAMETER_STRING else ParameterType.PARAMETER_DOUBLE
    yield (
        "wrong type",
        make_value(wrong, "x" if wrong == ParameterType.PARAMETER_STRING else 1.0),
        "Wrong parameter type",
    )
    yield "undeclare", make_value(ParameterType.PARAMETER_NOT_SET), "cannot be undeclared"
    for bound in descriptor.integer_range:
        span = max(1, bound.to_value - bound.from_value)
        yield "above range", make_value(kind, bound.to_value + span), "out of range"
        yield "below range", make_value(kind, bound.from_value - span), "out of range"
    for bound in descriptor.floating_point_range:
        span = max(1.0, bound.to_value - bound.from_value)
        for what, number in (
            ("above range", bound.to_value + span),
            ("below range", bound.from_value - span),
            ("NaN", math.nan),
            ("inf", math.inf),
            ("-inf", -math.inf),
        ):
            yield what, make_value(kind, number), "out of range"


def test_invalid_updates_are_refused_with_a_reason_and_not_applied(graph):
    tried, by_kind = 0, {}
    for node in LOOP:
        services = Services(graph, node)
        names = services.names()
        assert "checkpoint_dir" in names or node == "sensor"
        before = services.values(names)
        described = services.call(DescribeParameters, names=names).descriptors
        currents = dict(zip(names, services.call(GetParameters, names=names).values))
        for descriptor in described:
            for what, value, reason in invalid_updates(descriptor, currents[descriptor.name]):
                result = services.set(descriptor.name, value)
                tried += 1
                by_kind[what] = by_kind.get(what, 0) + 1
                assert not result.successful, f"{node}.{descriptor.name}: {what} accepted"
                assert reason in result.reason, f"{node}.{descriptor.name}: {what}: reason {result.reason!r}"
        result = services.set("no_such_parameter", make_value(ParameterType.PARAMETER_DOUBLE, 1.0))
        assert not result.successful and "undeclared" in result.reason
        # An atomic batch with one bad value is refused as a whole.
        writable = [
            d
            for d in described
            if not d.read_only and d.type == ParameterType.PARAMETER_DOUBLE and d.floating_point_range
        ]
        if writable:
            good, bad = writable[0], writable[-1]
            batch = [
                ParameterMsg(name=good.name, value=make_value(good.type, good.floating_point_range[0].from_value)),
                ParameterMsg(name=bad.name, value=make_value(bad.type, math.nan)),
            ]
            outcome = services.call(SetParametersAtomically, parameters=batch).result
            assert not outcome.successful and outcome.reason
            tried += 2
        tried += 1
        assert services.values(names) == before, f"{node}: a refused update changed a value"
    print(f"\n{tried} invalid parameter updates refused with a reason, none applied: {by_kind}")
    assert tried > 100


def mode_causes(probe, since):
    return [m.cause for m in probe.messages("hebbian/learning_mode", since)]


def test_valid_updates_take_effect_in_the_running_loop(graph):
    sensor, memory, neuromodulator = (Services(graph, n) for n in ("sensor", "memory", "neuromodulator"))

    # Sensor: a lower ceiling rate caps what it publishes from now on.
    assert sensor.set("max_rate", make_value(ParameterType.PARAMETER_DOUBLE, 10.0)).successful
    start = graph.present("red_box", 10)
    time.sleep(0.3)
    rates = [max(m.rates) for m in graph.messages("hebbian/sensor/rates", start) if not m.replay]
    assert rates and max(rates) <= 10.0 + 1e-3, max(rates)
    assert sensor.set("max_rate", make_value(ParameterType.PARAMETER_DOUBLE, 100.0)).successful

    # Neuromodulator switched off: novelty no longer starts learning.
    assert neuromodulator.set("enabled", make_value(ParameterType.PARAMETER_BOOL, False)).successful
    graph.present("blank", 20)
    start = graph.present("yellow_bar", 40)
    time.sleep(0.3)
    assert LearningMode.CAUSE_NOVELTY not in mode_causes(graph, start)
    assert neuromodulator.set("enabled", make_value(ParameterType.PARAMETER_BOOL, True)).successful

    # Memory: zero inhibition strength is what familiar samples now send.
    assert memory.set("inhibition_strength", make_value(ParameterType.PARAMETER_DOUBLE, 0.0)).successful
    graph.present("blank", 20)
    graph.present("yellow_bar", 60)  # learned now (the neuromodulator is back on)
    start = graph.present("yellow_bar", 20)
    time.sleep(0.3)
    strengths = [m.strength for m in graph.messages("hebbian/inhibition", start)]
    assert strengths and max(strengths) == 0.0, strengths
