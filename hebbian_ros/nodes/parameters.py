"""Declare node parameters with a type, a range and a description in one call."""
from __future__ import annotations

from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.node import Node


def declare(node: Node, name: str, default: Any, description: str,
            low: float | None = None, high: float | None = None, read_only: bool = False) -> Any:
    """Declare ``name`` (typed by ``default``) with an optional inclusive range; return its value.

    rclpy refuses a later ``set_parameters`` outside the range, with the range as the reason.
    """
    descriptor = ParameterDescriptor(description=description, read_only=read_only)
    if low is not None or high is not None:
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise TypeError(f'{name}: a range needs a numeric default')
        if isinstance(default, int):
            descriptor.integer_range = [IntegerRange(from_value=int(low), to_value=int(high), step=0)]
        else:
            descriptor.floating_point_range = [
                FloatingPointRange(from_value=float(low), to_value=float(high), step=0.0)]
    return node.declare_parameter(name, default, descriptor).value
