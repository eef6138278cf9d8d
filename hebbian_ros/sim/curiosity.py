"""A curious look: the camera circles what the learning loop does not know yet.

Once the neuromodulator switches learning mode on during a visit (novelty), the camera circles the object in view
about the vertical through its centre, 0 -> +amplitude -> -amplitude -> 0 at ``step`` degrees a frame, once per visit.
Memory keeps the sides it is shown (its ``episode_views`` option) and later knows the object from a turned viewpoint.
A familiar object raises no learning mode, so it is not circled: the robot spends its moves on what is new
(RESULTS 5zg, ``bench/recognition.py --curious-turn``). Over 4 to 30 objects it lets the graph know them from a side
turned 30 degrees; at 100 it is mixed, as a revisit learned anew is circled too and memory's adaptive threshold counts
the two memories as two things alike (RESULTS 5zh), so the simulator's default is a still camera.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CURIOUS_STEP", "CuriousLook", "curious_path"]

#: degrees the viewpoint turns per frame while it circles
CURIOUS_STEP = 4.0


def curious_path(amplitude: float, step: float = CURIOUS_STEP) -> tuple[float, ...]:
    """The turn [deg] of each frame after learning mode came on: 0 -> +amplitude -> -amplitude -> 0 (empty for 0)."""
    if amplitude < 0 or step <= 0:
        raise ValueError(f"amplitude must be >= 0 and step > 0 degrees, got {amplitude}, {step}")
    if amplitude == 0:
        return ()
    up = np.arange(step, amplitude + 1e-9, step)
    across = np.arange(amplitude - step, -amplitude - 1e-9, -step)
    back = np.arange(-amplitude + step, 1e-9, step)
    return tuple(float(t) for t in np.concatenate([up, across, back]))


@dataclass
class CuriousLook:
    """Per frame, how far to turn the viewpoint: along :func:`curious_path` from the frame after learning mode came on
    in a visit, once per visit; 0 otherwise."""

    amplitude: float
    step: float = CURIOUS_STEP
    path: tuple[float, ...] = field(init=False)
    _visit: int | None = field(default=None, init=False)
    _since: int = field(default=-1, init=False)

    def __post_init__(self) -> None:
        self.path = curious_path(self.amplitude, self.step)

    def turn(self, visit: int, in_view: bool, learning: bool) -> float:
        """The turn [deg] of this frame of visit ``visit``; ``in_view``: the object is in view (not a gap);
        ``learning``: learning mode is on, as last heard before this frame."""
        if not in_view or visit != self._visit:
            self._visit, self._since = (visit if in_view else None), -1
        if not in_view:
            return 0.0
        if self._since < 0 and learning:
            self._since = 0  # it came on with the last frame: this one turns
        if not 0 <= self._since < len(self.path):
            return 0.0
        self._since += 1
        return self.path[self._since - 1]
