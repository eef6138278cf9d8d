"""Drop bad input with a clear, throttled error log instead of letting a callback raise."""

from __future__ import annotations

import re
import time
from collections import Counter

from rclpy.node import Node

# Numbers and quoted values vary between messages of the same kind of problem.
_KIND = re.compile(r"'[^']*'|\"[^\"]*\"|[-+]?\d[\d.e+-]*")


class Rejections:
    """Counts dropped messages per topic and logs each kind of problem at most once per ``period`` s."""

    def __init__(self, node: Node, period: float = 5.0) -> None:
        self._node = node
        self._period = period
        self._last_logged: dict[str, float] = {}
        self.counts: Counter[str] = Counter()
        self.last_reason = ""  #: "<topic>: <error>" of the last drop (reported on /diagnostics)

    def reject(self, topic: str, error: Exception) -> None:
        """Record that a message on ``topic`` was dropped because of ``error``."""
        self.counts[topic] += 1
        self.last_reason = f"{topic}: {error}"
        text = f"dropped a message on {topic}: {error}"
        key = f"{topic}:{_KIND.sub('#', str(error))}"
        now = time.monotonic()
        if now - self._last_logged.get(key, -self._period) >= self._period:
            self._last_logged[key] = now
            self._node.get_logger().error(f"{text} ({self.counts[topic]} dropped on this topic so far)")

    @property
    def total(self) -> int:
        """Messages dropped so far on all topics."""
        return sum(self.counts.values())
