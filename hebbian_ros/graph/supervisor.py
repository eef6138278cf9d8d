"""Run each node of the graph as its own supervised process: restart on a crash, stop them all cleanly."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from hebbian_ros.graph.restart_policy import MAX_RESTARTS, backoff
from hebbian_ros.graph.spec import NodeSpec

log = logging.getLogger("hebbian_ros.graph")


@dataclass
class _Child:
    spec: NodeSpec
    process: subprocess.Popen
    restarts: int = 0
    started: float = 0.0


class Supervisor:
    """Starts node processes, restarts crashed ones (with a cap and a back-off), stops all on request.

    The restart policy (cap, back-off) is :mod:`hebbian_ros.graph.restart_policy`, shared with the launch files.

    :param specs: nodes to run.
    :param extra_parameter_files: applied after each node's own files (overrides).
    :param max_restarts: restarts per node before it is given up.
    :param env: environment of the children (default: this process's).
    """

    def __init__(
        self,
        specs: list[NodeSpec],
        extra_parameter_files: tuple[str, ...] = (),
        max_restarts: int = MAX_RESTARTS,
        env: dict[str, str] | None = None,
    ) -> None:
        self.specs = specs
        self.extra_parameter_files = extra_parameter_files
        self.max_restarts = max_restarts
        self.env = dict(os.environ if env is None else env)
        self.children: dict[str, _Child] = {}
        self.events: list[str] = []
        self._stopping = False

    def command(self, spec: NodeSpec) -> list[str]:
        """The command line of one node process."""
        return [sys.executable, "-m", spec.module, *spec.ros_arguments(self.extra_parameter_files)]

    def start(self) -> None:
        """Start every node."""
        for spec in self.specs:
            self.children[spec.name] = _Child(spec, self._spawn(spec), started=time.monotonic())

    def poll(self) -> None:
        """Report and restart nodes that exited while the graph was meant to be running."""
        if self._stopping:
            return
        for name, child in self.children.items():
            code = child.process.poll()
            if code is None:
                continue
            if child.restarts >= self.max_restarts:
                continue
            child.restarts += 1
            self._event(f"node {name} exited with code {code}; restarting ({child.restarts}/{self.max_restarts})")
            time.sleep(backoff(child.restarts))
            child.process = self._spawn(child.spec)
            child.started = time.monotonic()
            if child.restarts == self.max_restarts:
                self._event(f"node {name}: restart limit reached; it will not be restarted again")

    def run(self, duration: float | None = None, poll_interval: float = 0.2) -> None:
        """Start, supervise until ``duration`` elapses or SIGINT/SIGTERM arrives, then stop."""
        deadline = None if duration is None else time.monotonic() + duration
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig in previous:
            signal.signal(sig, lambda *_: setattr(self, "_stopping", True))
        try:
            self.start()
            while not self._stopping and (deadline is None or time.monotonic() < deadline):
                self.poll()
                time.sleep(poll_interval)
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self, timeout: float = 5.0) -> dict[str, int]:
        """SIGINT every node, escalate to SIGTERM then SIGKILL after ``timeout``; return exit codes.

        Before SIGKILL a node still alive gets SIGUSR1, on which hebbian_ros nodes print every thread's
        stack to stderr: a node that does not stop says where it hangs.
        """
        self._stopping = True
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            alive = [c for c in self.children.values() if c.process.poll() is None]
            if not alive:
                break
            if sig == signal.SIGKILL:
                log.warning(
                    "not stopped after SIGINT and SIGTERM, stacks on their stderr: %s",
                    sorted(c.spec.name for c in alive),
                )
                for child in alive:
                    child.process.send_signal(signal.SIGUSR1)
                time.sleep(0.5)
            for child in alive:
                child.process.send_signal(sig)
            end = time.monotonic() + timeout
            while time.monotonic() < end and any(c.process.poll() is None for c in alive):
                time.sleep(0.05)
        return {name: child.process.wait() for name, child in self.children.items()}

    @property
    def given_up(self) -> list[str]:
        """Nodes that are dead and will not be restarted any more."""
        return [
            name
            for name, child in self.children.items()
            if child.restarts >= self.max_restarts and child.process.poll() is not None
        ]

    def _spawn(self, spec: NodeSpec) -> subprocess.Popen:
        return subprocess.Popen(self.command(spec), env=self.env)

    def _event(self, text: str) -> None:
        self.events.append(text)
        log.warning(text)
