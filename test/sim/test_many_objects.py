"""Generated many-object worlds (hebbian_ros.sim.many_objects): deterministic, valid SDF, distinct objects, new views."""

import shutil
import subprocess

import numpy as np
import pytest
from meshes import obj_text

from hebbian_ros.sim.many_objects import (
    FAMILIES,
    KINDS,
    ManyObjects,
    appearance,
    distinct_specs,
    mesh_object,
    object_spec,
    world_sdf,
    write_world,
)
from hebbian_ros.sim.sdf_world import parse_sdf, parse_sdf_string

IGN = shutil.which("ign")


def test_objects_and_worlds_are_deterministic_by_seed():
    assert object_spec(7, seed=3) == object_spec(7, seed=3)
    assert object_spec(7, seed=3) != object_spec(7, seed=4)
    assert object_spec(7, seed=3) != object_spec(8, seed=3)
    specs = [object_spec(i, 1) for i in range(40)]
    assert world_sdf(specs) == world_sdf([object_spec(i, 1) for i in range(40)])
    assert {s.family for s in [object_spec(i, 0) for i in range(200)]} == set(FAMILIES)


def test_raw_draws_repeat_appearances_and_distinct_objects_never_do():
    draws = [appearance(object_spec(i, 0)) for i in range(600)]
    assert len(set(draws)) < 550  # e.g. 27 colours make only 27 different spheres
    specs = distinct_specs(2000, 0)
    assert len({appearance(s) for s in specs}) == 2000
    assert [s.index for s in specs] == list(range(2000))
    assert distinct_specs(40, 0) == specs[:40]  # the first objects do not depend on how many are asked
    assert {s.family for s in specs[:200]} == set(FAMILIES)


def test_worlds_and_renderers_hold_distinct_objects_unless_asked_for_every_draw(tmp_path):
    distinct = parse_sdf(write_world(tmp_path / "d.sdf", 60, seed=0))
    every = parse_sdf(write_world(tmp_path / "e.sdf", 60, seed=0, distinct=False))
    assert len(distinct.labelled_models) == len(every.labelled_models) == 60
    assert ManyObjects(60, seed=0).spec(59) == distinct_specs(60, 0)[59]
    assert ManyObjects(60, seed=0, distinct=False).spec(59) == object_spec(59, 0)
    assert len({appearance(ManyObjects(600, seed=0, distinct=False).spec(i)) for i in range(600)}) < 600


def test_generated_world_parses_with_labelled_objects_and_a_camera(tmp_path):
    path = write_world(tmp_path / "many.sdf", 25, seed=2)
    world = parse_sdf(path)
    assert len(world.labelled_models) == 25
    assert [c.width for c in world.cameras] == [64]
    assert parse_sdf_string(path.read_text()).model("object_24").static


@pytest.mark.skipif(IGN is None, reason="`ign` binary absent (apt-get install ignition-tools libsdformat-dev)")
def test_generated_world_passes_ign_sdf_check(tmp_path):
    path = write_world(tmp_path / "many.sdf", 30, seed=5)
    r = subprocess.run([IGN, "sdf", "-k", str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "Valid." in r.stdout, r.stdout + r.stderr


@pytest.fixture(scope="module")
def rendered():
    objects = ManyObjects(12, seed=0, per_world=6)  # two worlds: the camera and the world switch
    views = {i: objects.views(i) for i in range(12)}
    look = objects.learning_look(3, 5)
    blank = objects.blank()
    again = ManyObjects(12, seed=0, per_world=6)
    views_again = {i: again.views(i) for i in (11, 4)}  # another order, same frames
    objects.close()
    again.close()
    return views, look, blank, views_again


def _foreground(image, blank):
    return np.abs(image.astype(int) - blank.astype(int)).sum(axis=2) > 60


def test_frames_are_deterministic_and_distinct_objects_differ(rendered):
    views, _, blank, views_again = rendered
    for i in (11, 4):
        for kind in KINDS:
            np.testing.assert_array_equal(views[i][kind], views_again[i][kind])
    same = [views[i]["same"].astype(np.float32) for i in range(12)]
    for i in range(12):
        assert _foreground(same[i], blank).mean() > 0.03  # the object is in view
        for j in range(i):
            assert np.abs(same[i] - same[j]).mean() > 3.0


def test_new_views_differ_but_keep_the_object(rendered):
    views, look, blank, _ = rendered
    assert look.shape == (5, 64, 64, 3) and look.dtype == np.uint8
    assert np.abs(look[0].astype(int) - views[3]["same"]).mean() < 8
    for i in range(12):
        base = views[i]["same"]
        mask = _foreground(base, blank)
        colour = np.median(base[mask], axis=0)
        for kind in KINDS[1:]:
            v = views[i][kind]
            assert np.abs(v.astype(int) - base).mean() > 1.0, (i, kind)
            if kind == "lighting":
                continue
            m = _foreground(v, blank)
            assert 0.4 < m.mean() / mask.mean() < 2.5, (i, kind)  # same object, about the same size
            assert np.abs(np.median(v[m], axis=0) - colour).max() < 60, (i, kind)


def test_a_world_with_fewer_objects_than_per_world_frames_each_object_as_a_full_one():
    """The last world of a renderer holds what is left; the camera must aim where that world put each object."""
    partial, full = ManyObjects(5, seed=0, per_world=12), ManyObjects(12, seed=0, per_world=12)
    try:
        for index in (3, 4):  # a 3 x 2 grid in the world of 5, a 4 x 4 one in the world of 12
            difference = np.abs(partial.view(index, "same").astype(int) - full.view(index, "same").astype(int))
            # 11.7 when the camera aimed where a full world would have put the object
            assert difference.mean() < 1.0, (index, difference.mean())
        empty = np.abs(partial.blank().astype(int) - full.blank().astype(int)).mean()
        assert empty < 1.0, empty
    finally:
        partial.close()
        full.close()


def test_a_turning_look_shows_the_object_from_both_sides_around_its_learning_pose():
    objects = ManyObjects(12, seed=0, per_world=12)
    try:
        box = next(i for i in range(12) if objects.spec(i).family in ("box", "striped_box", "compound2", "compound3"))
        still, turning = objects.learning_look(box, 5), objects.learning_look(box, 5, turn=20.0)
        same = objects.view(box, "same").astype(int)
        assert turning.shape == still.shape and turning.dtype == np.uint8
        ends = np.abs(turning[0].astype(int) - turning[-1]).mean()
        assert np.abs(turning[2].astype(int) - same).mean() < 0.5 * ends  # the middle frame: the learning pose
        assert min(np.abs(turning[k].astype(int) - same).mean() for k in (0, -1)) > 1.0  # both ends turned away
        np.testing.assert_array_equal(turning, objects.learning_look(box, 5, turn=20.0))  # deterministic
        again = ManyObjects(12, seed=0, per_world=12)
        again.learning_look(box, 3, turn=30.0)
        np.testing.assert_array_equal(again.view(box, "same"), same)  # the model is turned back after the look
        again.close()
        with pytest.raises(ValueError, match="turn"):
            objects.learning_look(box, 5, turn=-5.0)
    finally:
        objects.close()


def _mesh_objects(folder) -> list:
    """Three objects from mesh files: a cube, an L of two cubes (two OBJ parts), a bar lying along y."""
    (folder / "cube.obj").write_text(obj_text(1))
    (folder / "ell.obj").write_text(obj_text(2, gap=1.0))
    bar = obj_text(1).replace("v 0 1", "v 0 4").replace("v 1 1", "v 1 4")  # y from 0..1 to 0..4
    (folder / "bar.stl.obj").write_text(bar)
    colours = ((0.9, 0.2, 0.1), (0.1, 0.3, 0.9), (0.9, 0.9, 0.2))
    files = ("cube.obj", "ell.obj", "bar.stl.obj")
    return [mesh_object(i, folder / f, colours[i], scale=0.05, yaw=0.3 * i) for i, f in enumerate(files)]


def test_a_mesh_object_rests_on_the_ground_centred_on_its_axis(tmp_path):
    cube, ell, bar = _mesh_objects(tmp_path)
    assert cube.height == pytest.approx(0.05) and cube.radius == pytest.approx(0.05 / np.sqrt(2))
    assert ell.height == pytest.approx(0.05) and ell.radius == pytest.approx(np.hypot(0.05, 0.025))
    assert bar.radius == pytest.approx(np.hypot(0.025, 0.1))
    x, y, z = ell.parts[0].pose[:3]
    assert (x, y, z) == pytest.approx((-0.05, -0.025, 0.0))  # the two cubes' middle over the origin, on the ground


def test_mesh_objects_render_as_objects_of_their_own(tmp_path):
    specs = _mesh_objects(tmp_path)
    with pytest.raises(ValueError, match="count"):
        ManyObjects(2, specs=specs)
    objects = ManyObjects(3, seed=0, specs=specs)
    try:
        blank = objects.blank()
        same = [objects.view(i, "same") for i in range(3)]
        for i, image in enumerate(same):
            mask = _foreground(image, blank)
            assert mask.mean() > 0.03, i  # in view
            colour = np.median(image[mask], axis=0) / 255
            assert np.argmin(colour) == np.argmin(specs[i].parts[0].rgb), (i, colour)  # its own colour
            turned = objects.view(i, "pose")
            assert np.abs(turned.astype(int) - image).mean() > 0.5, i  # a new pose is a new image
        assert objects.describe()["families"]["mesh"] == 3
    finally:
        objects.close()


@pytest.mark.skipif(IGN is None, reason="`ign` binary absent (apt-get install ignition-tools libsdformat-dev)")
def test_a_world_of_mesh_objects_passes_ign_sdf_check(tmp_path):
    path = tmp_path / "meshes.sdf"
    path.write_text(world_sdf(_mesh_objects(tmp_path)))
    r = subprocess.run([IGN, "sdf", "-k", str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "Valid." in r.stdout, r.stdout + r.stderr
    assert parse_sdf(path).model("object_1").links[0].visuals[0].geometry.kind == "mesh"
