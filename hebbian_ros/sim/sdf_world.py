"""Minimal SDFormat (1.7-1.9) world parser into small typed dataclasses.

Only what the hebbian_ros worlds need is supported: models (optionally
static) with links, visuals and collisions of box / cylinder / sphere / plane
/ mesh (OBJ or STL, :mod:`hebbian_ros.sim.mesh_file`) geometry, diffuse/ambient
material colours, inertials, fixed / revolute / prismatic joints (parent may be
``world``), camera and contact sensors, lights and plugins.  ``<include>`` and
nested models are rejected with an :class:`SdfError` rather than silently
ignored.

Poses are resolved while parsing, so every pose in the returned objects is
*canonical* (``relative_to`` is ``None``):

* :attr:`Model.pose` is in the world frame,
* :attr:`Link.pose` is in its model frame,
* visual / collision / sensor poses are in their link frame,
* :attr:`Joint.pose` is in the joint's child link frame and
  :attr:`Joint.axis` is expressed in the joint frame.

``relative_to`` may name ``world`` or another model (for model poses) and
``__model__``, a link or a joint of the same model (for everything inside a
model).  Only the xml standard library and numpy are used.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .mesh_file import MeshError, mesh_vertices, resolve_mesh_uri

__all__ = [
    "SdfError",
    "Pose",
    "Geometry",
    "Material",
    "Inertial",
    "Visual",
    "Collision",
    "Sensor",
    "CameraSensor",
    "ContactSensor",
    "Link",
    "Joint",
    "Plugin",
    "Light",
    "Model",
    "World",
    "parse_sdf",
    "parse_sdf_string",
    "rpy_to_matrix",
    "matrix_to_rpy",
    "matrix_to_quat",
    "LABEL_PLUGIN",
]

LABEL_PLUGIN = "gz-sim-label-system"

Vec3 = tuple[float, float, float]
RGBA = tuple[float, float, float, float]


class SdfError(ValueError):
    """Raised for SDF content this parser cannot (or will not) interpret."""


# ----------------------------------------------------------------------------
# rotations
# ----------------------------------------------------------------------------
def rpy_to_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """SDF convention: extrinsic X-Y-Z (R = Rz(yaw) @ Ry(pitch) @ Rx(roll))."""
    cr, sr = math.cos(roll), math.sin(roll)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    return np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )


def matrix_to_rpy(rot: np.ndarray) -> Vec3:
    """Inverse of :func:`rpy_to_matrix` (pitch in [-pi/2, pi/2])."""
    pitch = math.asin(max(-1.0, min(1.0, -rot[2, 0])))
    if abs(math.cos(pitch)) > 1e-9:
        roll = math.atan2(rot[2, 1], rot[2, 2])
        yaw = math.atan2(rot[1, 0], rot[0, 0])
    else:  # gimbal lock: put everything into yaw
        roll = 0.0
        yaw = math.atan2(-rot[0, 1], rot[1, 1])
    return (roll, pitch, yaw)


def matrix_to_quat(rot: np.ndarray) -> tuple[float, float, float, float]:
    """Rotation matrix -> unit quaternion (w, x, y, z) with w >= 0."""
    m = rot
    tr = m[0, 0] + m[1, 1] + m[2, 2]
    if tr > 0:
        s = math.sqrt(tr + 1.0) * 2
        q = (0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s)
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = ((m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s)
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = ((m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s)
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = ((m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s)
    qa = np.array(q, dtype=float)
    qa /= np.linalg.norm(qa)
    if qa[0] < 0:
        qa = -qa
    return tuple(float(v) for v in qa)  # type: ignore[return-value]


def _quat_xyzw_to_matrix(x: float, y: float, z: float, w: float) -> np.ndarray:
    n = math.sqrt(x * x + y * y + z * z + w * w) or 1.0
    x, y, z, w = x / n, y / n, z / n, w / n
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


# ----------------------------------------------------------------------------
# dataclasses
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Pose:
    """x y z roll pitch yaw (m, rad); ``relative_to`` only before resolution."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    roll: float = 0.0
    pitch: float = 0.0
    yaw: float = 0.0
    relative_to: str | None = None

    @property
    def position(self) -> np.ndarray:
        return np.array([self.x, self.y, self.z], dtype=float)

    @property
    def rotation(self) -> np.ndarray:
        return rpy_to_matrix(self.roll, self.pitch, self.yaw)

    def to_matrix(self) -> np.ndarray:
        """4x4 homogeneous transform."""
        t = np.eye(4)
        t[:3, :3] = self.rotation
        t[:3, 3] = self.position
        return t

    def quat(self) -> tuple[float, float, float, float]:
        """Orientation as quaternion (w, x, y, z)."""
        return matrix_to_quat(self.rotation)

    @classmethod
    def from_matrix(cls, t: np.ndarray) -> Pose:
        r, p, y = matrix_to_rpy(t[:3, :3])
        return cls(float(t[0, 3]), float(t[1, 3]), float(t[2, 3]), r, p, y)

    def __matmul__(self, other: Pose) -> Pose:
        return Pose.from_matrix(self.to_matrix() @ other.to_matrix())

    def inverse(self) -> Pose:
        return Pose.from_matrix(np.linalg.inv(self.to_matrix()))

    def as_tuple(self) -> tuple[float, float, float, float, float, float]:
        return (self.x, self.y, self.z, self.roll, self.pitch, self.yaw)

    @classmethod
    def look_at(cls, eye, target) -> Pose:
        """Pose at ``eye`` whose +X axis points at ``target`` (SDF camera
        convention: +X forward, +Z up, no roll)."""
        e = np.asarray(eye, dtype=float)
        f = np.asarray(target, dtype=float) - e
        n = float(np.linalg.norm(f))
        if n == 0.0:
            raise ValueError("look_at: eye and target coincide")
        f /= n
        yaw = math.atan2(f[1], f[0]) if math.hypot(f[0], f[1]) > 1e-12 else 0.0
        pitch = math.asin(max(-1.0, min(1.0, -f[2])))
        return cls(float(e[0]), float(e[1]), float(e[2]), 0.0, pitch, yaw)


IDENTITY = Pose()


@dataclass(frozen=True)
class Geometry:
    """``kind`` is box | cylinder | sphere | plane | mesh.

    box: ``size`` (full extents); cylinder: ``radius``, ``length`` (along z);
    sphere: ``radius``; plane: ``normal`` and ``size`` (2 values); mesh: ``uri`` (the file's absolute
    path, resolved while parsing) and ``scale``.
    """

    kind: str
    size: tuple[float, ...] = ()
    radius: float = 0.0
    length: float = 0.0
    normal: Vec3 = (0.0, 0.0, 1.0)
    uri: str = ""
    scale: Vec3 = (1.0, 1.0, 1.0)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The local axis-aligned bounding box (low, high corners); a mesh's need not be centred on its origin."""
        if self.kind == "mesh":
            vertices = mesh_vertices(self.uri) * np.asarray(self.scale)
            return vertices.min(axis=0), vertices.max(axis=0)
        half = np.asarray(self.half_extents(), float)
        return -half, half

    def half_extents(self) -> Vec3:
        """Half extents of the local axis-aligned bounding box (a mesh's: about its own origin, so it holds the mesh)."""
        if self.kind == "mesh":
            low, high = self.bounds()
            reach = np.maximum(-low, high)
            return (float(reach[0]), float(reach[1]), float(reach[2]))
        if self.kind == "box":
            return (self.size[0] / 2, self.size[1] / 2, self.size[2] / 2)
        if self.kind == "cylinder":
            return (self.radius, self.radius, self.length / 2)
        if self.kind == "sphere":
            return (self.radius, self.radius, self.radius)
        return (self.size[0] / 2, self.size[1] / 2, 0.0)  # plane


@dataclass(frozen=True)
class Material:
    diffuse: RGBA = (0.7, 0.7, 0.7, 1.0)
    ambient: RGBA | None = None
    specular: RGBA | None = None
    emissive: RGBA | None = None


@dataclass(frozen=True)
class Inertial:
    mass: float = 1.0
    pose: Pose = IDENTITY
    # ixx iyy izz ixy ixz iyz
    inertia: tuple[float, float, float, float, float, float] = (1.0, 1.0, 1.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Visual:
    name: str
    geometry: Geometry
    pose: Pose = IDENTITY
    material: Material = field(default_factory=Material)


@dataclass(frozen=True)
class Collision:
    name: str
    geometry: Geometry
    pose: Pose = IDENTITY
    mu: float | None = None


@dataclass(frozen=True)
class Sensor:
    """Any sensor; ``topic`` is ``None`` when the SDF leaves it to the default."""

    name: str
    type: str
    pose: Pose = IDENTITY
    topic: str | None = None
    update_rate: float = 0.0
    always_on: bool = False


@dataclass(frozen=True)
class CameraSensor(Sensor):
    horizontal_fov: float = 1.047
    width: int = 320
    height: int = 240
    format: str = "R8G8B8"
    near: float = 0.1
    far: float = 100.0
    noise_mean: float = 0.0
    noise_stddev: float = 0.0

    @property
    def aspect(self) -> float:
        return self.width / self.height

    @property
    def vertical_fov(self) -> float:
        """Vertical field of view (rad) for the image aspect ratio."""
        return 2.0 * math.atan(math.tan(self.horizontal_fov / 2.0) / self.aspect)


@dataclass(frozen=True)
class ContactSensor(Sensor):
    collision: str = ""


@dataclass
class Link:
    name: str
    pose: Pose = IDENTITY
    visuals: list[Visual] = field(default_factory=list)
    collisions: list[Collision] = field(default_factory=list)
    sensors: list[Sensor] = field(default_factory=list)
    inertial: Inertial | None = None
    gravity: bool = True
    kinematic: bool = False

    def collision(self, name: str) -> Collision:
        for c in self.collisions:
            if c.name == name:
                return c
        raise KeyError(f"link {self.name!r} has no collision {name!r}")


@dataclass(frozen=True)
class Joint:
    """``lower``/``upper`` are None when unlimited (or for fixed joints)."""

    name: str
    type: str
    parent: str
    child: str
    pose: Pose = IDENTITY
    axis: Vec3 = (0.0, 0.0, 1.0)
    lower: float | None = None
    upper: float | None = None
    effort: float | None = None
    velocity: float | None = None
    damping: float = 0.0
    friction: float = 0.0


@dataclass(frozen=True)
class Plugin:
    filename: str
    name: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Light:
    name: str
    type: str
    pose: Pose = IDENTITY
    diffuse: RGBA = (1.0, 1.0, 1.0, 1.0)
    specular: RGBA = (0.1, 0.1, 0.1, 1.0)
    direction: Vec3 = (0.0, 0.0, -1.0)
    cast_shadows: bool = False


@dataclass
class Model:
    name: str
    pose: Pose = IDENTITY
    static: bool = False
    links: list[Link] = field(default_factory=list)
    joints: list[Joint] = field(default_factory=list)
    plugins: list[Plugin] = field(default_factory=list)

    def link(self, name: str) -> Link:
        for lk in self.links:
            if lk.name == name:
                return lk
        raise KeyError(f"model {self.name!r} has no link {name!r}")

    def joint(self, name: str) -> Joint:
        for j in self.joints:
            if j.name == name:
                return j
        raise KeyError(f"model {self.name!r} has no joint {name!r}")

    @property
    def label(self) -> int | None:
        """Value of a gz-sim Label plugin on this model, if any."""
        for p in self.plugins:
            if p.filename == LABEL_PLUGIN or p.name.endswith("::Label"):
                try:
                    return int(p.params.get("label", ""))
                except ValueError:
                    return None
        return None

    def parent_joint(self, link_name: str) -> Joint | None:
        for j in self.joints:
            if j.child == link_name:
                return j
        return None


@dataclass
class World:
    name: str
    models: list[Model] = field(default_factory=list)
    lights: list[Light] = field(default_factory=list)
    plugins: list[Plugin] = field(default_factory=list)
    gravity: Vec3 = (0.0, 0.0, -9.8)
    max_step_size: float = 0.001
    ambient: RGBA = (0.4, 0.4, 0.4, 1.0)
    background: RGBA = (0.7, 0.7, 0.7, 1.0)
    source: str | None = None

    def model(self, name: str) -> Model:
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(f"world {self.name!r} has no model {name!r}")

    def link_world_pose(self, model: str, link: str) -> Pose:
        """Initial (all joints at zero) world pose of a link."""
        m = self.model(model)
        return m.pose @ m.link(link).pose

    def iter_sensors(self) -> Iterator[tuple[Model, Link, Sensor]]:
        for m in self.models:
            for lk in m.links:
                for s in lk.sensors:
                    yield m, lk, s

    @property
    def cameras(self) -> list[CameraSensor]:
        return [s for _, _, s in self.iter_sensors() if isinstance(s, CameraSensor)]

    @property
    def contact_sensors(self) -> list[ContactSensor]:
        return [s for _, _, s in self.iter_sensors() if isinstance(s, ContactSensor)]

    def find_sensor(self, name: str) -> tuple[Model, Link, Sensor]:
        for m, lk, s in self.iter_sensors():
            if s.name == name:
                return m, lk, s
        raise KeyError(f"world {self.name!r} has no sensor {name!r}")

    @property
    def labelled_models(self) -> list[Model]:
        """Models carrying a gz-sim Label plugin (the explorable objects)."""
        return [m for m in self.models if m.label is not None]


# ----------------------------------------------------------------------------
# parsing helpers
# ----------------------------------------------------------------------------
def _floats(text: str | None, n: int | None = None, what: str = "value") -> tuple[float, ...]:
    if text is None:
        raise SdfError(f"missing {what}")
    try:
        vals = tuple(float(v) for v in text.split())
    except ValueError as exc:
        raise SdfError(f"bad numbers in {what}: {text!r}") from exc
    if n is not None and len(vals) != n:
        raise SdfError(f"{what} needs {n} numbers, got {text!r}")
    return vals


def _text(el: ET.Element | None, tag: str, default: str | None = None) -> str | None:
    if el is None:
        return default
    child = el.find(tag)
    if child is None or child.text is None:
        return default
    return child.text.strip()


def _float(el: ET.Element | None, tag: str, default: float) -> float:
    t = _text(el, tag)
    return default if t is None else _floats(t, 1, tag)[0]


def _bool(el: ET.Element | None, tag: str, default: bool) -> bool:
    t = _text(el, tag)
    if t is None:
        return default
    t = t.lower()
    if t in ("1", "true"):
        return True
    if t in ("0", "false"):
        return False
    raise SdfError(f"bad boolean in <{tag}>: {t!r}")


def _rgba(el: ET.Element | None, tag: str) -> RGBA | None:
    t = _text(el, tag)
    if t is None:
        return None
    v = _floats(t, what=tag)
    if len(v) == 3:
        v = v + (1.0,)
    if len(v) != 4:
        raise SdfError(f"<{tag}> needs 3 or 4 numbers: {t!r}")
    return v  # type: ignore[return-value]


def _pose(el: ET.Element | None) -> Pose:
    """Parse the direct ``<pose>`` child of ``el`` (unresolved)."""
    pe = el.find("pose") if el is not None else None
    if pe is None:
        return IDENTITY
    rel = (pe.get("relative_to") or "").strip() or None
    vals = _floats(pe.text or "", what="pose")
    fmt = pe.get("rotation_format", "euler_rpy")
    if fmt == "quat_xyzw":
        if len(vals) != 7:
            raise SdfError(f"quat_xyzw pose needs 7 numbers: {pe.text!r}")
        t = np.eye(4)
        t[:3, :3] = _quat_xyzw_to_matrix(*vals[3:])
        t[:3, 3] = vals[:3]
        p = Pose.from_matrix(t)
        return Pose(*p.as_tuple(), relative_to=rel)
    if fmt != "euler_rpy" or len(vals) != 6:
        raise SdfError(f"pose needs 6 numbers (euler_rpy): {pe.text!r}")
    x, y, z, r, p_, yw = vals
    if (pe.get("degrees") or "").lower() in ("1", "true"):
        r, p_, yw = math.radians(r), math.radians(p_), math.radians(yw)
    return Pose(x, y, z, r, p_, yw, relative_to=rel)


def _geometry(el: ET.Element, owner: str, world_file: str | None) -> Geometry:
    g = el.find("geometry")
    if g is None or len(g) == 0:
        raise SdfError(f"{owner}: missing <geometry>")
    shape = g[0]
    if shape.tag == "box":
        return Geometry("box", size=_floats(_text(shape, "size", "1 1 1"), 3, f"{owner} box size"))
    if shape.tag == "cylinder":
        return Geometry("cylinder", radius=_float(shape, "radius", 0.5), length=_float(shape, "length", 1.0))
    if shape.tag == "sphere":
        return Geometry("sphere", radius=_float(shape, "radius", 1.0))
    if shape.tag == "plane":
        return Geometry(
            "plane",
            size=_floats(_text(shape, "size", "1 1"), 2, f"{owner} plane size"),
            normal=_floats(_text(shape, "normal", "0 0 1"), 3, f"{owner} plane normal"),  # type: ignore[arg-type]
        )
    if shape.tag == "mesh":
        if shape.find("submesh") is not None:
            raise SdfError(f"{owner}: mesh <submesh> is not supported; export the part as its own file")
        try:
            path = resolve_mesh_uri(_text(shape, "uri", "") or "", world_file)
            mesh_vertices(path)
        except (MeshError, OSError) as exc:
            raise SdfError(f"{owner}: {exc}") from exc
        scale = _floats(_text(shape, "scale", "1 1 1"), 3, f"{owner} mesh scale")
        return Geometry("mesh", uri=str(path), scale=scale)  # type: ignore[arg-type]
    raise SdfError(f"{owner}: unsupported geometry <{shape.tag}>")


def _material(el: ET.Element) -> Material:
    m = el.find("material")
    if m is None:
        return Material()
    diffuse = _rgba(m, "diffuse")
    ambient = _rgba(m, "ambient")
    return Material(
        diffuse=diffuse or ambient or Material().diffuse,
        ambient=ambient,
        specular=_rgba(m, "specular"),
        emissive=_rgba(m, "emissive"),
    )


def _plugin(el: ET.Element) -> Plugin:
    params = {c.tag: (c.text or "").strip() for c in el}
    return Plugin(filename=el.get("filename", ""), name=el.get("name", ""), params=params)


def _sensor(el: ET.Element, owner: str) -> Sensor:
    name = el.get("name")
    stype = el.get("type")
    if not name or not stype:
        raise SdfError(f"{owner}: sensor needs name and type attributes")
    topic = _text(el, "topic")
    if topic in ("", "__default__"):
        topic = None
    common = dict(
        name=name,
        type=stype,
        pose=_pose(el),
        topic=topic,
        update_rate=_float(el, "update_rate", 0.0),
        always_on=_bool(el, "always_on", False),
    )
    if stype == "camera":
        cam = el.find("camera")
        if cam is None:
            raise SdfError(f"{owner}: camera sensor {name!r} has no <camera>")
        img = cam.find("image")
        clip = cam.find("clip")
        noise = cam.find("noise")
        cam_pose = _pose(cam)
        if cam_pose.relative_to:
            raise SdfError(f"{owner}: relative_to on <camera><pose> is not supported")
        if cam_pose != IDENTITY:  # camera pose is relative to the sensor frame
            common["pose"] = Pose(
                *(common["pose"] @ cam_pose).as_tuple(),  # type: ignore[operator]
                relative_to=common["pose"].relative_to,
            )  # type: ignore[union-attr]
        return CameraSensor(
            **common,  # type: ignore[arg-type]
            horizontal_fov=_float(cam, "horizontal_fov", 1.047),
            width=int(_float(img, "width", 320)),
            height=int(_float(img, "height", 240)),
            format=_text(img, "format", "R8G8B8") or "R8G8B8",
            near=_float(clip, "near", 0.1),
            far=_float(clip, "far", 100.0),
            noise_mean=_float(noise, "mean", 0.0),
            noise_stddev=_float(noise, "stddev", 0.0),
        )
    if stype == "contact":
        con = el.find("contact")
        coll = _text(con, "collision")
        if not coll:
            raise SdfError(f"{owner}: contact sensor {name!r} has no <contact><collision>")
        if topic is None:
            t = _text(con, "topic")
            topic = None if t in (None, "", "__default_topic__") else t
            common["topic"] = topic
        return ContactSensor(**common, collision=coll)  # type: ignore[arg-type]
    return Sensor(**common)  # type: ignore[arg-type]


def _inertial(el: ET.Element) -> Inertial | None:
    ie = el.find("inertial")
    if ie is None:
        return None
    pose = _pose(ie)
    if pose.relative_to:
        raise SdfError("relative_to on <inertial><pose> is not supported")
    ine = ie.find("inertia")
    inertia = tuple(
        _float(ine, k, d)
        for k, d in (("ixx", 1.0), ("iyy", 1.0), ("izz", 1.0), ("ixy", 0.0), ("ixz", 0.0), ("iyz", 0.0))
    )
    return Inertial(mass=_float(ie, "mass", 1.0), pose=pose, inertia=inertia)  # type: ignore[arg-type]


def _check_unique(names: list[str], what: str) -> None:
    seen = set()
    for n in names:
        if n in seen:
            raise SdfError(f"duplicate {what} name {n!r}")
        seen.add(n)


class _ModelFrames:
    """Resolves model-scope frames (``__model__``, links, joints) to the model frame."""

    def __init__(self, model_name: str, link_poses: dict[str, Pose], joint_raw: dict[str, tuple[Pose, str]]):
        self.model_name = model_name
        self.link_raw = link_poses
        self.joint_raw = joint_raw
        self._cache: dict[str, np.ndarray] = {"__model__": np.eye(4)}
        self._busy: set = set()

    def frame(self, name: str) -> np.ndarray:
        if name in self._cache:
            return self._cache[name]
        if name in self._busy:
            raise SdfError(f"model {self.model_name!r}: cycle in pose relative_to graph at {name!r}")
        self._busy.add(name)
        if name in self.link_raw:
            raw = self.link_raw[name]
            base = self.frame(raw.relative_to) if raw.relative_to else np.eye(4)
        elif name in self.joint_raw:
            raw, child = self.joint_raw[name]
            base = self.frame(raw.relative_to or child)
        else:
            raise SdfError(f"model {self.model_name!r}: unknown frame {name!r} in relative_to")
        t = base @ raw.to_matrix()
        self._busy.discard(name)
        self._cache[name] = t
        return t

    def in_link(self, raw: Pose, link: str) -> Pose:
        """Resolve an element pose (default relative to ``link``) into the link frame."""
        if not raw.relative_to or raw.relative_to == link:
            return Pose(*raw.as_tuple())
        t = np.linalg.inv(self.frame(link)) @ self.frame(raw.relative_to) @ raw.to_matrix()
        return Pose.from_matrix(t)


def _model(el: ET.Element, world_file: str | None) -> tuple[Model, Pose]:
    name = el.get("name")
    if not name:
        raise SdfError("model without name")
    if el.find("model") is not None:
        raise SdfError(f"model {name!r}: nested models are not supported")
    if el.find("include") is not None:
        raise SdfError(f"model {name!r}: <include> is not supported")
    if el.find("frame") is not None:
        raise SdfError(f"model {name!r}: <frame> elements are not supported")
    link_els = el.findall("link")
    joint_els = el.findall("joint")
    _check_unique(
        [lk.get("name", "") for lk in link_els] + [j.get("name", "") for j in joint_els],
        f"link/joint in model {name!r}",
    )

    link_raw = {lk.get("name", ""): _pose(lk) for lk in link_els}
    joint_raw: dict[str, tuple[Pose, str]] = {}
    for j in joint_els:
        jname = j.get("name", "")
        child = _text(j, "child")
        parent = _text(j, "parent")
        if not child or not parent:
            raise SdfError(f"model {name!r}: joint {jname!r} needs <parent> and <child>")
        if child not in link_raw:
            raise SdfError(f"model {name!r}: joint {jname!r} child {child!r} is not a link of the model")
        if parent != "world" and parent not in link_raw:
            raise SdfError(f"model {name!r}: joint {jname!r} parent {parent!r} is not a link or world")
        joint_raw[jname] = (_pose(j), child)
    frames = _ModelFrames(name, link_raw, joint_raw)

    links: list[Link] = []
    for lk in link_els:
        lname = lk.get("name", "")
        owner = f"{name}::{lname}"
        _check_unique([v.get("name", "") for v in lk.findall("visual")], f"visual in {owner}")
        _check_unique([c.get("name", "") for c in lk.findall("collision")], f"collision in {owner}")
        visuals = [
            Visual(
                v.get("name", ""),
                _geometry(v, f"{owner} visual", world_file),
                frames.in_link(_pose(v), lname),
                _material(v),
            )
            for v in lk.findall("visual")
        ]
        collisions = []
        for c in lk.findall("collision"):
            mu = None
            fr = c.find("surface/friction/ode")
            if fr is not None and _text(fr, "mu") is not None:
                mu = _float(fr, "mu", 1.0)
            collisions.append(
                Collision(
                    c.get("name", ""),
                    _geometry(c, f"{owner} collision", world_file),
                    frames.in_link(_pose(c), lname),
                    mu,
                )
            )
        sensors = []
        for s in lk.findall("sensor"):
            sen = _sensor(s, owner)
            resolved = frames.in_link(sen.pose, lname)
            sensors.append(type(sen)(**{**sen.__dict__, "pose": resolved}))
        for s in sensors:
            if isinstance(s, ContactSensor) and s.collision not in {c.name for c in collisions}:
                raise SdfError(f"{owner}: contact sensor {s.name!r} names unknown collision {s.collision!r}")
        links.append(
            Link(
                name=lname,
                pose=Pose.from_matrix(frames.frame(lname)),
                visuals=visuals,
                collisions=collisions,
                sensors=sensors,
                inertial=_inertial(lk),
                gravity=_bool(lk, "gravity", True),
                kinematic=_bool(lk, "kinematic", False),
            )
        )

    joints: list[Joint] = []
    for j in joint_els:
        jname = j.get("name", "")
        jtype = j.get("type", "")
        if jtype not in ("fixed", "revolute", "prismatic", "continuous"):
            raise SdfError(f"model {name!r}: joint {jname!r} type {jtype!r} is not supported")
        raw, child = joint_raw[jname]
        pose_in_child = frames.in_link(raw if raw.relative_to else Pose(*raw.as_tuple(), relative_to=child), child)
        axis_el = j.find("axis")
        axis: Vec3 = (0.0, 0.0, 1.0)
        lower = upper = effort = velocity = None
        damping = friction = 0.0
        if axis_el is not None:
            xyz_el = axis_el.find("xyz")
            if xyz_el is not None:
                a = np.array(_floats(xyz_el.text, 3, f"joint {jname} axis"))
                if np.linalg.norm(a) == 0:
                    raise SdfError(f"joint {jname!r}: zero axis")
                a = a / np.linalg.norm(a)
                exp = (xyz_el.get("expressed_in") or "").strip()
                if exp:  # rotate from the named frame into the joint frame
                    r_joint = frames.frame(child)[:3, :3] @ pose_in_child.rotation
                    a = r_joint.T @ frames.frame(exp)[:3, :3] @ a
                axis = tuple(float(v) for v in a)  # type: ignore[assignment]
            lim = axis_el.find("limit")
            if lim is not None and jtype in ("revolute", "prismatic"):
                lo, hi = _float(lim, "lower", -1e16), _float(lim, "upper", 1e16)
                if lo > -1e15 and hi < 1e15:
                    lower, upper = lo, hi
                e = _float(lim, "effort", -1.0)
                effort = e if e >= 0 else None
                v = _float(lim, "velocity", -1.0)
                velocity = v if v >= 0 else None
            dyn = axis_el.find("dynamics")
            damping = _float(dyn, "damping", 0.0)
            friction = _float(dyn, "friction", 0.0)
        if jtype == "continuous":
            jtype = "revolute"
        joints.append(
            Joint(
                jname,
                jtype,
                _text(j, "parent") or "",
                child,
                pose_in_child,
                axis,
                lower,
                upper,
                effort,
                velocity,
                damping,
                friction,
            )
        )

    model = Model(
        name=name,
        static=_bool(el, "static", False),
        links=links,
        joints=joints,
        plugins=[_plugin(p) for p in el.findall("plugin")],
    )
    # a link may be the child of at most one joint (kinematic tree)
    _check_unique([j.child for j in joints], f"joint child link in model {name!r}")
    return model, _pose(el)


def _light(el: ET.Element) -> Light:
    pose = _pose(el)
    if pose.relative_to not in (None, "world"):
        raise SdfError(f"light {el.get('name')!r}: relative_to {pose.relative_to!r} not supported")
    return Light(
        name=el.get("name", ""),
        type=el.get("type", "point"),
        pose=Pose(*pose.as_tuple()),
        diffuse=_rgba(el, "diffuse") or (1.0, 1.0, 1.0, 1.0),
        specular=_rgba(el, "specular") or (0.1, 0.1, 0.1, 1.0),
        direction=_floats(_text(el, "direction", "0 0 -1"), 3, "light direction"),  # type: ignore[arg-type]
        cast_shadows=_bool(el, "cast_shadows", False),
    )


def _world(el: ET.Element, source: str | None) -> World:
    if el.find("include") is not None:
        raise SdfError("<include> is not supported; inline the model")
    scene = el.find("scene")
    physics = el.find("physics")
    world = World(
        name=el.get("name", "default"),
        gravity=_floats(_text(el, "gravity", "0 0 -9.8"), 3, "gravity"),  # type: ignore[arg-type]
        max_step_size=_float(physics, "max_step_size", 0.001),
        ambient=_rgba(scene, "ambient") or (0.4, 0.4, 0.4, 1.0),
        background=_rgba(scene, "background") or (0.7, 0.7, 0.7, 1.0),
        plugins=[_plugin(p) for p in el.findall("plugin")],
        lights=[_light(lt) for lt in el.findall("light")],
        source=source,
    )
    parsed = [_model(m, source) for m in el.findall("model")]
    _check_unique([m.name for m, _ in parsed], "model")
    raw = {m.name: p for m, p in parsed}
    resolved: dict[str, Pose] = {}

    def resolve(name: str, stack: tuple[str, ...] = ()) -> Pose:
        if name in resolved:
            return resolved[name]
        if name in stack:
            raise SdfError(f"cycle in model pose relative_to at {name!r}")
        p = raw[name]
        base = IDENTITY
        if p.relative_to and p.relative_to != "world":
            if p.relative_to not in raw:
                raise SdfError(f"model {name!r}: relative_to {p.relative_to!r} is not a model or world")
            base = resolve(p.relative_to, stack + (name,))
        resolved[name] = Pose.from_matrix(base.to_matrix() @ p.to_matrix())
        return resolved[name]

    for m, _ in parsed:
        m.pose = resolve(m.name)
        world.models.append(m)
    return world


def parse_sdf_string(text: str, source: str | None = None) -> World:
    """Parse SDF XML text holding exactly one ``<world>``."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise SdfError(f"XML error: {exc}") from exc
    if root.tag != "sdf":
        raise SdfError(f"root element is <{root.tag}>, expected <sdf>")
    worlds = root.findall("world")
    if len(worlds) != 1:
        raise SdfError(f"expected exactly one <world>, found {len(worlds)}")
    return _world(worlds[0], source)


def parse_sdf(path: str | Path) -> World:
    """Parse an SDF world file."""
    p = Path(path)
    return parse_sdf_string(p.read_text(), source=str(p))
