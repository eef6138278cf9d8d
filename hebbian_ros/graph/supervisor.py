"""Run each node of the graph as its own supervised process: restart on a crash, stop them all cleanly."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hebbian_ros.graph.restart_policy import MAX_RESTARTS, backoff
from hebbian_ros.graph.spec import NodeSpec
from hebbian_ros.ros.spin import STACK_FILE_VARIABLE

log = logging.getLogger("hebbian_ros.graph")


@dataclass
class _Child:
    spec: NodeSpec
    process: subprocess.Popen
    restarts: int = 0
    started: float = 0.0
    stack_file: Path | None = None


class Supervisor:
    """Starts node processes, restarts crashed ones (with a cap and a back-off), stops all on request.

    The restart policy (cap, back-off) is :mod:`hebbian_ros.graph.restart_policy`, shared with the launch files.

    :param specs: nodes to run.
    :param extra_parameter_files: applied after each node's own files (overrides).
    :param max_restarts: restarts per node before it is given up.
    :param env: environment of the children (default: this process's).
    :param stack_dir: where each child writes its stack dumps (``HEBBIAN_STACK_FILE``, see
        :mod:`hebbian_ros.ros.spin`); default: a temporary folder, removed by :meth:`stop` if nothing was
        dumped. What a node that did not stop wrote there ends up in :attr:`stacks` and in the log.
    """

    def __init__(
        self,
        specs: list[NodeSpec],
        extra_parameter_files: tuple[str, ...] = (),
        max_restarts: int = MAX_RESTARTS,
        env: dict[str, str] | None = None,
        stack_dir: str | os.PathLike | None = None,
    ) -> None:
        self.specs = specs
        self.extra_parameter_files = extra_parameter_files
        self.max_restarts = max_restarts
        self.env = dict(os.environ if env is None else env)
        self.children: dict[str, _Child] = {}
        self.events: list[str] = []
        #: node name -> what it wrote to its stack file (stacks of a node that did not stop in time)
        self.stacks: dict[str, str] = {}
        self._own_stack_dir = stack_dir is None
        self.stack_dir = Path(tempfile.mkdtemp(prefix="hebbian-stacks-") if stack_dir is None else stack_dir)
        self._stopping = False

    def command(self, spec: NodeSpec) -> list[str]:
        """The command line of one node process."""
        return [sys.executable, "-m", spec.module, *spec.ros_arguments(self.extra_parameter_files)]

    def start(self) -> None:
        """Start every node."""
        for spec in self.specs:
            stack_file = self._stack_file(spec.name, 0)
            self.children[spec.name] = _Child(
                spec, self._spawn(spec, stack_file), started=time.monotonic(), stack_file=stack_file
            )

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
            child.stack_file = self._stack_file(name, child.restarts)
            child.process = self._spawn(child.spec, child.stack_file)
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

        A node stops in < 0.5 s (teardown < 0.1 s, then ``os._exit``; measured on 2 loaded cores), so
        ``timeout`` is a margin of 10x. Before SIGKILL a node still alive gets SIGUSR1, on which hebbian_ros
        nodes write every thread's stack to their stack file, and, where gdb is installed, its native
        stacks are taken too: a node that does not stop says where it hangs (:attr:`stacks`, and the log).
        """
        self._stopping = True
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            alive = [c for c in self.children.values() if c.process.poll() is None]
            if not alive:
                break
            if sig == signal.SIGKILL:
                log.warning("not stopped after SIGINT and SIGTERM: %s", sorted(c.spec.name for c in alive))
                for child in alive:
                    child.process.send_signal(signal.SIGUSR1)
                time.sleep(0.5)
                for child in alive:
                    self.stacks[child.spec.name] = _native_stacks(child.process.pid)
            for child in alive:
                child.process.send_signal(sig)
            end = time.monotonic() + timeout
            while time.monotonic() < end and any(c.process.poll() is None for c in alive):
                time.sleep(0.05)
        codes = {name: child.process.wait() for name, child in self.children.items()}
        self._collect_stacks()
        return codes

    @property
    def given_up(self) -> list[str]:
        """Nodes that are dead and will not be restarted any more."""
        return [
            name
            for name, child in self.children.items()
            if child.restarts >= self.max_restarts and child.process.poll() is not None
        ]

    def _stack_file(self, name: str, restart: int) -> Path:
        return self.stack_dir / f"{name}.{restart}.stacks.txt"

    def _spawn(self, spec: NodeSpec, stack_file: Path) -> subprocess.Popen:
        return subprocess.Popen(self.command(spec), env={**self.env, STACK_FILE_VARIABLE: str(stack_file)})

    def _collect_stacks(self) -> None:
        """Put what the current processes dumped (SIGUSR1, or a teardown slower than the nodes' stop watchdog)
        into :attr:`stacks` and the log; remove the stack folder if it is ours and nothing was dumped."""
        for name, child in self.children.items():
            try:
                text = child.stack_file.read_text(errors="replace") if child.stack_file else ""
            except OSError:
                text = ""
            native = self.stacks.pop(name, "")
            if text or native:
                self.stacks[name] = f"{text}\n{native}".strip()
                log.warning("stacks of node %s (%s):\n%s", name, child.stack_file, self.stacks[name])
        if self._own_stack_dir and not self.stacks:
            shutil.rmtree(self.stack_dir, ignore_errors=True)

    def _event(self, text: str) -> None:
        self.events.append(text)
        log.warning(text)


def _native_stacks(pid: int, timeout: float = 20.0) -> str:
    """Every thread's native stack of process ``pid`` by gdb, where installed (a hang inside C or C++ code
    shows only as its Python caller in a faulthandler dump); ``""`` without gdb."""
    gdb = shutil.which("gdb")
    if gdb is None:
        return ""
    try:
        result = subprocess.run(
            [gdb, "-p", str(pid), "-batch", "-nx", "-ex", "thread apply all bt 30"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"native stacks of {pid}: gdb failed: {error}"
    lines = [line for line in result.stdout.splitlines() if line.startswith(("Thread ", "#"))]
    return f"native stacks of {pid} (gdb):\n" + "\n".join(lines or [result.stderr.strip()])
