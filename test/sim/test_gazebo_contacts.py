"""The Gazebo path's contact binning gives the embedded simulator's taxels for the same contacts."""

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
import pytest

from hebbian_ros.sim.exploration import object_tops
from hebbian_ros.sim.gazebo_contacts import contact_taxels, normal_forces
from hebbian_ros.sim.simulator import EmbeddedSimulator


@pytest.fixture(scope="module")
def touch():
    with EmbeddedSimulator("touch") as sim:
        yield sim


@pytest.mark.parametrize("obj", ["flat_box", "sphere", "ridge"])
def test_world_frame_contacts_with_wrenches_bin_like_the_embedded_simulator(touch, obj):
    x, y, top = object_tops(touch.world)[obj]
    touch.reset()
    touch.set_finger_target(x, y, top + 0.03)
    touch.step(0.5)
    touch.set_finger_target(x, y, top - 0.005)
    touch.step(0.5)
    contacts = touch.contacts()
    assert contacts, f"no contact on {obj}"
    body = touch.model.body("finger_rig::finger").id
    link_pose = np.eye(4)
    link_pose[:3, :3] = touch.data.xmat[body].reshape(3, 3)
    link_pose[:3, 3] = touch.data.xpos[body]
    normals = np.array([c.normal for c in contacts])
    # Gazebo reports the full wrench; give it a tangential part that must not count
    tangent = np.cross(normals, [0.0, 0.0, 1.0] if abs(normals[0, 2]) < 0.9 else [1.0, 0.0, 0.0])
    forces = -normals * np.array([c.normal_force for c in contacts])[:, None] + 0.3 * tangent
    grid = contact_taxels(
        touch.taxel_layouts["finger_contact"], np.array([c.position for c in contacts]), normals, forces, link_pose
    )
    np.testing.assert_allclose(grid, touch.touch(), rtol=1e-5, atol=1e-6)


def test_bad_contacts_are_refused():
    with pytest.raises(ValueError, match="normals"):
        normal_forces(np.ones((1, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="forces for"):
        normal_forces(np.ones((2, 3)), np.ones((1, 3)))
