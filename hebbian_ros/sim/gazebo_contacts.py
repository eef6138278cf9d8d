"""Gazebo's contact reports -> the taxel grid the embedded simulator publishes (no ROS, no Gazebo needed).

Gazebo's contact sensor reports world-frame contact points with a normal and the wrench on each
body; ``contacts_to_touch_node`` passes them here with the pad link's world pose (from the
PosePublisher plugin), and :class:`~hebbian_ros.sim.taxels.TaxelLayout` bins them exactly as
:meth:`EmbeddedSimulator.touch` does, so the sensing node cannot tell the two simulators apart.
"""

from __future__ import annotations

import numpy as np

from hebbian_ros.sim.sdf_world import Pose
from hebbian_ros.sim.taxels import TaxelLayout


def normal_forces(forces: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """Magnitude of each contact force along its contact normal [N] (sign conventions differ per engine)."""
    forces = np.asarray(forces, dtype=float).reshape(-1, 3)
    normals = np.asarray(normals, dtype=float).reshape(-1, 3)
    if forces.shape != normals.shape:
        raise ValueError(f"contacts: {len(forces)} forces for {len(normals)} normals")
    lengths = np.linalg.norm(normals, axis=1)
    if np.any(lengths == 0) or not np.all(np.isfinite(forces)) or not np.all(np.isfinite(normals)):
        raise ValueError("contacts: normals must be non-zero and every value finite")
    return np.abs(np.einsum("ij,ij->i", forces, normals / lengths[:, None]))


def contact_taxels(
    layout: TaxelLayout,
    positions: np.ndarray,
    normals: np.ndarray,
    forces: np.ndarray,
    link_world_pose: Pose | np.ndarray,
) -> np.ndarray:
    """Taxel grid (rows x cols float32, N) of world-frame contacts on the layout's pad."""
    positions = np.asarray(positions, dtype=float).reshape(-1, 3)
    if not np.all(np.isfinite(positions)):
        raise ValueError("contacts: positions must be finite")
    pressure = normal_forces(forces, normals)
    if len(pressure) != len(positions):
        raise ValueError(f"contacts: {len(positions)} positions for {len(pressure)} forces")
    return layout.bin_world(positions, pressure, link_world_pose)
