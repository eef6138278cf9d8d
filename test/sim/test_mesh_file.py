"""Mesh files in SDF worlds (hebbian_ros.sim.mesh_file): URIs resolved as Gazebo does, vertices as MuJoCo loads them."""

import os
import struct

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco
import numpy as np
import pytest
from meshes import CORNERS, TRIANGLES, obj_text, stl_bytes

from hebbian_ros.sim.mesh_file import MeshError, merged_obj, mesh_vertices, resolve_mesh_uri
from hebbian_ros.sim.mjcf import to_mjcf
from hebbian_ros.sim.sdf_world import SdfError, parse_sdf, parse_sdf_string


def world_with_mesh(uri: str, scale: str = "0.1 0.1 0.1") -> str:
    return f"""<sdf version='1.9'><world name='w'><model name='m'><static>true</static><link name='l'>
      <visual name='v'><geometry><mesh><uri>{uri}</uri><scale>{scale}</scale></mesh></geometry>
        <material><diffuse>1 0 0 1</diffuse></material></visual>
      <collision name='c'><geometry><mesh><uri>{uri}</uri><scale>{scale}</scale></mesh></geometry></collision>
    </link></model></world></sdf>"""


def test_a_mesh_uri_resolves_as_gazebo_resolves_it(tmp_path, monkeypatch):
    mesh = tmp_path / "models" / "crate" / "meshes" / "crate.obj"
    mesh.parent.mkdir(parents=True)
    mesh.write_text(obj_text())
    world_file = tmp_path / "models" / "crate" / "world.sdf"
    assert resolve_mesh_uri(f"file://{mesh}") == mesh
    assert resolve_mesh_uri(str(mesh)) == mesh
    assert resolve_mesh_uri("meshes/crate.obj", str(world_file)) == mesh
    monkeypatch.setenv("GZ_SIM_RESOURCE_PATH", f"/nowhere{os.pathsep}{tmp_path / 'models'}")
    assert resolve_mesh_uri("model://crate/meshes/crate.obj") == mesh


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("https://fuel.gazebosim.org/1.0/x/models/crate/meshes/crate.obj", "not fetched"),
        ("model://no_such_model/meshes/crate.obj", "not found under GZ_SIM_RESOURCE_PATH"),
        ("meshes/crate.dae", "loads .obj and .stl meshes only"),
        ("meshes/crate.obj", "needs the world's file"),
        ("/no/such/file.stl", "no file"),
        ("", "without <uri>"),
    ],
)
def test_a_mesh_uri_that_cannot_be_loaded_here_is_refused_with_the_reason(uri, match, monkeypatch):
    monkeypatch.delenv("GZ_SIM_RESOURCE_PATH", raising=False)
    with pytest.raises(MeshError, match=match):
        resolve_mesh_uri(uri)


def test_obj_binary_stl_and_ascii_stl_give_the_same_vertices(tmp_path):
    (tmp_path / "cube.obj").write_text(obj_text())
    (tmp_path / "cube.stl").write_bytes(stl_bytes(CORNERS, TRIANGLES))
    facets = "".join(
        "facet normal 0 0 0\nouter loop\n"
        + "".join(f"vertex {' '.join(map(str, CORNERS[i - 1]))}\n" for i in t)
        + "endloop\nendfacet\n"
        for t in TRIANGLES
    )
    (tmp_path / "ascii.stl").write_text(f"solid cube\n{facets}endsolid cube\n")
    corners = {tuple(v) for v in CORNERS}
    for name in ("cube.obj", "cube.stl", "ascii.stl"):
        vertices = mesh_vertices(tmp_path / name)
        assert {tuple(v) for v in vertices} == corners, name
        assert not vertices.flags.writeable  # cached: nobody may change it under the next caller


def test_a_mesh_without_usable_vertices_is_refused(tmp_path):
    (tmp_path / "empty.obj").write_text("# nothing\n")
    (tmp_path / "nan.obj").write_text("v 0 0 0\nv nan 1 0\nv 0 0 1\nf 1 2 3\n")
    (tmp_path / "short.stl").write_bytes(b"\0" * 80 + struct.pack("<I", 5) + b"\0" * 50)
    for name, match in (("empty.obj", "no vertices"), ("nan.obj", "not finite"), ("short.stl", "shorter")):
        with pytest.raises(MeshError, match=match):
            mesh_vertices(tmp_path / name)


def test_an_obj_of_several_parts_is_merged_and_one_part_is_left_alone(tmp_path):
    (tmp_path / "one.obj").write_text(obj_text(1))
    (tmp_path / "three.obj").write_text(obj_text(3))
    assert merged_obj(tmp_path / "one.obj") is None
    merged = merged_obj(tmp_path / "three.obj").decode()
    assert "o part" not in merged
    assert merged.count("\nf ") + merged.startswith("f ") == 36 and merged.count("v ") == 24


def test_a_world_with_a_mesh_parses_to_its_file_and_scaled_extent(tmp_path):
    (tmp_path / "meshes").mkdir()
    (tmp_path / "meshes" / "cube.obj").write_text(obj_text())
    world_file = tmp_path / "world.sdf"
    world_file.write_text(world_with_mesh("meshes/cube.obj", "0.1 0.2 0.3"))
    link = parse_sdf(world_file).model("m").links[0]
    geometry = link.visuals[0].geometry
    assert geometry.kind == "mesh" and geometry.uri == str(tmp_path / "meshes" / "cube.obj")
    assert geometry.scale == (0.1, 0.2, 0.3)
    assert link.collisions[0].geometry.half_extents() == pytest.approx((0.1, 0.2, 0.3))
    with pytest.raises(SdfError, match="m::l visual: mesh 'gone.obj'"):
        world_file.write_text(world_with_mesh("gone.obj"))
        parse_sdf(world_file)


def test_the_simulator_shows_every_part_of_a_mesh_as_gazebo_does(tmp_path):
    """MuJoCo reads an OBJ's first object only: three cubes must not render as one."""
    (tmp_path / "three.obj").write_text(obj_text(3))
    world = parse_sdf_string(world_with_mesh(f"file://{tmp_path / 'three.obj'}"))
    with pytest.raises(ValueError, match="several parts"):
        to_mjcf(world)
    assets: dict[str, bytes] = {}
    model = mujoco.MjModel.from_xml_string(to_mjcf(world, assets=assets), assets)
    assert model.nmesh == 1 and int(model.mesh_facenum[0]) == 36  # the visual and the collision share the asset
    direct = mujoco.MjModel.from_xml_string(
        f"<mujoco><asset><mesh name='m' file='{tmp_path / 'three.obj'}' inertia='shell'/></asset>"
        "<worldbody><geom type='mesh' mesh='m' contype='0' conaffinity='0'/></worldbody></mujoco>"
    )
    assert int(direct.mesh_facenum[0]) == 12  # what the file alone gives MuJoCo: the fix is needed
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    visual = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, "m::l::v::visual")
    span = model.geom_aabb[visual][3:] * 2  # the geom's box in its own (principal-axes) frame
    assert sorted(span) == pytest.approx(sorted([0.1, 0.1, 0.1 * (2 * 3 + 1)]), abs=1e-6)  # 3 cubes, 2 gaps of 2


def test_exploration_aims_at_a_mesh_where_it_is_not_at_its_file_origin(tmp_path):
    """A mesh need not be centred on its origin: the camera and the finger aim at its bounding box."""
    from hebbian_ros.sim.exploration import object_positions, object_tops

    (tmp_path / "cube.obj").write_text(obj_text())  # spans 0..1 on every axis: its origin is a corner
    text = world_with_mesh(f"file://{tmp_path / 'cube.obj'}").replace(
        "<static>true</static>", "<static>true</static><pose>1 2 0 0 0 0</pose>"
    )
    text = text.replace("</link>", "</link><plugin filename='gz-sim-label-system' name='gz::sim::systems::Label'>"
                        "<label>1</label></plugin>")  # fmt: skip
    world = parse_sdf_string(text)
    np.testing.assert_allclose(object_positions(world)["m"], [1.05, 2.05, 0.05], atol=1e-9)
    np.testing.assert_allclose(object_tops(world)["m"], [1.05, 2.05, 0.1], atol=1e-9)
