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

Stopping: SIGINT and SIGTERM only ask the spin loop to stop (rclpy's own handlers are not installed,
so no ``KeyboardInterrupt`` lands inside a callback half-way through the executor's dispatch); the
loop ends after the callback in hand, then the node saves its checkpoint and everything is torn down
from a quiet executor. SIGUSR1 prints every thread's stack to stderr (the supervisor sends it before
it gives up on a node that does not stop), so a hang says where it is.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import threading
from collections.abc import Callable

import rclpy
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

try:  # rclpy >= 9 (kilted)
    from rclpy.experimental import EventsExecutor
except ImportError:  # older rclpy: only the Python executors
    EventsExecutor = None

#: environment variable choosing the executor: "events" (default where available) or "default"
EXECUTOR_VARIABLE = "HEBBIAN_EXECUTOR"
_SPIN_ONCE_TIMEOUT = 0.1  # [s] how long a spin_once may wait: the stop request is seen this soon


def executor_kind() -> str:
    """``'events'`` or ``'default'``: what :func:`make_executor` builds here.

    :raises ValueError: for an unknown ``HEBBIAN_EXECUTOR`` value.
    """
    wanted = os.environ.get(EXECUTOR_VARIABLE, "").strip().lower() or "events"
    if wanted not in ("events", "default"):
        raise ValueError(f'{EXECUTOR_VARIABLE}: must be "events" or "default", got {wanted!r}')
    return "events" if wanted == "events" and EventsExecutor is not None else "default"


def make_executor(context=None) -> Executor:
    """The executor every hebbian_ros process spins (see the module docstring)."""
    if executor_kind() == "events":
        return EventsExecutor(context=context)
    return SingleThreadedExecutor(context=context)


def spin_executor(executor: Executor, context=None, stop: threading.Event | None = None) -> None:
    """Spin ``executor`` until ``stop`` is set or its context shuts down (``ExternalShutdownException``);
    exceptions of callbacks propagate. Returns normally only when ``stop`` was set."""
    context = context if context is not None else rclpy.get_default_context()
    stop = stop if stop is not None else threading.Event()
    while not stop.is_set():
        if not context.ok():
            raise ExternalShutdownException()
        executor.spin_once(timeout_sec=_SPIN_ONCE_TIMEOUT)


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM (handlers installed here, in the main thread)."""
    stop = threading.Event()

    def request_stop(signum, frame) -> None:
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, request_stop)
    return stop


def spin_node(make_node: Callable[[], Node], args: list[str] | None = None) -> int:
    """Init rclpy, spin one node until SIGINT / SIGTERM / shutdown, then clean up. Returns an exit code."""
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    stop = stop_on_signals()
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    node = None
    executor = None
    try:
        node = make_node()
        executor = make_executor(node.context)
        executor.add_node(node)
        spin_executor(executor, node.context, stop)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        if node is None or node.context.ok():
            raise
        # A callback already running when the context was shut down from outside failed (e.g. a timer's
        # publish: "publisher's context is invalid"): part of stopping, not a crash.
    finally:
        if node is not None:
            shutdown = getattr(node, "on_shutdown", None)
            if shutdown is not None:
                shutdown()  # first: nothing in the executor's teardown may cost the checkpoint
            if executor is not None:
                executor.remove_node(node)
            node.destroy_node()
        if executor is not None:
            executor.shutdown()
        rclpy.try_shutdown()
    return 0
