"""SDF worlds: `ign sdf -k` validity, spec element names, sensor elements, parser."""

import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hebbian_ros.sim.sdf_world import (
    CameraSensor,
    ContactSensor,
    Pose,
    SdfError,
    matrix_to_quat,
    parse_sdf,
    parse_sdf_string,
    rpy_to_matrix,
)

WORLDS = sorted((ROOT / "worlds").glob("*.sdf"))
IGN = shutil.which("ign")
needs_ign = pytest.mark.skipif(
    IGN is None, reason="`ign` binary absent (apt-get install ignition-tools libsdformat-dev)"
)

HARMONIC_PLUGINS = {
    "gz-sim-physics-system",
    "gz-sim-sensors-system",
    "gz-sim-scene-broadcaster-system",
    "gz-sim-contact-system",
    "gz-sim-user-commands-system",
}


def test_worlds_exist():
    assert {p.name for p in WORLDS} >= {"tabletop.sdf", "touch.sdf"}


def _ign_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([IGN, "sdf", "-k", str(path)], capture_output=True, text=True, timeout=60)


@needs_ign
@pytest.mark.parametrize("world", WORLDS, ids=lambda p: p.name)
def test_ign_sdf_check_passes(world):
    r = _ign_check(world)
    out = r.stdout + r.stderr
    assert "cannot find any available 'ign' command" not in out, (
        "ign has no `sdf` command: install libsdformat-dev (ships the ign sdf plugin)"
    )
    assert r.returncode == 0, out
    assert "Valid." in r.stdout


@needs_ign
def test_ign_sdf_check_rejects_joint_with_missing_child(tmp_path):
    text = (ROOT / "worlds" / "touch.sdf").read_text()
    broken = text.replace("<child>finger</child>", "<child>no_such_link</child>")
    assert broken != text
    p = tmp_path / "broken.sdf"
    p.write_text(broken)
    assert _ign_check(p).returncode != 0
    with pytest.raises(SdfError, match="no_such_link"):
        parse_sdf(p)


# --- element names against the SDFormat spec (ign does not flag misspellings) ---
@lru_cache(maxsize=1)
def _spec_root():
    r = subprocess.run([IGN, "sdf", "-d", "1.9"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return ET.fromstring(r.stdout[r.stdout.index("<element") :])


def _spec_child(spec_el, tag):
    for c in spec_el.findall("element"):
        if c.get("name") == tag:
            if c.get("ref"):  # recursive definition: use the first full definition
                for d in _spec_root().iter("element"):
                    if d.get("name") == c.get("ref") and len(d.findall("element")):
                        return d
            return c
    return None


def _unknown_elements(spec_el, el, path):
    if any(c.get("copy_data") for c in spec_el.findall("element")):
        return []  # free-form content (plugins)
    bad = []
    for c in el:
        s = _spec_child(spec_el, c.tag)
        if s is None:
            bad.append(f"{path}/{c.tag}")
        else:
            bad += _unknown_elements(s, c, f"{path}/{c.tag}")
    return bad


@needs_ign
@pytest.mark.parametrize("world", WORLDS, ids=lambda p: p.name)
def test_every_element_name_is_in_the_sdf_spec(world):
    assert _unknown_elements(_spec_root(), ET.parse(world).getroot(), "sdf") == []


@needs_ign
def test_spec_walk_catches_misspelled_camera(tmp_path):
    text = (ROOT / "worlds" / "tabletop.sdf").read_text()
    root = ET.fromstring(text.replace("<camera name=", "<cammera name=").replace("</camera>", "</cammera>"))
    assert any("cammera" in b for b in _unknown_elements(_spec_root(), root, "sdf"))


# --- sensor elements, read straight from the XML ---
def _xml(name):
    return ET.parse(ROOT / "worlds" / name).getroot()


def _sensor_el(root, name):
    found = [
        (m, lk, s)
        for m in root.iter("model")
        for lk in m.findall("link")
        for s in lk.findall("sensor")
        if s.get("name") == name
    ]
    assert len(found) == 1, f"sensor {name!r} found {len(found)} times"
    return found[0]


@pytest.mark.parametrize("world", WORLDS, ids=lambda p: p.name)
def test_world_plugins_are_harmonic(world):
    root = ET.parse(world).getroot()
    w = root.find("world")
    assert root.get("version") == "1.9"
    assert {p.get("filename") for p in w.findall("plugin")} >= HARMONIC_PLUGINS
    sensors = [p for p in w.findall("plugin") if p.get("filename") == "gz-sim-sensors-system"][0]
    assert sensors.findtext("render_engine") == "ogre2"


def test_tabletop_camera_sensor_elements():
    root = _xml("tabletop.sdf")
    model, link, s = _sensor_el(root, "camera")
    assert s.get("type") == "camera"
    assert model.get("name") == "camera_rig" and model.findtext("static") == "true"
    assert s.findtext("topic") == "camera/image_raw"
    assert float(s.findtext("update_rate")) == 30
    cam = s.find("camera")
    assert cam is not None
    assert 0.1 < float(cam.findtext("horizontal_fov")) < math.pi
    assert int(cam.findtext("image/width")) == 64
    assert int(cam.findtext("image/height")) == 64
    assert cam.findtext("image/format") == "R8G8B8"
    assert float(cam.findtext("clip/near")) < float(cam.findtext("clip/far"))
    assert {c.tag for c in s} <= {"always_on", "update_rate", "visualize", "topic", "camera", "pose"}
    assert {c.tag for c in cam} <= {"horizontal_fov", "image", "clip", "noise"}


def test_tabletop_objects_are_coloured_and_labelled():
    root = _xml("tabletop.sdf")
    diffuse = {}
    for m in root.iter("model"):
        if m.find("plugin[@filename='gz-sim-label-system']") is not None:
            diffuse[m.get("name")] = [float(v) for v in m.findtext("link/visual/material/diffuse").split()]
    assert len(diffuse) >= 4
    assert diffuse["red_box"][0] > 0.6 > max(diffuse["red_box"][1:3])
    assert diffuse["green_cylinder"][1] > 0.6 > max(diffuse["green_cylinder"][0], diffuse["green_cylinder"][2])
    assert diffuse["blue_sphere"][2] > 0.6 > max(diffuse["blue_sphere"][:2])
    assert min(diffuse["yellow_box"][:2]) > 0.6 > diffuse["yellow_box"][2]
    static_table = [m for m in root.iter("model") if m.get("name") == "table"][0]
    assert static_table.findtext("static") == "true"


def test_touch_contact_sensor_elements():
    root = _xml("touch.sdf")
    model, link, s = _sensor_el(root, "finger_contact")
    assert s.get("type") == "contact"
    assert s.findtext("topic") == "touch/contacts"
    coll = s.findtext("contact/collision")
    assert coll == "tip_collision"
    assert coll in {c.get("name") for c in link.findall("collision")}
    assert {c.tag for c in s} <= {"always_on", "update_rate", "visualize", "topic", "contact", "pose"}
    joints = {j.get("name"): j for j in model.findall("joint")}
    chain, lk = [], link.get("name")
    while lk != "world":
        j = [j for j in joints.values() if j.findtext("child") == lk][0]
        chain.append(j.get("type"))
        lk = j.findtext("parent")
    assert chain and set(chain) == {"prismatic"}


# --- parser ---
def test_parse_tabletop():
    w = parse_sdf(ROOT / "worlds" / "tabletop.sdf")
    assert w.name == "tabletop" and w.max_step_size == pytest.approx(0.002)
    assert [m.name for m in w.labelled_models] == ["red_box", "green_cylinder", "blue_sphere", "yellow_box"]
    assert w.model("table").static
    legs = w.model("table").link("legs")
    assert legs.pose.z == pytest.approx(0.37)  # relative_to="top": 0.76 - 0.39
    assert len(legs.collisions) == 4 and len(legs.visuals) == 4
    red = w.model("red_box")
    assert red.links[0].visuals[0].geometry.kind == "box"
    assert red.links[0].visuals[0].geometry.size == (0.08, 0.08, 0.08)
    assert red.links[0].visuals[0].material.diffuse == (0.8, 0.05, 0.05, 1.0)
    assert w.model("green_cylinder").links[0].collisions[0].geometry.radius == 0.04
    assert w.model("yellow_box").pose.yaw == pytest.approx(0.5)
    (cam,) = w.cameras
    assert isinstance(cam, CameraSensor)
    assert (cam.name, cam.topic, cam.update_rate, cam.width, cam.height, cam.format) == (
        "camera",
        "camera/image_raw",
        30.0,
        64,
        64,
        "R8G8B8",
    )
    assert cam.vertical_fov == pytest.approx(cam.horizontal_fov)  # square image
    assert cam.noise_stddev > 0
    assert "gz-sim-sensors-system" in {p.filename for p in w.plugins}
    assert w.lights[0].type == "directional"


def test_parse_touch():
    w = parse_sdf(ROOT / "worlds" / "touch.sdf")
    (cs,) = w.contact_sensors
    assert isinstance(cs, ContactSensor)
    assert (cs.name, cs.topic, cs.collision, cs.update_rate) == (
        "finger_contact",
        "touch/contacts",
        "tip_collision",
        100,
    )
    rig = w.model("finger_rig")
    assert not rig.static
    x, y, z = rig.joint("x_joint"), rig.joint("y_joint"), rig.joint("z_joint")
    assert (x.parent, x.child, x.type) == ("world", "x_carriage", "prismatic")
    assert (z.parent, z.child) == ("y_carriage", "finger")
    assert x.axis == (1.0, 0.0, 0.0) and y.axis == (0.0, 1.0, 0.0)
    assert np.allclose(z.axis, (0, 0, 1))  # expressed_in="__model__"
    assert (z.lower, z.upper, z.effort) == (-0.3, 0.1, 50.0)
    assert rig.link("finger").gravity is False
    assert rig.link("finger").inertial.mass == pytest.approx(0.05)
    assert len(w.labelled_models) >= 4


_MINI = """<?xml version="1.0"?>
<sdf version="1.9"><world name="mini">
  <model name="base"><static>true</static><pose>1 0 0 0 0 1.5707963267948966</pose>
    <link name="l"><visual name="v"><geometry><sphere><radius>0.1</radius></sphere></geometry></visual></link>
  </model>
  <model name="rel"><static>true</static><pose relative_to="base">1 0 0 0 0 0</pose>
    <link name="a"><pose>0 0 1 0 0 0</pose></link>
    <link name="b"><pose relative_to="a">0 0 1 0 0 0</pose>
      <visual name="v"><pose relative_to="__model__">0 0 0.5 0 0 0</pose>
        <geometry><box><size>1 2 3</size></box></geometry>
        <material><ambient>0 1 0</ambient></material></visual>
    </link>
  </model>
  <model name="arm"><pose degrees="true">0 0 0 0 0 90</pose>
    <link name="base"/>
    <link name="upper"><pose>0 0 1 0 0 0</pose></link>
    <joint name="j0" type="fixed"><parent>world</parent><child>base</child></joint>
    <joint name="j1" type="revolute"><parent>base</parent><child>upper</child>
      <pose>0 0 -0.5 0 0 0</pose>
      <axis><xyz expressed_in="__model__">1 0 0</xyz><limit><lower>-1</lower><upper>1</upper></limit></axis>
    </joint>
  </model>
  <model name="quat"><pose rotation_format="quat_xyzw">0 0 0 0 0 0.7071067811865476 0.7071067811865476</pose>
    <link name="l"/></model>
</world></sdf>"""


def test_parser_resolves_relative_to_and_formats():
    w = parse_sdf_string(_MINI)
    rel = w.model("rel")
    assert np.allclose(rel.pose.position, (1, 1, 0))  # 1 m along base's rotated x
    assert rel.pose.yaw == pytest.approx(math.pi / 2)
    assert rel.link("b").pose.z == pytest.approx(2.0)
    v = rel.link("b").visuals[0]
    assert v.pose.z == pytest.approx(-1.5)  # __model__ z 0.5 expressed in link b (z 2)
    assert v.material.diffuse == (0, 1, 0, 1)  # ambient used when no diffuse
    arm = w.model("arm")
    assert arm.pose.yaw == pytest.approx(math.pi / 2)  # degrees="true"
    j1 = arm.joint("j1")
    assert j1.pose.z == pytest.approx(-0.5) and (j1.lower, j1.upper) == (-1.0, 1.0)
    assert np.allclose(j1.axis, (1, 0, 0))
    assert w.link_world_pose("arm", "upper").z == pytest.approx(1.0)
    assert w.model("quat").pose.yaw == pytest.approx(math.pi / 2)


@pytest.mark.parametrize(
    "bad, match",
    [
        ("<include><uri>model://x</uri></include>", "include"),
        (
            "<model name='m'><link name='l'><visual name='v'><geometry><mesh><uri>a.dae</uri></mesh></geometry>"
            "</visual></link></model>",
            "mesh",
        ),
        ("<model name='m'><link name='l'/><link name='l'/></model>", "duplicate"),
        (
            "<model name='m'><link name='l'/><joint name='j' type='revolute'><parent>world</parent>"
            "<child>nope</child></joint></model>",
            "nope",
        ),
        (
            "<model name='m'><link name='l'><sensor name='s' type='contact'><contact><collision>c</collision>"
            "</contact></sensor></link></model>",
            "unknown collision",
        ),
        ("<model name='m'><link name='l'><pose relative_to='ghost'>0 0 0 0 0 0</pose></link></model>", "ghost"),
        ("<model name='m'><model name='n'/></model>", "nested"),
    ],
)
def test_parser_rejects_unsupported_or_broken(bad, match):
    with pytest.raises(SdfError, match=match):
        parse_sdf_string(f"<sdf version='1.9'><world name='w'>{bad}</world></sdf>")


def test_rotation_helpers_round_trip():
    rng = np.random.default_rng(3)
    for _ in range(50):
        r, p, y = rng.uniform(-3, 3), rng.uniform(-1.5, 1.5), rng.uniform(-3, 3)
        pose = Pose(0.1, 0.2, 0.3, r, p, y)
        back = Pose.from_matrix(pose.to_matrix())
        assert np.allclose(back.to_matrix(), pose.to_matrix())
        w_, x_, y_, z_ = matrix_to_quat(rpy_to_matrix(r, p, y))
        assert w_ >= 0 and math.isclose(w_ * w_ + x_ * x_ + y_ * y_ + z_ * z_, 1.0)
    look = Pose.look_at((0, 0, 1), (1, 1, 1 - math.sqrt(2)))
    fwd = look.rotation[:, 0]
    assert np.allclose(fwd, np.array([1, 1, -math.sqrt(2)]) / 2)
