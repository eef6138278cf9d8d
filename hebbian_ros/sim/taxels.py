"""Contact points -> taxel grid: the touch sensing shared by the embedded simulator and the Gazebo path.

No MuJoCo and no ROS: :mod:`hebbian_ros.sim.simulator` (MuJoCo) and, on the Gazebo path,
:mod:`hebbian_ros.sim.gazebo_contacts` and ``contacts_to_touch_node`` bin contacts with the same
:class:`TaxelLayout`, so no node can tell which simulator drives it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hebbian_ros.sim.sdf_world import Pose

__all__ = ["TaxelLayout", "ContactPoint", "bin_contacts"]


def bin_contacts(
    points_local: np.ndarray, forces: np.ndarray, half_extent: tuple[float, float], shape: tuple[int, int]
) -> np.ndarray:
    """Sum contact normal forces into a ``rows x cols`` float32 taxel grid.

    ``points_local``: (N, 2+) contact positions in the contact collision's frame;
    columns span x in [-hx, hx], rows span y in [-hy, hy] (row 0 at -y,
    column 0 at -x).  Points outside the extent go to the nearest edge taxel.
    The grid sums to ``sum(forces)`` (N).
    """
    rows, cols = shape
    grid = np.zeros((rows, cols), dtype=np.float64)
    pts = np.asarray(points_local, dtype=float).reshape(-1, np.shape(points_local)[-1] if np.size(points_local) else 2)
    f = np.asarray(forces, dtype=float).reshape(-1)
    if f.size == 0:
        return grid.astype(np.float32)
    hx, hy = half_extent
    c = np.clip(np.floor((pts[:, 0] + hx) / (2 * hx) * cols), 0, cols - 1).astype(int)
    r = np.clip(np.floor((pts[:, 1] + hy) / (2 * hy) * rows), 0, rows - 1).astype(int)
    np.add.at(grid, (r, c), f)
    return grid.astype(np.float32)


@dataclass(frozen=True)
class TaxelLayout:
    """How contact points on a contact-sensor collision map to taxels.

    Shared by the embedded simulator and the Gazebo path: Gazebo reports
    contact positions in the world frame; with the finger link's world pose,
    :meth:`bin_world` bins them exactly as the simulator does.
    """

    sensor: str  # SDF sensor name
    model: str
    link: str
    collision: str
    collision_pose: Pose  # collision frame in the link frame
    half_extent: tuple[float, float]
    shape: tuple[int, int]

    def to_local(self, points_world: np.ndarray, link_world_pose: Pose | np.ndarray) -> np.ndarray:
        t_link = link_world_pose.to_matrix() if isinstance(link_world_pose, Pose) else np.asarray(link_world_pose)
        t = t_link @ self.collision_pose.to_matrix()
        p = np.asarray(points_world, dtype=float).reshape(-1, 3)
        return (p - t[:3, 3]) @ t[:3, :3]

    def bin_local(self, points_local: np.ndarray, forces: np.ndarray) -> np.ndarray:
        return bin_contacts(points_local, forces, self.half_extent, self.shape)

    def bin_world(self, points_world: np.ndarray, forces: np.ndarray, link_world_pose: Pose | np.ndarray) -> np.ndarray:
        return self.bin_local(self.to_local(points_world, link_world_pose), forces)


@dataclass(frozen=True)
class ContactPoint:
    """One contact on a contact-sensor collision (Gazebo-like; the embedded simulator reports these)."""

    position: tuple[float, float, float]  # world frame
    local_position: tuple[float, float, float]  # contact-collision frame
    normal: tuple[float, float, float]  # world frame, pointing from collision1 to collision2
    normal_force: float  # N, >= 0
    depth: float  # penetration depth (m), >= 0
    collision1: str  # scoped name of the sensor collision
    collision2: str  # scoped name of the other collision
