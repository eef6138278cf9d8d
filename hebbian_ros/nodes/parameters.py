"""Declare node parameters with a type, a range and a description in one call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.node import Node


def declare(
    node: Node,
    name: str,
    default: Any,
    description: str,
    low: float | None = None,
    high: float | None = None,
    read_only: bool = False,
) -> Any:
    """Declare ``name`` (typed by ``default``) with an optional inclusive range; return its value.

    rclpy refuses a later ``set_parameters`` outside the range, with the range as the reason.
    """
    descriptor = ParameterDescriptor(description=description, read_only=read_only)
    if low is not None or high is not None:
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise TypeError(f"{name}: a range needs a numeric default")
        if isinstance(default, int):
            descriptor.integer_range = [IntegerRange(from_value=int(low), to_value=int(high), step=0)]
        else:
            descriptor.floating_point_range = [
                FloatingPointRange(from_value=float(low), to_value=float(high), step=0.0)
            ]
    return node.declare_parameter(name, default, descriptor).value


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
