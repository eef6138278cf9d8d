"""Declare node parameters with a type, a range and a description: a whole schema, or one at a time.

The loop's nodes declare theirs from :mod:`hebbian_ros.core.parameters` (:func:`declare_all`), the one
place where each default, range and description is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.node import Node

from hebbian_ros.core.parameters import NODE_NAME, Schema


def declare(
    node: Node,
    name: str,
    default: Any,
    description: str,
    low: float | None = None,
    high: float | None = None,
    read_only: bool = False,
    choices: tuple[str, ...] = (),
) -> Any:
    """Declare ``name`` (typed by ``default``) with an optional inclusive range; return its value.

    rclpy refuses a later ``set_parameters`` outside the range, with the range as the reason.
    """
    descriptor = ParameterDescriptor(description=description, read_only=read_only)
    if choices:
        descriptor.additional_constraints = f"one of: {', '.join(choices)}"
    if low is not None or high is not None:
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise TypeError(f"{name}: a range needs a numeric default")
        if isinstance(default, int):
            descriptor.integer_range = [IntegerRange(from_value=int(low), to_value=int(high), step=0)]
        else:
            descriptor.floating_point_range = [
                FloatingPointRange(from_value=float(low), to_value=float(high), step=0.0)
            ]
    value = node.declare_parameter(name, default, descriptor).value
    if choices and value not in choices:
        raise ValueError(f"{name}: must be one of {', '.join(choices)}; got {value!r}")
    return value


def declare_all(node: Node, schema: Schema) -> dict[str, Any]:
    """Declare every parameter of ``schema`` on ``node`` (see :func:`declare`); return ``{name: value}``.

    A string default of :data:`~hebbian_ros.core.parameters.NODE_NAME` is the node's name.
    """
    values = {}
    for p in schema.values():
        default = node.get_name() if p.default == NODE_NAME else p.default
        default = list(default) if isinstance(default, tuple) else default
        values[p.name] = declare(node, p.name, default, p.description, p.low, p.high, p.read_only, p.choices)
    return values


def follow_updates(node: Node, prepare: Callable[[dict[str, Any]], Callable[[], None]]) -> None:
    """Apply run-time updates of ``node``'s writable parameters instead of silently ignoring them.

    ``prepare(changes)`` gets ``{name: new value}`` of one ``set_parameters`` call (names it does not
    handle it ignores), validates them together with the current values -- typically by building the
    core's frozen parameter dataclass -- and returns a function that applies them. A ``ValueError``
    from ``prepare`` refuses the whole update with its message as the reason; nothing changes. rclpy
    has already checked types, ranges and read-only by then.
    """
    pending: list[Callable[[], None]] = []

    def check(parameters) -> SetParametersResult:
        pending.clear()  # a batch refused by a later callback must not be applied with the next one
        try:
            apply = prepare({p.name: p.value for p in parameters})
        except ValueError as error:
            return SetParametersResult(successful=False, reason=str(error))
        pending.append(apply)
        return SetParametersResult(successful=True)

    def commit(_parameters) -> None:
        while pending:
            pending.pop(0)()

    node.add_on_set_parameters_callback(check)
    node.add_post_set_parameters_callback(commit)
