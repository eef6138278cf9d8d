"""How a crashed node is restarted: one policy for the package's supervisor and the launch files.

The supervisor (:mod:`hebbian_ros.graph.supervisor`) restarts a node at most :data:`MAX_RESTARTS`
times, waiting :func:`backoff` seconds before the n-th restart (0.2, 0.4, 0.8, 1.6, 3.2 s: 6.2 s in
all), then gives it up and reports it. launch_ros can bound the restarts the same way
(``respawn_max_retries``, launch >= Iron) but waits a *fixed* ``respawn_delay`` (it has no back-off),
so the launch files use the same cap and the mean of the back-off delays (:func:`launch_respawn`):
the same number of restarts within the same total waiting time, evenly spread. Plain functions, no
ROS import, so the tests check them where launch_ros is not installed.
"""

from __future__ import annotations

#: Restarts of one node before it is given up (``graph --max-restarts`` overrides it).
MAX_RESTARTS = 5
#: Back-off of the first restart and its cap [s].
FIRST_DELAY, MAX_DELAY = 0.2, 5.0


def backoff(restart: int) -> float:
    """Seconds to wait before the ``restart``-th restart (1-based): doubling from 0.2 s, at most 5 s."""
    if restart < 1:
        raise ValueError(f"restart: counts from 1, got {restart}")
    return min(FIRST_DELAY * 2 ** (restart - 1), MAX_DELAY)


def launch_respawn(max_restarts: int = MAX_RESTARTS) -> dict[str, object]:
    """launch_ros ``Node`` keyword arguments with the supervisor's cap and its mean back-off as fixed delay."""
    total = sum(backoff(k) for k in range(1, max_restarts + 1))
    return {
        "respawn": max_restarts > 0,
        "respawn_delay": round(total / max(max_restarts, 1), 3),
        "respawn_max_retries": max_restarts,
    }


def gz_sim_command(world_file: str, headless: bool) -> list[str]:
    """``gz sim`` running ``world_file`` at once (``-r``), server only (``-s``) when ``headless``.

    Every element is a real argument: an empty string would reach gz as a file name.
    """
    return ["gz", "sim", "-r", *(["-s"] if headless else []), world_file]
