"""Neurogenesis: a full memory asks for new units; the neuromodulator grants them, rate-limited and capped.

The loop, as messages on ``hebbian/structure`` (``hebbian_ros/StructuralEvent``):

1. In learning mode a novel pattern finds no free unit. Instead of overwriting the least-used
   memory at once, memory reports ``FULL`` and waits (:class:`GrowthDemand`) up to
   ``wait_samples`` novel samples.
2. The neuromodulator, which decides about plasticity, grants ``GROWTH`` of ``units`` through a
   :class:`GrowthGate`: at most one grant per ``interval`` seconds.
3. Memory adds the units (``NEUROGENESIS``), up to ``max_capacity`` and to what its synapse budget
   can hold, and stores the next novel sample in a new unit. A grant that never comes (gate shut,
   neuromodulator absent, cap reached) ends the wait: the least-used memory is recycled as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hebbian_ros.core import validation as check
from hebbian_ros.core.parameters import MEMORY, NEUROMODULATOR


@dataclass(frozen=True)
class NeurogenesisParams:
    """Memory's side of neurogenesis.

    :param max_capacity: most units memory may grow to [units].
    :param wait_samples: novel learning-mode samples a full memory waits for a grant before it
        recycles its least-used memory.
    """

    max_capacity: int
    wait_samples: int = MEMORY.default("growth_wait")

    def __post_init__(self) -> None:
        check.as_int("max_capacity", self.max_capacity, minimum=1)
        check.as_int("wait_samples", self.wait_samples, minimum=0)


def grown_capacity(capacity: int, units: int, limit: int) -> int:
    """Capacity after adding ``units`` to ``capacity`` without passing ``limit``."""
    units = check.as_int("units", units, minimum=0)
    return max(capacity, min(capacity + units, limit))


class GrowthDemand:
    """Memory waiting for a grant: ``defer()`` per novel sample that found no free unit."""

    def __init__(self, wait_samples: int) -> None:
        self.wait_samples = wait_samples
        self.waited = 0

    def defer(self) -> tuple[bool, bool]:
        """``(wait, ask)`` for one more novel sample that found no free unit.

        ``ask``: report FULL now (the first sample of a wait). ``wait``: do not store yet; after
        ``wait_samples`` samples the wait ends (``wait`` false: recycle) and the next sample asks again.
        """
        ask = self.waited == 0
        if self.waited < self.wait_samples:
            self.waited += 1
            return True, ask
        self.waited = 0
        return False, ask

    def satisfied(self) -> None:
        """Units were added (or the pattern stored): the next full memory asks again."""
        self.waited = 0


@dataclass(frozen=True)
class GrowthParams:
    """Neuromodulator's side of neurogenesis.

    :param units: units granted per request; ``0``: never grant (no neurogenesis).
    :param interval: shortest time between two grants [s].
    """

    units: int = NEUROMODULATOR.default("growth_units")
    interval: float = NEUROMODULATOR.default("growth_interval")

    def __post_init__(self) -> None:
        check.as_int("units", self.units, minimum=0)
        check.non_negative("interval", self.interval)


class GrowthGate:
    """Grants growth at most once per ``interval`` seconds of :meth:`advance` time."""

    def __init__(self, params: GrowthParams) -> None:
        self.params = params
        self.since = math.inf  #: seconds since the last grant
        self.grants = 0

    def advance(self, dt: float) -> None:
        """Let ``dt`` seconds pass."""
        self.since += check.non_negative("dt", dt)

    def request(self) -> int:
        """Units granted now (0 when growth is off or the last grant is too recent)."""
        if self.params.units == 0 or self.since < self.params.interval:
            return 0
        self.since = 0.0
        self.grants += 1
        return self.params.units
