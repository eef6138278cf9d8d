"""Many procedurally generated objects: SDF worlds made at run time, rendered by the embedded simulator.

Each object is drawn deterministically from ``(seed, index)``: a family (box, cylinder, sphere, capsule =
cylinder + two spheres, striped box = 3-5 slabs of two colours, banded cylinder = 3-5 stacked discs of
two colours, compound of 2 or 3 parts, each its own colour) x colours (a palette of 12 hues at two
saturations plus white, grey and black) x size (about 5-16 cm) x a resting pose (yaw; cylinders and
capsules may lie on their side). The SDF -> MJCF converter has no textures, so patterns are made of
parts (stripes, bands, multi-coloured compounds). Worlds and renderers hold *distinct* objects by default
(:func:`distinct_specs`): the draws whose :func:`appearance` an earlier draw already had are skipped, since
the camera's distance follows an object's size and two red spheres are one image.

:func:`world_sdf` writes an SDFormat 1.9 world (same conventions as ``worlds/tabletop.sdf``: ground
plane, a sun, a 64x64 camera on the static ``camera_rig`` model, every object a static model with a
gz-sim Label plugin) that passes ``ign sdf -k`` and loads in Gazebo or in
:class:`~hebbian_ros.sim.simulator.EmbeddedSimulator`. Objects stand on a grid ``SPACING`` m apart, so
the camera sees one at a time.

:class:`ManyObjects` renders them for benchmarks and the demo: a few worlds of ``per_world`` objects
(one world in memory at a time, the camera moved between objects), the learning view of an object and
new views of it:

* ``same``: the learning view again;
* ``shift``: the camera moved sideways or up/down by 8 % of its distance (the object moves ~4 px);
* ``scale``: the camera 13 % closer or 15 % farther;
* ``rotation``: the camera rolled by +-10 deg;
* ``lighting``: the sun 40 % dimmer or brighter and turned by +-60 deg, ambient light x0.7 or x1.3;
* ``pose``: the object itself turned by +-30 deg about the vertical in the simulator (a new pose).

Frames are 64x64 RGB uint8 with the SDF camera's Gaussian noise (stddev 0.005), seeded per object and
view, so a frame does not depend on the order in which frames are rendered. Rendering (EGL, MuJoCo's
default 4x multisampling) ran at 110-200 frames/s on the shared 2-core machine, most of it in
``mjr_render``; fewer objects per world (25: +70 %) or ``model.vis.quality.offsamples = 0`` before the
first render (about 280/s) are faster but change the frames.

For the graph / a demo: ``write_world(path, n, seed)`` writes one world with n objects that
:func:`hebbian_ros.sim.exploration.camera_exploration` visits like the tabletop (labelled models, the
``camera_rig`` camera), e.g. ``EmbeddedSimulator(str(write_world("/tmp/many.sdf", 30)))``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from .mesh_file import mesh_vertices
from .sdf_world import Pose, World, parse_sdf_string, rpy_to_matrix

__all__ = [
    "FAMILIES",
    "KINDS",
    "Part",
    "ObjectSpec",
    "object_spec",
    "appearance",
    "distinct_specs",
    "mesh_object",
    "world_sdf",
    "write_world",
    "ManyObjects",
]

FAMILIES = ("box", "cylinder", "sphere", "capsule", "striped_box", "banded_cylinder", "compound2", "compound3")
KINDS = ("same", "shift", "scale", "rotation", "lighting", "pose")
#: the ``pose`` view: the object turned by this angle [deg] about the vertical, one way or the other (default)
POSE_TURN = 30.0
SPACING = 3.0  # m between objects on the grid
SIZE = 64  # camera image side [px]
ELEVATION = math.radians(45.0)  # camera above the horizontal, looking down at the object
CAMERA_NOISE = 0.005  # stddev of the camera's Gaussian noise (0..1 colour units), as in tabletop.sdf
GROUND_RGB = (0.45, 0.45, 0.45)

_HUES = np.arange(12) / 12.0


def _palette() -> list[tuple[float, float, float]]:
    import colorsys

    colours = [colorsys.hsv_to_rgb(float(h), s, v) for h in _HUES for s, v in ((0.9, 0.85), (0.5, 0.65))]
    return colours + [(0.92, 0.92, 0.9), (0.2, 0.2, 0.2), (0.05, 0.05, 0.05)]


PALETTE = _palette()


@dataclass(frozen=True)
class Part:
    """One visual of an object: geometry, pose in the object frame (origin on the ground), colour."""

    kind: str  # box | cylinder | sphere | mesh
    size: tuple[float, ...]  # box: full extents; cylinder: (radius, length); sphere: (radius,); mesh: its scale (3)
    pose: tuple[float, float, float, float, float, float]  # x y z roll pitch yaw
    rgb: tuple[float, float, float]
    mesh: str = ""  # mesh: the OBJ or STL file's absolute path


@dataclass(frozen=True)
class ObjectSpec:
    """A generated object: family, parts, yaw on the ground, height and radius of its bounding cylinder."""

    index: int
    family: str
    parts: tuple[Part, ...]
    yaw: float
    height: float
    radius: float


def _colour(rng: np.random.Generator, avoid: int | None = None) -> tuple[int, tuple[float, float, float]]:
    while True:
        i = int(rng.integers(len(PALETTE)))
        if i != avoid:
            return i, PALETTE[i]


def object_spec(index: int, seed: int = 0) -> ObjectSpec:
    """The object number ``index`` of the generator seeded ``seed`` (same arguments, same object)."""
    rng = np.random.default_rng([int(seed), int(index), 14])
    family = FAMILIES[int(rng.integers(len(FAMILIES)))]
    s = float(rng.uniform(0.05, 0.14))  # characteristic size [m]
    ci, c1 = _colour(rng)
    _, c2 = _colour(rng, avoid=ci)
    parts: list[Part] = []
    lying = family in ("cylinder", "capsule", "banded_cylinder") and rng.random() < 0.3
    if family == "box":
        w, d, h = s * rng.uniform(0.6, 1.4, size=3)
        parts.append(Part("box", (w, d, h), (0, 0, h / 2, 0, 0, 0), c1))
    elif family == "sphere":
        parts.append(Part("sphere", (s / 2,), (0, 0, s / 2, 0, 0, 0), c1))
    elif family in ("cylinder", "capsule", "banded_cylinder"):
        r = s * rng.uniform(0.25, 0.5)
        length = s * rng.uniform(0.8, 1.6)
        bands = int(rng.integers(3, 6)) if family == "banded_cylinder" else 1
        cap = r if family == "capsule" else 0.0
        # the object's axis: vertical, or lying along x (pitch 90 deg)
        centre_z = r if lying else length / 2 + cap
        for b in range(bands):
            seg = length / bands
            offset = -length / 2 + seg * (b + 0.5)
            x, z = (offset, centre_z) if lying else (0.0, centre_z + offset)
            pitch = math.pi / 2 if lying else 0.0
            parts.append(Part("cylinder", (r, seg), (x, 0, z, 0, pitch, 0), c1 if b % 2 == 0 else c2))
        if family == "capsule":
            for end in (-1, 1):
                x, z = (end * length / 2, centre_z) if lying else (0.0, centre_z + end * length / 2)
                parts.append(Part("sphere", (r,), (x, 0, z, 0, 0, 0), c1))
    elif family == "striped_box":
        w, d, h = s * rng.uniform(0.7, 1.4, size=3)
        stripes = int(rng.integers(3, 6))
        axis = int(rng.integers(3))  # stripes across x, y or z
        extents = [w, d, h]
        seg = extents[axis] / stripes
        for k in range(stripes):
            size = list(extents)
            size[axis] = seg
            centre = [0.0, 0.0, h / 2]
            centre[axis] += -extents[axis] / 2 + seg * (k + 0.5)
            parts.append(Part("box", tuple(size), (*centre, 0, 0, 0), c1 if k % 2 == 0 else c2))
    else:  # compound2 / compound3: primitives stacked or side by side, each its own colour
        count = 2 if family == "compound2" else 3
        z, x = 0.0, 0.0
        stacked = rng.random() < 0.5
        used = ci
        for k in range(count):
            kind = ("box", "cylinder", "sphere")[int(rng.integers(3))]
            a = s * rng.uniform(0.4, 0.8)
            colour = c1 if k == 0 else None
            if colour is None:
                used, colour = _colour(rng, avoid=used)
            if kind == "box":
                size: tuple[float, ...] = (a, a * rng.uniform(0.6, 1.3), a * rng.uniform(0.6, 1.3))
                h = size[2]
            elif kind == "cylinder":
                size = (a / 2, a * rng.uniform(0.6, 1.4))
                h = size[1]
            else:
                size = (a / 2,)
                h = a
            if stacked:
                parts.append(Part(kind, size, (0, 0, z + h / 2, 0, 0, 0), colour))
                z += h
            else:
                parts.append(Part(kind, size, (x, 0, h / 2, 0, 0, 0), colour))
                x += a * 0.9
        if not stacked:  # centre the row on the origin
            shift = x / 2 - s * 0.3
            parts = [Part(p.kind, p.size, (p.pose[0] - shift, *p.pose[1:]), p.rgb) for p in parts]
    height, radius = _extent(parts)
    return ObjectSpec(int(index), family, tuple(parts), float(rng.uniform(-math.pi, math.pi)), height, radius)


def appearance(spec: ObjectSpec) -> tuple:
    """What the camera can tell an object by: family, part kinds, part colours, lying or upright.

    The camera's distance follows an object's size, so two objects with the same appearance look alike up to
    their proportions (two red spheres are one image): twins, which no recogniser can tell apart.
    """
    lying = any(abs(p.pose[4]) > 0.1 for p in spec.parts)
    return (spec.family, tuple(p.kind for p in spec.parts), tuple(PALETTE.index(p.rgb) for p in spec.parts), lying)


@lru_cache(maxsize=8)
def _distinct_draws(count: int, seed: int) -> tuple[int, ...]:
    draws: list[int] = []
    seen: set[tuple] = set()
    draw = 0
    while len(draws) < count:
        if draw > 100 * count:  # the appearances run short (they number in the hundreds of thousands)
            raise ValueError(f"count: {count} distinct objects not found in {draw} draws")
        key = appearance(object_spec(draw, seed))
        if key not in seen:
            seen.add(key)
            draws.append(draw)
        draw += 1
    return tuple(draws)


def distinct_specs(count: int, seed: int = 0) -> list[ObjectSpec]:
    """``count`` objects of generator ``seed``, no two with the same :func:`appearance` (no twins).

    Object ``i`` is the ``i``-th draw whose appearance no earlier draw had, so the first objects do not depend
    on ``count``. The simple families run out first (27 spheres), so later objects are mostly patterned.
    """
    return [replace(object_spec(d, seed), index=i) for i, d in enumerate(_distinct_draws(int(count), int(seed)))]


def mesh_object(
    index: int, path: str | Path, rgb: tuple[float, float, float], scale: float, yaw: float, family: str = "mesh"
) -> ObjectSpec:
    """An object made of one mesh file (OBJ or STL), resting on the ground and centred on its vertical axis.

    The mesh keeps the orientation it has in its file; its bounding box's lowest point touches the ground and its
    middle is the object's origin, so the camera frames it as it frames a generated object of the same size.
    """
    path = Path(path).resolve()
    vertices = mesh_vertices(path) * scale
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    centre = (low + high) / 2
    part = Part("mesh", (scale, scale, scale), (-centre[0], -centre[1], -low[2], 0.0, 0.0, 0.0), rgb, str(path))
    height, radius = _extent([part])
    return ObjectSpec(int(index), family, (part,), float(yaw), height, radius)


def _extent(parts: list[Part]) -> tuple[float, float]:
    """Height and horizontal radius of a bounding cylinder about the object's vertical axis (generous)."""
    top, radius = 0.0, 0.0
    for p in parts:
        x, y, z, _, pitch, _ = p.pose
        if p.kind == "mesh":  # exact: the scaled vertices where the part's pose puts them
            points = mesh_vertices(p.mesh) * np.asarray(p.size) @ rpy_to_matrix(*p.pose[3:]).T + np.array(p.pose[:3])
            top = max(top, float(points[:, 2].max()))
            radius = max(radius, float(np.hypot(points[:, 0], points[:, 1]).max()))
            continue
        if p.kind == "box":
            half = 0.5 * math.sqrt(sum(v * v for v in p.size))
            top = max(top, z + p.size[2] / 2)
        elif p.kind == "cylinder":
            half = math.hypot(p.size[0], p.size[1] / 2)
            top = max(top, z + (p.size[0] if pitch else p.size[1] / 2))
        else:
            half = p.size[0]
            top = max(top, z + half)
        radius = max(radius, math.hypot(x, y) + half)
    return top, radius


# --- SDF ------------------------------------------------------------------------------------------


def _geometry(part: Part) -> str:
    f = " ".join
    if part.kind == "mesh":
        return f"<mesh><uri>file://{escape(part.mesh)}</uri><scale>{f(f'{v:.6g}' for v in part.size)}</scale></mesh>"
    if part.kind == "box":
        return f"<box><size>{f(f'{v:.5f}' for v in part.size)}</size></box>"
    if part.kind == "cylinder":
        return f"<cylinder><radius>{part.size[0]:.5f}</radius><length>{part.size[1]:.5f}</length></cylinder>"
    return f"<sphere><radius>{part.size[0]:.5f}</radius></sphere>"


def _vec(values) -> str:
    return " ".join(f"{float(v):.6g}" for v in values)


def _object_model(spec: ObjectSpec, position: tuple[float, float], label: int) -> str:
    visuals = []
    for k, part in enumerate(spec.parts):
        rgb = _vec(part.rgb)
        visuals.append(
            f"""        <visual name="part{k}">
          <pose>{_vec(part.pose)}</pose>
          <geometry>{_geometry(part)}</geometry>
          <material>
            <ambient>{rgb} 1</ambient>
            <diffuse>{rgb} 1</diffuse>
            <specular>0.2 0.2 0.2 1</specular>
          </material>
        </visual>"""
        )
    return f"""    <model name="object_{spec.index}">
      <static>true</static>
      <pose>{position[0]:.3f} {position[1]:.3f} 0 0 0 {spec.yaw:.6f}</pose>
      <link name="link">
{chr(10).join(visuals)}
      </link>
      <plugin filename="gz-sim-label-system" name="gz::sim::systems::Label">
        <label>{label}</label>
      </plugin>
    </model>
"""


def grid_positions(count: int) -> list[tuple[float, float]]:
    """Object positions: a square grid ``SPACING`` apart, row by row, starting at the origin."""
    side = max(1, math.ceil(math.sqrt(count)))
    return [(SPACING * (i % side), SPACING * (i // side)) for i in range(count)]


def world_sdf(specs: list[ObjectSpec], name: str = "many_objects") -> str:
    """SDFormat 1.9 world with ``specs`` on a grid (see module docstring); labels 1..len(specs) (<= 255)."""
    positions = grid_positions(len(specs) + 1)  # the last grid cell stays empty: the blank view
    extent = SPACING * (math.ceil(math.sqrt(len(specs) + 1)) + 2)
    models = "".join(_object_model(s, positions[k], 1 + k % 255) for k, s in enumerate(specs))
    ground = _vec(GROUND_RGB)
    return f"""<?xml version="1.0"?>
<!-- {escape(name)}: {len(specs)} generated objects (hebbian_ros.sim.many_objects; seed and indices in the model names).
     Made at run time; check with `ign sdf -k`. -->
<sdf version="1.9">
  <world name="{escape(name)}">
    <physics name="default_physics" default="true" type="ode">
      <max_step_size>0.002</max_step_size>
      <real_time_factor>1.0</real_time_factor>
    </physics>
    <gravity>0 0 -9.81</gravity>
    <plugin filename="gz-sim-physics-system" name="gz::sim::systems::Physics"/>
    <plugin filename="gz-sim-sensors-system" name="gz::sim::systems::Sensors">
      <render_engine>ogre2</render_engine>
    </plugin>
    <plugin filename="gz-sim-scene-broadcaster-system" name="gz::sim::systems::SceneBroadcaster"/>
    <plugin filename="gz-sim-user-commands-system" name="gz::sim::systems::UserCommands"/>
    <scene>
      <ambient>0.4 0.4 0.4 1</ambient>
      <background>0.65 0.7 0.75 1</background>
      <shadows>false</shadows>
      <grid>false</grid>
    </scene>
    <light type="directional" name="sun">
      <cast_shadows>false</cast_shadows>
      <pose>0 0 10 0 0 0</pose>
      <diffuse>0.8 0.8 0.8 1</diffuse>
      <specular>0.2 0.2 0.2 1</specular>
      <direction>-0.3 0.2 -0.9</direction>
    </light>
    <model name="ground_plane">
      <static>true</static>
      <pose>{extent / 2 - SPACING:.3f} {extent / 2 - SPACING:.3f} 0 0 0 0</pose>
      <link name="link">
        <collision name="collision">
          <geometry><plane><normal>0 0 1</normal><size>{extent:.1f} {extent:.1f}</size></plane></geometry>
        </collision>
        <visual name="visual">
          <geometry><plane><normal>0 0 1</normal><size>{extent:.1f} {extent:.1f}</size></plane></geometry>
          <material>
            <ambient>{ground} 1</ambient>
            <diffuse>{ground} 1</diffuse>
            <specular>0.05 0.05 0.05 1</specular>
          </material>
        </visual>
      </link>
    </model>
{models}    <model name="camera_rig">
      <static>true</static>
      <pose>-1 -1 0.5 0 0.6 0</pose>
      <link name="camera_link">
        <sensor name="camera" type="camera">
          <always_on>true</always_on>
          <update_rate>30</update_rate>
          <visualize>false</visualize>
          <topic>camera/image_raw</topic>
          <camera name="camera">
            <horizontal_fov>1.047</horizontal_fov>
            <image>
              <width>{SIZE}</width>
              <height>{SIZE}</height>
              <format>R8G8B8</format>
            </image>
            <clip>
              <near>0.02</near>
              <far>20</far>
            </clip>
            <noise>
              <type>gaussian</type>
              <mean>0</mean>
              <stddev>{CAMERA_NOISE}</stddev>
            </noise>
          </camera>
        </sensor>
      </link>
    </model>
  </world>
</sdf>
"""


def write_world(path: str | Path, count: int, seed: int = 0, first: int = 0, distinct: bool = True) -> Path:
    """Write a world of objects ``first .. first+count-1`` of generator ``seed`` to ``path`` (for Gazebo/the demo).

    :param distinct: no two objects with the same appearance (:func:`distinct_specs`); False keeps every draw.
    """
    path = Path(path)
    if distinct:
        specs = distinct_specs(first + count, seed)[first:]
    else:
        specs = [object_spec(i, seed) for i in range(first, first + count)]
    path.write_text(world_sdf(specs, name=f"many_objects_s{seed}_{first}_{first + count}"))
    return path


# --- rendering ------------------------------------------------------------------------------------


class ManyObjects:
    """Renders generated objects: learning view, new views (module docstring), blank view.

    :param count: objects 0 .. count-1 of generator ``seed``.
    :param per_world: objects per generated world (one world is kept in memory at a time).
    :param distinct: no two objects with the same appearance (:func:`distinct_specs`); False keeps every draw,
        twins included.
    :param pose_turn: the ``pose`` view's turn [deg], one way or the other (drawn per object).
    :param specs: render these objects (e.g. :func:`mesh_object` s) instead of the generator's; ``count`` must be
        their number, and ``seed`` still seeds the views.
    """

    def __init__(
        self,
        count: int,
        seed: int = 0,
        per_world: int = 100,
        distinct: bool = True,
        pose_turn: float = POSE_TURN,
        specs: Sequence[ObjectSpec] | None = None,
    ) -> None:
        self.count = int(count)
        self.pose_turn = float(pose_turn)
        self.seed = int(seed)
        self.distinct = bool(distinct)
        if specs is not None and len(specs) != self.count:
            raise ValueError(f"specs: {len(specs)} objects given for count {self.count}")
        if specs is not None and [s.index for s in specs] != list(range(self.count)):
            raise ValueError("specs: object i must have index i (its model's name in the world)")
        self._specs = (
            list(specs) if specs is not None else distinct_specs(self.count, self.seed) if self.distinct else None
        )
        self.per_world = int(per_world)
        self._world_index = -1
        self._sim = None
        self._views: dict[tuple[int, int], dict[str, np.ndarray]] = {}
        self._blank: np.ndarray | None = None
        self.renders = 0
        self.worlds_built = 0

    def spec(self, index: int) -> ObjectSpec:
        if not 0 <= index < self.count:
            raise IndexError(f"object {index} outside 0..{self.count - 1}")
        return self._specs[index] if self._specs is not None else object_spec(index, self.seed)

    def world_text(self, world_index: int) -> str:
        first = world_index * self.per_world
        specs = [self.spec(i) for i in range(first, min(self.count, first + self.per_world))]
        return world_sdf(specs, name=f"many_objects_s{self.seed}_w{world_index}")

    def world(self, world_index: int) -> World:
        return parse_sdf_string(self.world_text(world_index))

    def _simulator(self, index: int):
        from .simulator import EmbeddedSimulator

        world_index = index // self.per_world
        if world_index != self._world_index:
            if self._sim is not None:
                self._sim.close()
            self._sim = EmbeddedSimulator(self.world(world_index), seed=self.seed, camera_noise=0.0)
            self._world_index = world_index
            self.worlds_built += 1
            self._lights = (
                self._sim.model.light_diffuse.copy(),
                self._sim.model.light_dir.copy(),
                self._sim.model.vis.headlight.ambient.copy(),
                self._sim.model.vis.headlight.diffuse.copy(),
            )
        return self._sim

    def _layout(self, world_index: int) -> list[tuple[float, float]]:
        """Grid positions of a world as :func:`world_sdf` laid it out (its objects, then the empty cell)."""
        objects = min(self.per_world, self.count - world_index * self.per_world)
        return grid_positions(objects + 1)

    def _target(self, index: int) -> np.ndarray:
        spec = self.spec(index)
        x, y = self._layout(index // self.per_world)[index % self.per_world]
        return np.array([x, y, spec.height / 2])

    def _distance(self, index: int) -> float:
        spec = self.spec(index)
        return 0.05 + 1.9 * max(spec.radius, spec.height / 2)

    def _render(self, index: int, kind: str, rng: np.random.Generator, turn: float = 0.0) -> np.ndarray:
        """One frame of object ``index`` under view ``kind``; ``turn`` [deg]: the object turned about the vertical
        (``pose`` draws its own)."""
        import mujoco

        sim = self._simulator(index)
        target = self._target(index)
        distance = self._distance(index)
        roll = 0.0
        forward = np.array([math.cos(ELEVATION), 0.0, -math.sin(ELEVATION)])  # camera looks along +x, down
        eye = target - distance * forward
        body = quat = None
        if kind == "pose":
            turn = float(rng.choice([-self.pose_turn, self.pose_turn]))
        if turn:
            body = mujoco.mj_name2id(sim.model, mujoco.mjtObj.mjOBJ_BODY, f"object_{index}")
            quat = sim.model.body_quat[body].copy()
            yaw = self.spec(index).yaw + math.radians(turn)
            sim.model.body_quat[body] = [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]
        if kind == "shift":
            side = (
                np.array([0.0, 1.0, 0.0])
                if rng.random() < 0.5
                else np.array([math.sin(ELEVATION), 0, math.cos(ELEVATION)])
            )
            eye = eye + float(rng.choice([-1.0, 1.0])) * 0.08 * distance * side
        elif kind == "scale":
            eye = target - float(rng.choice([0.87, 1.15])) * distance * forward
        elif kind == "rotation":
            roll = math.radians(float(rng.choice([-10.0, 10.0])))
        elif kind == "lighting":
            gain = float(rng.choice([0.6, 1.4]))
            light_turn = math.radians(float(rng.choice([-60.0, 60.0])))
            c, s = math.cos(light_turn), math.sin(light_turn)
            diffuse, direction, ambient, head = self._lights
            sim.model.light_diffuse[:] = np.clip(diffuse * gain, 0, 1)
            sim.model.light_dir[:] = direction @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])
            sim.model.vis.headlight.ambient[:] = np.clip(ambient * float(rng.choice([0.7, 1.3])), 0, 1)
            sim.model.vis.headlight.diffuse[:] = head
        elif kind not in ("same", "pose"):
            raise ValueError(f"unknown view kind {kind!r}; have {KINDS}")
        pose = Pose.look_at(eye, eye + forward)
        sim.set_camera_pose(Pose(pose.x, pose.y, pose.z, roll, pose.pitch, pose.yaw))  # runs mj_forward
        image = sim.render()
        self.renders += 1
        if kind == "lighting":
            diffuse, direction, ambient, head = self._lights
            sim.model.light_diffuse[:] = diffuse
            sim.model.light_dir[:] = direction
            sim.model.vis.headlight.ambient[:] = ambient
            sim.model.vis.headlight.diffuse[:] = head
        if body is not None:
            sim.model.body_quat[body] = quat
            mujoco.mj_forward(sim.model, sim.data)
        return _noisy(image, rng)

    def views(self, index: int, seed: int = 0) -> dict[str, np.ndarray]:
        """Every view kind of object ``index`` (rendered together, cached)."""
        key = (int(index), int(seed))
        if key not in self._views:
            self._views[key] = {
                kind: self._render(index, kind, np.random.default_rng([self.seed, index, seed, k]))
                for k, kind in enumerate(KINDS)
            }
        return self._views[key]

    def view(self, index: int, kind: str, seed: int = 0) -> np.ndarray:
        if kind not in KINDS:
            raise ValueError(f"unknown view kind {kind!r}; have {KINDS}")
        return self.views(index, seed)[kind]

    def learning_look(self, index: int, frames: int, seed: int = 0, turn: float = 0.0) -> np.ndarray:
        """``frames`` frames of the learning view, each jittered by up to +-1 px (fresh camera noise).

        ``turn`` [deg] > 0: the object turns steadily from ``-turn`` to ``+turn`` about the vertical during the look
        (a hand turning it, or the robot circling it), so the look holds views from several sides; the middle of the
        turn is the learning view's pose. The ``pose`` view (+-30 deg) stays beyond a turn below 30 deg.
        """
        if not 0.0 <= turn < 180.0:
            raise ValueError(f"turn: must be within [0, 180) degrees, got {turn}")
        if turn:
            return self._turning_look(index, frames, seed, turn)
        base = self.views(index, seed)["same"]
        rng = np.random.default_rng([self.seed, index, seed, 99])
        padded = np.pad(base, ((1, 1), (1, 1), (0, 0)), mode="edge")
        out = np.empty((frames, SIZE, SIZE, 3), np.uint8)
        for f, (dy, dx) in enumerate(rng.integers(-1, 2, size=(frames, 2))):
            out[f] = _noisy(padded[1 + dy : 1 + dy + SIZE, 1 + dx : 1 + dx + SIZE], rng)
        return out

    def _turning_look(self, index: int, frames: int, seed: int, turn: float) -> np.ndarray:
        rng = np.random.default_rng([self.seed, index, seed, 98])
        turns = np.linspace(-turn, turn, frames) if frames > 1 else np.zeros(1)
        return np.stack([self._render(index, "same", rng, float(t)) for t in turns])

    def blank(self) -> np.ndarray:
        """The camera looking at empty ground (the gap between two objects)."""
        if self._blank is None:
            world_index = max(self._world_index, 0)
            sim = self._simulator(world_index * self.per_world)
            layout = self._layout(world_index)
            x, y = layout[-1]
            target = np.array([x, y, 0.04])
            forward = np.array([math.cos(ELEVATION), 0.0, -math.sin(ELEVATION)])
            sim.set_camera_pose(Pose.look_at(target - 0.3 * forward, target))
            self._blank = sim.render()
        return self._blank

    def describe(self) -> dict:
        counts = dict.fromkeys(FAMILIES, 0)
        for i in range(min(self.count, 2000)):
            family = self.spec(i).family
            counts[family] = counts.get(family, 0) + 1
        return {
            "generator": "hebbian_ros.sim.many_objects",
            "objects": self.count,
            "seed": self.seed,
            "distinct": self.distinct,
            "per_world": self.per_world,
            "families": counts,
            "kinds": list(KINDS),
        }

    def close(self) -> None:
        if self._sim is not None:
            self._sim.close()
            self._sim = None
            self._world_index = -1


def _noisy(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(CAMERA_NOISE * 255.0)
    return np.clip(np.rint(image + noise), 0, 255).astype(np.uint8)
