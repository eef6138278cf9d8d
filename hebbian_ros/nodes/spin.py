"""The one way every hebbian_ros node process starts, spins and shuts down.

Executor: ``rclpy.experimental.EventsExecutor`` where rclpy has it (kilted and later), else the
default ``SingleThreadedExecutor``. The events executor dispatches from C++ instead of rebuilding a
wait set in Python on every wake-up: measured in bench/loop_latency.py (bench/RESULTS.md section 3), it
halves the CPU an rclpy process spends per received message. ``HEBBIAN_EXECUTOR=default`` (or
``events``) picks one explicitly, e.g. to compare them.

It is driven by ``spin_once`` in a loop, never by ``spin()``: the kilted wheels' ``EventsExecutor.spin()``
busy-loops without dispatching anything (measured: no timer or subscription callback ever runs, 80 % of
a core), while ``spin_once`` dispatches normally and returns on shutdown (``ExternalShutdownException``,
as the default executor raises). Exceptions of callbacks propagate out of both, like ``rclpy.spin``.
"""
from __future__ import annotations

import os
from typing import Callable

import rclpy
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node

try:   # rclpy >= 9 (kilted)
    from rclpy.experimental import EventsExecutor
except ImportError:   # older rclpy: only the Python executors
    EventsExecutor = None

#: environment variable choosing the executor: "events" (default where available) or "default"
EXECUTOR_VARIABLE = 'HEBBIAN_EXECUTOR'
_SPIN_ONCE_TIMEOUT = 1.0   # [s] only bounds how long a spin_once may wait; shutdown wakes it at once


def executor_kind() -> str:
    """``'events'`` or ``'default'``: what :func:`make_executor` builds here.

    :raises ValueError: for an unknown ``HEBBIAN_EXECUTOR`` value.
    """
    wanted = os.environ.get(EXECUTOR_VARIABLE, '').strip().lower() or 'events'
    if wanted not in ('events', 'default'):
        raise ValueError(f'{EXECUTOR_VARIABLE}: must be "events" or "default", got {wanted!r}')
    return 'events' if wanted == 'events' and EventsExecutor is not None else 'default'


def make_executor(context=None) -> Executor:
    """The executor every hebbian_ros process spins (see the module docstring)."""
    if executor_kind() == 'events':
        return EventsExecutor(context=context)
    return SingleThreadedExecutor(context=context)


def spin_executor(executor: Executor, context=None) -> None:
    """Spin ``executor`` until its context shuts down (``ExternalShutdownException``) or a callback raises."""
    context = context if context is not None else rclpy.get_default_context()
    if isinstance(executor, Executor):   # rclpy's Python executors; the events executor is a C++ class
        executor.spin()
        return
    while context.ok():
        executor.spin_once(timeout_sec=_SPIN_ONCE_TIMEOUT)
    raise ExternalShutdownException()


def spin_node(make_node: Callable[[], Node], args: list[str] | None = None) -> int:
    """Init rclpy, spin one node until Ctrl-C / SIGTERM / shutdown, then clean up. Returns an exit code."""
    rclpy.init(args=args)
    node = None
    executor = None
    try:
        node = make_node()
        executor = make_executor(node.context)
        executor.add_node(node)
        spin_executor(executor, node.context)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        if node is None or node.context.ok():
            raise
        # A callback already running when Ctrl-C / SIGTERM shut the context down failed (e.g. a timer's
        # publish: "publisher's context is invalid"): part of stopping, not a crash.
    finally:
        if node is not None:
            shutdown = getattr(node, 'on_shutdown', None)
            if shutdown is not None:
                shutdown()   # first: nothing in the executor's teardown may cost the checkpoint
            if executor is not None:
                executor.remove_node(node)
            node.destroy_node()
        if executor is not None:
            executor.shutdown()
        rclpy.try_shutdown()
    return 0
