"""SDF -> MJCF converter: bodies, colours, poses, joints, camera, touch sensor."""

import math
import os
import sys
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hebbian_ros.sim.mjcf import (
    SDF_TO_MJ_CAMERA,
    actuator_name,
    body_name,
    geom_name,
    joint_name,
    sensor_name,
    to_mjcf,
    visual_geom_name,
)
from hebbian_ros.sim.sdf_world import parse_sdf, parse_sdf_string

WORLDS = sorted((ROOT / "worlds").glob("*.sdf"))


def _load(world, **kw):
    m = mujoco.MjModel.from_xml_string(to_mjcf(world, **kw))
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    return m, d


def _id(m, kind, name):
    i = mujoco.mj_name2id(m, kind, name)
    assert i >= 0, f"{kind.name} {name!r} missing"
    return i


@pytest.mark.parametrize("path", WORLDS, ids=lambda p: p.name)
def test_every_model_and_link_is_a_body_with_right_world_pose(path):
    w = parse_sdf(path)
    m, d = _load(w)
    for model in w.models:
        b = _id(m, mujoco.mjtObj.mjOBJ_BODY, body_name(model.name))
        assert np.allclose(d.xpos[b], model.pose.position, atol=1e-9)
        for lk in model.links:
            b = _id(m, mujoco.mjtObj.mjOBJ_BODY, body_name(model.name, lk.name))
            t = w.link_world_pose(model.name, lk.name).to_matrix()
            assert np.allclose(d.xpos[b], t[:3, 3], atol=1e-9)
            assert np.allclose(d.xmat[b].reshape(3, 3), t[:3, :3], atol=1e-9)
            for v in lk.visuals:
                g = _id(m, mujoco.mjtObj.mjOBJ_GEOM, visual_geom_name(model.name, lk.name, v.name))
                assert np.allclose(m.geom_rgba[g], v.material.diffuse)
                assert m.geom_contype[g] == 0 and m.geom_conaffinity[g] == 0
            for c in lk.collisions:
                g = _id(m, mujoco.mjtObj.mjOBJ_GEOM, geom_name(model.name, lk.name, c.name))
                assert m.geom_contype[g] == 1 and m.geom_group[g] == 3
                assert np.allclose(d.geom_xpos[g], (t @ c.pose.to_matrix())[:3, 3], atol=1e-9)


def test_tabletop_numbers():
    w = parse_sdf(ROOT / "worlds" / "tabletop.sdf")
    m, d = _load(w, mocap_models=["camera_rig"])
    top = _id(m, mujoco.mjtObj.mjOBJ_GEOM, geom_name("table", "top", "collision"))
    assert np.allclose(m.geom_size[top], (0.6, 0.4, 0.02))
    assert np.allclose(d.geom_xpos[top], (0, 0, 0.76))
    leg = _id(m, mujoco.mjtObj.mjOBJ_GEOM, geom_name("table", "legs", "leg_br"))
    assert np.allclose(d.geom_xpos[leg], (-0.55, -0.35, 0.37))
    red = _id(m, mujoco.mjtObj.mjOBJ_GEOM, visual_geom_name("red_box", "link", "visual"))
    assert m.geom_type[red] == mujoco.mjtGeom.mjGEOM_BOX
    assert np.allclose(m.geom_rgba[red], (0.8, 0.05, 0.05, 1))
    assert np.allclose(d.geom_xpos[red], (-0.375, 0, 0.82))
    cyl = _id(m, mujoco.mjtObj.mjOBJ_GEOM, geom_name("green_cylinder", "link", "collision"))
    assert m.geom_type[cyl] == mujoco.mjtGeom.mjGEOM_CYLINDER and np.allclose(m.geom_size[cyl][:2], (0.04, 0.05))
    sph = _id(m, mujoco.mjtObj.mjOBJ_GEOM, geom_name("blue_sphere", "link", "collision"))
    assert m.geom_type[sph] == mujoco.mjtGeom.mjGEOM_SPHERE and m.geom_size[sph][0] == pytest.approx(0.045)
    yb = _id(m, mujoco.mjtObj.mjOBJ_BODY, "yellow_box::link")
    assert np.allclose(d.xquat[yb], (math.cos(0.25), 0, 0, math.sin(0.25)))
    ground = _id(m, mujoco.mjtObj.mjOBJ_GEOM, geom_name("ground_plane", "link", "collision"))
    assert m.geom_type[ground] == mujoco.mjtGeom.mjGEOM_PLANE
    assert m.opt.timestep == pytest.approx(0.002) and np.allclose(m.opt.gravity, (0, 0, -9.81))
    # camera: fovy from horizontal_fov / aspect, MuJoCo -Z = SDF +X
    cam = _id(m, mujoco.mjtObj.mjOBJ_CAMERA, sensor_name("camera_rig", "camera_link", "camera"))
    assert m.cam_fovy[cam] == pytest.approx(math.degrees(1.047))
    assert tuple(m.cam_resolution[cam]) == (64, 64)
    rig = w.model("camera_rig").pose
    assert np.allclose(d.cam_xpos[cam], rig.position)
    assert np.allclose(-d.cam_xmat[cam].reshape(3, 3)[:, 2], rig.rotation[:, 0])  # forward
    assert np.allclose(d.cam_xmat[cam].reshape(3, 3)[:, 1], rig.rotation[:, 2])  # up
    rig_body = _id(m, mujoco.mjtObj.mjOBJ_BODY, "camera_rig")
    assert m.body_mocapid[rig_body] >= 0
    assert m.nu == 0 and m.njnt == 0  # everything static


def test_touch_numbers():
    w = parse_sdf(ROOT / "worlds" / "touch.sdf")
    m, d = _load(w)
    assert m.njnt == 3 and m.nu == 3
    for jn, axis, rng in (
        ("x_joint", (1, 0, 0), (-0.5, 0.5)),
        ("y_joint", (0, 1, 0), (-0.3, 0.3)),
        ("z_joint", (0, 0, 1), (-0.3, 0.1)),
    ):
        j = _id(m, mujoco.mjtObj.mjOBJ_JOINT, joint_name("finger_rig", jn))
        assert m.jnt_type[j] == mujoco.mjtJoint.mjJNT_SLIDE
        assert np.allclose(m.jnt_axis[j], axis) and np.allclose(m.jnt_range[j], rng) and m.jnt_limited[j]
        a = _id(m, mujoco.mjtObj.mjOBJ_ACTUATOR, actuator_name("finger_rig", jn))
        assert m.actuator_trnid[a, 0] == j
        assert m.actuator_gainprm[a, 0] == pytest.approx(400)  # p_gain of the JointPositionController
        assert m.actuator_biasprm[a, 2] == pytest.approx(-20)  # d_gain -> kv
        assert np.allclose(m.actuator_ctrlrange[a], rng)
        assert np.allclose(m.actuator_forcerange[a], (-50, 50))
    finger = _id(m, mujoco.mjtObj.mjOBJ_BODY, "finger_rig::finger")
    assert m.body_gravcomp[finger] == 1
    assert m.body_mass[finger] == pytest.approx(0.05)
    assert np.allclose(d.xpos[finger], (0, 0, 1.0))
    s = _id(m, mujoco.mjtObj.mjOBJ_SENSOR, sensor_name("finger_rig", "finger", "finger_contact"))
    assert m.sensor_type[s] == mujoco.mjtSensor.mjSENS_TOUCH
    site = m.sensor_objid[s]
    assert m.site_bodyid[site] == finger
    tip = _id(m, mujoco.mjtObj.mjOBJ_GEOM, geom_name("finger_rig", "finger", "tip_collision"))
    assert m.geom_bodyid[tip] == finger
    assert np.all(m.site_size[site] > m.geom_size[tip])  # site encloses the pad
    # gantry nesting follows the joints
    assert m.body(m.body_parentid[finger]).name == "finger_rig::y_carriage"


_DYN = """<sdf version="1.9"><world name="dyn">
  <model name="ball"><pose>0 0 1 0 0 0</pose>
    <link name="body"><inertial><mass>2</mass><inertia><ixx>0.01</ixx><iyy>0.01</iyy><izz>0.01</izz>
      <ixy>0</ixy><ixz>0</ixz><iyz>0</iyz></inertia></inertial>
      <collision name="c"><geometry><sphere><radius>0.1</radius></sphere></geometry></collision></link>
    <link name="tag"><pose>0 0 0.2 0 0 0</pose></link>
    <joint name="weld" type="fixed"><parent>body</parent><child>tag</child></joint>
  </model>
  <model name="pendulum"><pose>2 0 1 0 0 0</pose>
    <link name="arm"><pose>0 0 -0.5 0 0 0</pose></link>
    <joint name="hinge" type="revolute"><parent>world</parent><child>arm</child>
      <pose>0 0 0.5 0 0 0</pose><axis><xyz>0 1 0</xyz></axis></joint>
  </model>
</world></sdf>"""


def test_dynamic_models_free_fixed_and_revolute():
    w = parse_sdf_string(_DYN)
    m, d = _load(w)
    ball = _id(m, mujoco.mjtObj.mjOBJ_BODY, "ball::body")
    assert m.body_parentid[ball] == 0  # free bodies live at the top level
    assert m.jnt_type[m.body_jntadr[ball]] == mujoco.mjtJoint.mjJNT_FREE
    assert m.body_mass[ball] == pytest.approx(2)
    tag = _id(m, mujoco.mjtObj.mjOBJ_BODY, "ball::tag")
    assert m.body_parentid[tag] == ball and m.body_jntnum[tag] == 0
    assert np.allclose(d.xpos[tag], (0, 0, 1.2))
    arm = _id(m, mujoco.mjtObj.mjOBJ_BODY, "pendulum::arm")
    j = m.body_jntadr[arm]
    assert m.jnt_type[j] == mujoco.mjtJoint.mjJNT_HINGE
    assert np.allclose(d.xanchor[j], (2, 0, 1)) and np.allclose(d.xaxis[j], (0, 1, 0))
    assert not m.jnt_limited[j]
    # the free ball falls under gravity
    for _ in range(100):
        mujoco.mj_step(m, d)
    assert d.xpos[ball][2] < 1.0
    mv = mujoco.MjModel.from_xml_string(to_mjcf(w, actuator="velocity"))
    assert mv.nu == 1 and mv.actuator(0).name == "pendulum::hinge::velocity"
    assert mujoco.MjModel.from_xml_string(to_mjcf(w, actuator="none")).nu == 0


def test_mocap_and_bad_arguments():
    w = parse_sdf(ROOT / "worlds" / "tabletop.sdf")
    with pytest.raises(ValueError):
        to_mjcf(w, mocap_models=["no_such_model"])
    with pytest.raises(ValueError):
        to_mjcf(w, actuator="torque")
    assert SDF_TO_MJ_CAMERA @ np.array([0, 0, -1.0]) == pytest.approx(np.array([1.0, 0, 0]))


def test_conversion_is_deterministic():
    w = parse_sdf(ROOT / "worlds" / "touch.sdf")
    assert to_mjcf(w) == to_mjcf(parse_sdf(ROOT / "worlds" / "touch.sdf"))


def test_rotated_inertial_is_expressed_in_the_link_frame():
    w = parse_sdf_string("""<sdf version='1.9'><world name='w'><model name='m'><link name='l'>
      <inertial><pose>0.1 0 0 0 0 0.5</pose><mass>2</mass><inertia><ixx>0.1</ixx><iyy>0.2</iyy>
      <izz>0.3</izz><ixy>0</ixy><ixz>0</ixz><iyz>0</iyz></inertia></inertial></link></model></world></sdf>""")
    m = mujoco.MjModel.from_xml_string(to_mjcf(w))
    b = _id(m, mujoco.mjtObj.mjOBJ_BODY, "m::l")
    assert m.body_mass[b] == pytest.approx(2) and np.allclose(m.body_ipos[b], (0.1, 0, 0))
    assert np.allclose(sorted(m.body_inertia[b]), (0.1, 0.2, 0.3), atol=1e-8)
