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
loop ends after the callback in hand, then the node saves its checkpoint. A node process
(``exit_process``) then leaves with ``os._exit``, without destroying node, executor and DDS participant
(in-process use tears them down from the quiet executor instead): that teardown once hung for good on
CI (sensor, 2026-12-04: the main thread inside ``rcl_node_fini`` -> Fast DDS ``destroy_participant`` ->
``DomainParticipant::set_listener``, waiting for a listener while the DDS receive and event threads waited
on the participant's discovery mutex; the supervisor had to SIGKILL it), and interpreter finalization
(garbage collecting numba's and LLVM's object graphs, C++ static destructors) does nothing a node needs
and was most of its stop time (0.3 s of CPU, up to 4.2 of a 4.5 s graph stop under load). Peers drop the
departed participant when its lease expires, as after a crash.

Hangs say where they are: SIGUSR1 dumps every thread's stack (the supervisor sends it before it gives
up on a node that does not stop), and a teardown still running ``STOP_DUMP_AFTER`` s after the stop
request dumps them by itself (faulthandler's watchdog thread: no bytecode has to run). Both go to the file
named by ``HEBBIAN_STACK_FILE`` (the supervisor gives each child one) or else to stderr.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import TextIO

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
#: environment variable: file (appended to) that stack dumps go to instead of stderr
STACK_FILE_VARIABLE = "HEBBIAN_STACK_FILE"
#: [s] a teardown still running this long after the stop request dumps every thread's stack (measured: 0.07 s
#: idle, 0.3 s on 2 loaded cores; the supervisor escalates to SIGTERM after 5 s)
STOP_DUMP_AFTER = 3.0


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


def stack_stream() -> TextIO:
    """Where stack dumps go: the file named by ``HEBBIAN_STACK_FILE`` (opened for appending), else stderr."""
    path = os.environ.get(STACK_FILE_VARIABLE, "")
    if path:
        try:
            return open(path, "a", buffering=1)  # noqa: SIM115 - faulthandler writes to it until the process ends
        except OSError as error:
            print(f"{STACK_FILE_VARIABLE}: {error}; stack dumps go to stderr", file=sys.stderr)
    return sys.stderr


def spin_node(make_node: Callable[[], Node], args: list[str] | None = None, *, exit_process: bool = True) -> int:
    """Init rclpy, spin one node until SIGINT / SIGTERM / shutdown, then clean up.

    :param exit_process: after a clean stop, leave the process right away (``os._exit(0)``, stdio and
        logging flushed) instead of returning: see the module docstring. ``False``: return the exit code.
    :returns: the exit code (0) when ``exit_process`` is ``False``; a callback's exception propagates.
    """
    stacks = stack_stream()
    faulthandler.register(signal.SIGUSR1, file=stacks, all_threads=True)
    stop = stop_on_signals()
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    node = None
    executor = None
    clean = False  # stopped, not crashed: only then may the process leave early with code 0
    try:
        node = make_node()
        executor = make_executor(node.context)
        executor.add_node(node)
        spin_executor(executor, node.context, stop)
        clean = True
    except (KeyboardInterrupt, ExternalShutdownException):
        clean = True
    except Exception:
        if node is None or node.context.ok():
            raise
        clean = True
        # A callback already running when the context was shut down from outside failed (e.g. a timer's
        # publish: "publisher's context is invalid"): part of stopping, not a crash.
    finally:
        faulthandler.dump_traceback_later(STOP_DUMP_AFTER, file=stacks)  # a teardown that hangs says where
        if node is not None:
            shutdown = getattr(node, "on_shutdown", None)
            if shutdown is not None:
                shutdown()  # first: nothing in the executor's teardown may cost the checkpoint
        if exit_process and clean:  # everything is saved: leave without the DDS teardown (module docstring)
            faulthandler.cancel_dump_traceback_later()
            logging.shutdown()
            for stream in (sys.stdout, sys.stderr, stacks):
                stream.flush()
            os._exit(0)
        if node is not None:
            if executor is not None:
                executor.remove_node(node)
            node.destroy_node()
        if executor is not None:
            executor.shutdown()
        rclpy.try_shutdown()
        rclpy.get_default_context().destroy()  # the DDS participant leaves now (peers hear it), not at exit
        faulthandler.cancel_dump_traceback_later()
    return 0
