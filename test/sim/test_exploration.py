"""Exploration schedules: deterministic, visit every object, contain repeats."""

import os
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hebbian_ros.sim.exploration import (
    ExplorationStep,
    camera_exploration,
    drive,
    model_aabb,
    object_positions,
    object_tops,
    per_object_counts,
    touch_exploration,
    turned_view,
    visit_order,
)
from hebbian_ros.sim.sdf_world import Pose, parse_sdf

TABLETOP = parse_sdf(ROOT / "worlds" / "tabletop.sdf")
TOUCH = parse_sdf(ROOT / "worlds" / "touch.sdf")


def _visits(steps):
    seq = []
    for st in steps:
        if not seq or seq[-1][0] != st.visit:
            seq.append((st.visit, st.obj))
    return [o for _, o in seq]


def test_expanding_order_mixes_novelty_and_familiarity():
    assert visit_order("ABCD") == list("ABACBADCBA")
    seq = visit_order("ABCD", rounds=3, seed=5)
    assert seq[:10] == list("ABACBADCBA") and len(seq) == 18
    assert Counter(seq[10:]) == Counter("ABCDABCD")
    assert visit_order("ABCD", rounds=3, seed=5) == seq
    assert all(a != b for a, b in zip(seq, seq[1:]))


def test_other_orders():
    assert visit_order("ABC", order="cyclic", rounds=2) == list("ABCABC")
    r1 = visit_order("ABCDE", order="random", rounds=4, seed=1)
    assert r1 == visit_order("ABCDE", order="random", rounds=4, seed=1)
    assert r1 != visit_order("ABCDE", order="random", rounds=4, seed=2)
    assert Counter(r1) == Counter("ABCDE" * 4)
    assert all(a != b for a, b in zip(r1, r1[1:]))
    for bad in (dict(order="spiral"), dict(rounds=0)):
        with pytest.raises(ValueError):
            visit_order("AB", **bad)
    with pytest.raises(ValueError):
        visit_order([])


def test_object_geometry():
    lo, hi = model_aabb(TABLETOP.model("red_box"))
    assert np.allclose(lo, (-0.415, -0.04, 0.78)) and np.allclose(hi, (-0.335, 0.04, 0.86))
    assert set(object_positions(TABLETOP)) == {"red_box", "green_cylinder", "blue_sphere", "yellow_box"}
    tops = object_tops(TOUCH)
    assert tops["flat_box"][2] == pytest.approx(0.82) and tops["sphere"][2] == pytest.approx(0.84)


def test_camera_schedule_deterministic_complete_with_repeats():
    kw = dict(frames_per_view=5, gap_frames=3, rounds=2, seed=9, jitter=0.01)
    steps = camera_exploration(TABLETOP, **kw)
    assert steps == camera_exploration(TABLETOP, **kw)
    assert steps != camera_exploration(TABLETOP, **{**kw, "seed": 10})
    assert all(isinstance(s, ExplorationStep) and isinstance(s.target, Pose) for s in steps)
    labels = {s.label for s in steps}
    assert labels == {None, "red_box", "green_cylinder", "blue_sphere", "yellow_box"}
    visits = _visits(steps)
    assert len(visits) > len(set(visits))  # repeats
    assert any(s.repeat > 0 for s in steps) and any(s.repeat == 0 and s.label for s in steps)
    counts = per_object_counts(steps)
    assert (
        counts["red_box"]["visits"] == visits.count("red_box")
        and counts["red_box"]["frames"] == 5 * counts["red_box"]["visits"]
    )
    # times: (index + 1) * dt, gaps before each view
    assert np.allclose([s.time for s in steps], (np.arange(len(steps)) + 1) / 30)
    assert [s.phase for s in steps[:8]] == ["gap"] * 3 + ["view"] * 5
    assert all((s.label is None) == (s.phase == "gap") for s in steps)
    # the labelled object is straight ahead of the camera
    centres = object_positions(TABLETOP)
    for s in steps:
        if s.label:
            to_obj = centres[s.label] - s.target.position
            fwd = s.target.rotation[:, 0]
            assert np.dot(fwd, to_obj / np.linalg.norm(to_obj)) > 0.99


def test_touch_schedule_deterministic_complete_with_repeats():
    steps = touch_exploration(TOUCH, press_frames=4, move_frames=2, lift_frames=2, gap_frames=2)
    assert steps == touch_exploration(TOUCH, press_frames=4, move_frames=2, lift_frames=2, gap_frames=2)
    assert {s.label for s in steps} == {None, "flat_box", "thin_cylinder", "sphere", "ridge"}
    visits = _visits(steps)
    assert len(visits) == 10 and len(set(visits)) == 4
    tops = object_tops(TOUCH)
    for s in steps:
        x, y, z = s.target
        if s.phase == "press":
            assert s.label == s.obj and z < tops[s.obj][2] + 0.005  # pad bottom below the top
            assert (x, y) == pytest.approx(tuple(tops[s.obj][:2]))
        else:
            assert s.label is None and z > max(t[2] for t in tops.values()) + 0.005
    explicit = touch_exploration({"a": (0, 0, 0.8), "b": (0.1, 0, 0.8)}, press_frames=1)
    assert _visits(explicit) == ["a", "b", "a"]


def test_drive_camera_schedule_sees_each_object():
    from hebbian_ros.sim.simulator import EmbeddedSimulator

    sim = EmbeddedSimulator("tabletop", seed=2)
    steps = camera_exploration(sim.world, frames_per_view=2, gap_frames=1)
    means = {}
    for st, img in drive(sim, steps):
        assert img.shape == (64, 64, 3)
        means.setdefault(st.label, []).append(img[24:40, 24:40].reshape(-1, 3).mean(axis=0))
    assert sim.sim_time == pytest.approx(steps[-1].time, abs=sim.timestep)
    red = np.mean(means["red_box"], axis=0)
    blue = np.mean(means["blue_sphere"], axis=0)
    gap = np.mean(means[None], axis=0)
    assert red[0] > 2 * red[1] and blue[2] > 2 * blue[0]
    assert np.ptp(gap) < 30  # blank grey table
    sim.close()


def test_drive_touch_schedule_presses_each_object():
    from hebbian_ros.sim.simulator import EmbeddedSimulator

    sim = EmbeddedSimulator("touch", seed=0)
    steps = touch_exploration(sim.world, press_frames=10, move_frames=10, lift_frames=6, gap_frames=6)
    pressed, idle, last = Counter(), [], {}
    for st, grid in drive(sim, steps):
        if st.phase == "press":
            last[st.visit] = (st.label, float(grid.sum()))  # end of each press
        elif st.phase == "gap":
            idle.append(grid.sum())
    for label, total in last.values():
        pressed[label] += total > 1.0
    assert pressed == Counter({"flat_box": 4, "thin_cylinder": 3, "sphere": 2, "ridge": 1})
    assert max(idle) == 0.0
    sim.close()


def test_view_fill_brings_objects_of_any_size_to_the_same_share_of_the_view(tmp_path):
    from hebbian_ros.sim.many_objects import write_world
    from hebbian_ros.sim.simulator import EmbeddedSimulator

    sim = EmbeddedSimulator(write_world(tmp_path / "objects.sdf", 8, seed=0), seed=1, camera_noise=0.0)
    fov = sim.world.cameras[0].vertical_fov
    centres = object_positions(sim.world)

    def extents(steps):
        background = None
        out = {}
        for st, img in drive(sim, steps):
            img = img.astype(np.float32)
            if st.label is None:
                background = img
            elif st.label not in out:
                rows, cols = np.nonzero(np.abs(img - background).max(axis=2) > 24)
                out[st.label] = max(np.ptp(rows), np.ptp(cols)) / img.shape[0]  # the object's extent in the view
        return out

    kw = dict(frames_per_view=1, gap_frames=1, order="cyclic")
    fixed = extents(camera_exploration(sim.world, **kw))
    filled = extents(camera_exploration(sim.world, view_fill=0.7, fov=fov, **kw))
    fixed, filled = np.array(list(fixed.values())), np.array(list(filled.values()))
    assert np.ptp(filled) < 0.7 * np.ptp(fixed) and filled.min() > fixed.min() + 0.1  # 0.30-0.75 -> 0.52-0.78
    for st in camera_exploration(sim.world, view_fill=0.7, fov=fov, **kw):
        if st.label:
            lo, hi = model_aabb(sim.world.model(st.label))
            distance = np.linalg.norm(centres[st.label] - st.target.position)
            expected = max(np.max(hi - lo) / (2 * np.tan(fov / 2) * 0.7), 0.15)
            assert distance == pytest.approx(expected, rel=1e-6)
    for bad in (dict(view_fill=1.5), dict(view_fill=-0.1), dict(view_fill=0.5, fov=0.0)):
        with pytest.raises(ValueError):
            camera_exploration(sim.world, **bad)
    with pytest.raises(ValueError, match="parsed world"):
        camera_exploration({"a": (0.0, 0.0, 0.0)}, view_fill=0.5)
    sim.close()


def test_an_orbit_circles_each_object_about_the_vertical_through_its_centre():
    centre = np.array([1.0, 2.0, 0.1])
    still = camera_exploration({"a": tuple(centre)}, frames_per_view=5, gap_frames=0)
    circling = camera_exploration({"a": tuple(centre)}, frames_per_view=5, gap_frames=0, orbit=20.0)
    eyes = np.array([[st.target.x, st.target.y, st.target.z] for st in circling]) - centre
    offset = np.array([still[0].target.x, still[0].target.y, still[0].target.z]) - centre
    np.testing.assert_allclose(np.linalg.norm(eyes, axis=1), np.linalg.norm(offset), rtol=1e-9)  # same distance
    np.testing.assert_allclose(eyes[:, 2], offset[2])  # same height
    np.testing.assert_allclose(eyes[2], offset, atol=1e-12)  # the middle frame: the visit's viewpoint
    angles = np.degrees(np.arctan2(eyes[:, 1], eyes[:, 0]) - np.arctan2(offset[1], offset[0]))
    np.testing.assert_allclose(angles, [-20.0, -10.0, 0.0, 10.0, 20.0], atol=1e-9)
    for st in circling:  # still looking at the object
        forward = st.target.to_matrix()[:3, 0]
        to_object = centre - np.array([st.target.x, st.target.y, st.target.z])
        assert forward @ to_object / np.linalg.norm(to_object) > 0.999
    with pytest.raises(ValueError, match="orbit"):
        camera_exploration({"a": tuple(centre)}, orbit=180.0)


def _bearing(pose: Pose, centre: np.ndarray) -> float:
    """Degrees of the camera's bearing about the vertical through ``centre``."""
    offset = pose.position - centre
    return float(np.degrees(np.arctan2(offset[1], offset[0])))


def test_a_revisit_turn_shows_known_objects_from_a_new_side_and_first_visits_as_before():
    centre = np.array([1.0, 2.0, 0.1])
    still = camera_exploration({"a": tuple(centre), "b": (2.0, 2.0, 0.1)}, frames_per_view=3, gap_frames=1)
    turned = camera_exploration(
        {"a": tuple(centre), "b": (2.0, 2.0, 0.1)}, frames_per_view=3, gap_frames=1, revisit_turn=30.0
    )
    assert [s[2:] for s in still] == [s[2:] for s in turned]  # the same visits, labels and phases
    for before, after in zip(still, turned):
        if after.phase == "view" and after.obj == "a":
            expected = 30.0 if after.repeat > 0 else 0.0
            assert _bearing(after.target, centre) - _bearing(before.target, centre) == pytest.approx(expected)
            assert np.linalg.norm(after.target.position - centre) == pytest.approx(
                np.linalg.norm(before.target.position - centre)
            )
        elif after.phase == "gap":
            assert after.target == before.target
    assert any(s.repeat > 0 and s.obj == "a" and s.phase == "view" for s in turned)
    with pytest.raises(ValueError, match="revisit_turn"):
        camera_exploration({"a": tuple(centre)}, revisit_turn=180.0)


def test_turned_view_circles_the_centre_and_keeps_looking_at_it():
    centre = np.array([0.5, -0.2, 0.05])
    view = Pose.look_at(centre + np.array([0.0, -0.3, 0.2]), centre)
    assert turned_view(view, centre, 0.0) is view
    for degrees in (-45.0, 20.0, 90.0):
        turned = turned_view(view, centre, degrees)
        assert _bearing(turned, centre) - _bearing(view, centre) == pytest.approx(degrees)
        assert turned.z == pytest.approx(view.z)
        forward = turned.to_matrix()[:3, 0]
        to_centre = centre - turned.position
        assert forward @ to_centre / np.linalg.norm(to_centre) == pytest.approx(1.0)
