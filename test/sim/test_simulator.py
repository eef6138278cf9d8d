"""EmbeddedSimulator: headless rendering, determinism, touch pressure, timing."""

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hebbian_ros.sim.exploration import object_positions, object_tops
from hebbian_ros.sim.mjcf import geom_name
from hebbian_ros.sim.sdf_world import Pose, parse_sdf
from hebbian_ros.sim.simulator import EmbeddedSimulator, bin_contacts, world_path

DOMINANT = {"red_box": (0,), "green_cylinder": (1,), "blue_sphere": (2,), "yellow_box": (0, 1)}


@pytest.fixture(scope="module")
def table():
    sim = EmbeddedSimulator("tabletop", seed=7)
    yield sim
    sim.close()


@pytest.fixture()
def touch():
    sim = EmbeddedSimulator("touch", seed=0)
    yield sim
    sim.close()


def _view(sim, obj):
    c = object_positions(sim.world)[obj]
    sim.set_camera_pose(Pose.look_at(c + np.array([0.0, -0.22, 0.15]), c))
    return sim.render()


def test_world_lookup():
    assert world_path("tabletop").read_text() == (ROOT / "worlds" / "tabletop.sdf").read_text()
    assert world_path(ROOT / "worlds" / "touch.sdf") == ROOT / "worlds" / "touch.sdf"
    assert world_path("touch.sdf").name == "touch.sdf"
    with pytest.raises(FileNotFoundError):
        world_path("no_such_world")


def test_sensor_metadata_comes_from_sdf(table):
    assert list(table.cameras) == ["camera"]
    cam = table.cameras["camera"]
    assert (cam.topic, cam.update_rate, cam.width, cam.height) == ("camera/image_raw", 30.0, 64, 64)
    assert table.topics == {"camera": "camera/image_raw"}
    assert table.update_rates == {"camera": 30.0}
    sim = EmbeddedSimulator(parse_sdf(ROOT / "worlds" / "touch.sdf"))
    assert sim.topics == {"finger_contact": "touch/contacts"}
    assert sim.update_rates == {"finger_contact": 100.0}
    assert sim.contact_sensors["finger_contact"].collision == "tip_collision"
    assert sim.taxel_layouts["finger_contact"].half_extent == (0.02, 0.02)


def test_render_configured_size(table):
    img = table.render()
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    assert img.std() > 5  # not a blank frame
    img2 = table.render("camera")
    assert img2.shape == (64, 64, 3)
    with pytest.raises(KeyError):
        table.render("no_such_camera")


@pytest.mark.parametrize("obj", sorted(DOMINANT))
def test_object_in_view_dominates_image_centre(table, obj):
    img = _view(table, obj).astype(float)
    centre = img[24:40, 24:40].reshape(-1, 3).mean(axis=0)
    dom = DOMINANT[obj]
    others = [c for c in range(3) if c not in dom]
    assert min(centre[c] for c in dom) > 2.0 * max(centre[c] for c in others), (obj, centre)


def test_camera_pose_round_trip(table):
    target = Pose.look_at((0.1, -0.3, 1.1), (0.125, 0.0, 0.82))
    table.set_camera_pose(target)
    got = table.camera_pose()
    assert np.allclose(got.to_matrix(), target.to_matrix(), atol=1e-6)
    assert np.allclose(table.camera_model_pose(target).to_matrix(), target.to_matrix(), atol=1e-9)
    table.set_camera_pose((0.1, -0.3, 1.1, 0.0, 0.7, 1.57))  # plain tuples work too
    assert table.camera_pose().z == pytest.approx(1.1)


def _image_sequence(seed, noise=None):
    sim = EmbeddedSimulator("tabletop", seed=seed, camera_noise=noise)
    out = []
    for obj in ("red_box", "blue_sphere", "red_box"):
        out.append(_view(sim, obj).tobytes())
        sim.step(1 / 30)
    sim.close()
    return out


def test_same_seed_gives_byte_identical_images():
    a, b = _image_sequence(3), _image_sequence(3)
    assert a == b
    c = _image_sequence(4)
    assert a != c  # the seed drives the SDF gaussian image noise
    assert _image_sequence(3, noise=0.0) == _image_sequence(4, noise=0.0)


_CHILD = """
import hashlib, os, sys
os.environ.setdefault("MUJOCO_GL", "egl")
sys.path.insert(0, sys.argv[1])
import numpy as np
from hebbian_ros.sim.simulator import EmbeddedSimulator
from hebbian_ros.sim.sdf_world import Pose
sim = EmbeddedSimulator("tabletop", seed=11)
sim.set_camera_pose(Pose.look_at((-0.125, -0.22, 0.98), (-0.125, 0.0, 0.83)))
h = hashlib.sha256(sim.render().tobytes())
sim.step(0.1)
h.update(sim.render().tobytes())
sim.close()
print("HASH", h.hexdigest())
"""


def test_images_identical_across_processes():
    env = dict(os.environ)
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT)], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr
    sim = EmbeddedSimulator("tabletop", seed=11)
    sim.set_camera_pose(Pose.look_at((-0.125, -0.22, 0.98), (-0.125, 0.0, 0.83)))
    h = hashlib.sha256(sim.render().tobytes())
    sim.step(0.1)
    h.update(sim.render().tobytes())
    sim.close()
    hashes = [ln.split()[1] for ln in out.stdout.splitlines() if ln.startswith("HASH ")]
    assert hashes == [h.hexdigest()]


def test_step_keeps_exact_time(touch):
    assert touch.sim_time == 0.0
    for _ in range(30):
        touch.step(1 / 30)
    assert touch.sim_time == pytest.approx(1.0, abs=1e-9)
    assert touch.step() == 1
    touch.reset()
    assert touch.sim_time == 0.0


def _press(sim, obj, depth=0.01):
    x, y, top = object_tops(sim.world)[obj]
    sim.set_finger_target(x, y, top + 0.05)
    sim.step(0.6)
    assert sim.touch().sum() == 0.0
    sim.set_finger_target(x, y, top + 0.005 - depth)  # pad half thickness 5 mm
    sim.step(0.5)


def _contact_force_sum(sim):
    """Independent mj_contactForce sum over contacts on the tip collision."""
    m, d = sim.model, sim.data
    tip = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, geom_name("finger_rig", "finger", "tip_collision"))
    total, f = 0.0, np.zeros(6)
    for i in range(d.ncon):
        if tip in (d.contact[i].geom[0], d.contact[i].geom[1]):
            mujoco.mj_contactForce(m, d, i, f)
            total += f[0]
    return total


@pytest.mark.parametrize("obj", ["flat_box", "thin_cylinder", "sphere", "ridge"])
def test_press_gives_pressure_lift_gives_zero(touch, obj):
    _press(touch, obj)
    grid = touch.touch()
    assert grid.shape == (4, 4) and grid.dtype == np.float32
    total = float(grid.sum())
    assert 2.0 < total < 8.0  # ~ kp (400 N/m) * 1 cm
    assert total == pytest.approx(_contact_force_sum(touch), rel=1e-5)
    assert total == pytest.approx(touch.touch_sensor_reading(), rel=1e-5)  # MuJoCo touch sensor
    assert all(c.collision2.startswith(obj + "::") for c in touch.contacts())
    x, y, top = object_tops(touch.world)[obj]
    touch.set_finger_target(x, y, top + 0.05)
    touch.step(0.5)
    assert touch.touch().sum() == 0.0 and touch.touch_sensor_reading() == 0.0
    assert touch.contacts() == []


def test_taxel_patterns_differ_by_shape(touch):
    _press(touch, "sphere")
    sphere = touch.touch()
    _press(touch, "flat_box")
    box = touch.touch()
    assert np.count_nonzero(sphere) == 1  # a point contact
    assert np.count_nonzero(box) >= 4  # the whole pad rests on the box top
    assert not np.array_equal(sphere > 0, box > 0)


def test_gazebo_path_bins_world_contacts_the_same_way(touch):
    _press(touch, "ridge")
    lay = touch.taxel_layouts["finger_contact"]
    cps = touch.contacts()
    b = touch.model.body("finger_rig::finger").id
    link_pose = np.eye(4)
    link_pose[:3, :3] = touch.data.xmat[b].reshape(3, 3)
    link_pose[:3, 3] = touch.data.xpos[b]
    grid = lay.bin_world(np.array([c.position for c in cps]), np.array([c.normal_force for c in cps]), link_pose)
    assert np.array_equal(grid, touch.touch())


def test_bin_contacts_edges():
    g = bin_contacts(
        np.array([[-0.02, -0.02], [0.0199, 0.0199], [0.5, 0.0]]), np.array([1.0, 2.0, 3.0]), (0.02, 0.02), (4, 4)
    )
    assert g[0, 0] == 1.0 and g[3, 3] == 2.0 and g[2, 3] == 3.0 and g.sum() == 6.0
    assert bin_contacts(np.zeros((0, 3)), np.zeros(0), (0.02, 0.02), (2, 3)).shape == (2, 3)


def test_finger_target_reaches_position(touch):
    joints = touch.set_finger_target(0.2, -0.1, 0.95)
    assert joints == pytest.approx({"x_joint": 0.2, "y_joint": -0.1, "z_joint": -0.05})
    touch.step(1.0)
    assert np.allclose(touch.finger_position(), (0.2, -0.1, 0.95), atol=2e-3)
    clipped = touch.set_finger_target(5.0, 0.0, 1.0)  # beyond the x limit
    assert clipped["x_joint"] == pytest.approx(0.5)


def test_touch_is_deterministic():
    def run():
        sim = EmbeddedSimulator("touch", seed=1)
        _press(sim, "thin_cylinder")
        return sim.touch().tobytes(), sim.data.qpos.tobytes()

    assert run() == run()


def test_speed_report(table, record_property):
    """Measures render fps (64x64) and physics steps/s; loose floors only."""
    table.render()
    n = 200
    t0 = time.perf_counter()
    for _ in range(n):
        table.render()
    fps = n / (time.perf_counter() - t0)
    sim = EmbeddedSimulator("touch")
    sim.set_finger_target(0.1, 0.0, 0.8)
    t0 = time.perf_counter()
    steps = sim.step(2.0)
    sps = steps / (time.perf_counter() - t0)
    record_property("render_fps_64", round(fps))
    record_property("physics_steps_per_s", round(sps))
    print(f"\nrender {fps:.0f} fps at 64x64, physics {sps:.0f} steps/s")
    assert fps > 30 and sps > 5000
