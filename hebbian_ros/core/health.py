"""Health of a node's input, ROS-free: message rate, drops and their last reason, and the level to report.

The bookkeeping behind ``/diagnostics`` (``hebbian_ros.nodes.diagnostics`` publishes it): every message
that arrives on a watched input counts as received; the node's drops (counted where it drops them, with
the last reason) are passed in, and once a second :meth:`InputHealth.report` turns the counts into a
level and key-values:

- OK: input arrives and at most ``max_drop_ratio`` of it was dropped over the last ``window`` seconds;
- WARN: nothing arrived yet, or nothing for ``stale_after`` seconds (the input stopped), or more than
  ``max_drop_ratio`` of the messages of the window were dropped;
- ERROR: messages arrive but every one of the window was dropped (nothing usable gets through).

A node without watched inputs (a source, such as the simulator) is judged on drops only. Per message the
cost is one counter increment and one clock read; windows are kept as one snapshot per report.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from hebbian_ros.core import validation as check

#: Levels, with diagnostic_msgs/DiagnosticStatus's values.
OK, WARN, ERROR = 0, 1, 2
LEVEL_NAMES = {OK: "OK", WARN: "WARN", ERROR: "ERROR"}


@dataclass(frozen=True)
class HealthRules:
    """When a node's input is reported as unhealthy.

    :param stale_after: seconds without any input after which the input counts as stopped (WARN).
    :param max_drop_ratio: share of the window's messages that may be dropped before WARN (0..1).
    :param window: seconds over which rates and drop shares are measured.
    """

    stale_after: float = 3.0
    max_drop_ratio: float = 0.1
    window: float = 5.0

    def __post_init__(self) -> None:
        check.positive("stale_after", self.stale_after)
        check.positive("window", self.window)
        ratio = check.as_real("max_drop_ratio", self.max_drop_ratio)
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"max_drop_ratio: must be within [0, 1], got {ratio}")


@dataclass(frozen=True)
class Report:
    """One status: level (OK, WARN, ERROR), a one-line message and ordered key-values (strings)."""

    level: int
    message: str
    values: tuple[tuple[str, str], ...]


class InputHealth:
    """Counts the messages a node receives and reports its health (see the module).

    :param inputs: the watched input topics (their silence is a WARN); may be empty.
    :param rules: thresholds.
    :param now: the time [s] the node started (a monotonic clock; the same clock for every call).
    """

    def __init__(self, inputs: tuple[str, ...] = (), rules: HealthRules | None = None, now: float = 0.0) -> None:
        self.inputs = tuple(inputs)
        self.rules = HealthRules() if rules is None else rules
        check.check_instance("rules", self.rules, HealthRules)
        self.received = 0  #: messages that arrived on the watched inputs
        self.last_received: float | None = None  #: time of the last message on a watched input
        self._started = float(now)
        self._snapshots: deque[tuple[float, int, int]] = deque([(float(now), 0, 0)])

    def on_received(self, now: float) -> None:
        """A message arrived on a watched input at ``now``."""
        self.received += 1
        self.last_received = now

    def report(self, now: float, dropped: int = 0, last_reason: str = "") -> Report:
        """The level, message and key-values at ``now``; also closes one measuring step of the window.

        :param dropped: messages the node dropped so far (any topic; the node's rejection count).
        :param last_reason: why the last one was dropped.
        """
        now, total_dropped = float(now), int(dropped)
        self._snapshots.append((now, self.received, total_dropped))
        while len(self._snapshots) > 2 and now - self._snapshots[1][0] >= self.rules.window:
            self._snapshots.popleft()  # keep the newest snapshot at least one window old as the base
        since, received_before, dropped_before = self._snapshots[0]
        span = max(now - since, 1e-9)
        received = self.received - received_before
        dropped = total_dropped - dropped_before
        rate = received / span
        level, message = OK, "ok"
        if dropped and (received == 0 or dropped / max(received, dropped) > self.rules.max_drop_ratio):
            level = ERROR if dropped >= received else WARN
            message = f"{dropped} of {max(received, dropped)} messages dropped in {span:.0f} s: {last_reason}"
        if self.inputs:
            silent = now - (self._started if self.last_received is None else self.last_received)
            if self.last_received is None and silent >= self.rules.stale_after:
                level, message = max(level, WARN), f"no input yet on {', '.join(self.inputs)} ({silent:.0f} s)"
            elif self.last_received is not None and silent >= self.rules.stale_after:
                level, message = (
                    max(level, WARN),
                    f"input stopped: nothing on {', '.join(self.inputs)} for {silent:.1f} s",
                )
        age = math.nan if self.last_received is None else now - self.last_received
        values = (
            ("input topics", ", ".join(self.inputs) or "none"),
            ("input rate [Hz]", f"{rate:.1f}"),
            ("seconds since last input", "never" if math.isnan(age) else f"{age:.2f}"),
            ("messages received", str(self.received)),
            ("messages dropped", str(total_dropped)),
            ("window [s]", f"{span:.1f}"),
            ("dropped in window", str(dropped)),
            ("last drop reason", last_reason if total_dropped else "none"),
        )
        return Report(level, message, values)
