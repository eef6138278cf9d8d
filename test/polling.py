"""Polling with a deadline, shared by the tests that wait for other processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T], timeout: float, poll: float = 0.05, each: Callable[[], object] | None = None
) -> T:
    """Call ``predicate`` every ``poll`` s until it returns something true or ``timeout`` s pass; ``each``
    runs before every try (e.g. to publish again). Returns the last result, so a failure can say what it saw."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if each is not None:
            each()
        result = predicate()
        if result:
            return result
        time.sleep(poll)
    return predicate()
