"""Convert a parsed SDF :class:`~hebbian_ros.sim.sdf_world.World` into MJCF XML.

Mapping (names are Gazebo-style scoped names, see the ``*_name`` helpers):

* every SDF model becomes a body ``<model>`` under ``<worldbody>`` at the model
  pose (``mocap="true"`` for models listed in ``mocap_models``, so their pose
  can be set at run time); every link becomes a body ``<model>::<link>``.
  Links of static models are welded inside the model body; in dynamic models
  joint children are nested under their parent link, links jointed to
  ``world`` sit in the model body and free root links become top-level bodies
  with a free joint (MuJoCo only allows free joints at the top level).
* visuals -> geoms (group 1, no collision, rgba = diffuse colour);
  collisions -> geoms (group 3, hidden in renders) named ``<model>::<link>::<collision>``.
* revolute / prismatic joints -> hinge / slide joints named ``<model>::<joint>``
  with limits, damping and friction; each gets a position actuator
  ``<model>::<joint>::position`` (or a velocity actuator), gains taken from a
  gz-sim JointPositionController plugin for that joint when present.
* camera sensors -> fixed cameras (Gazebo looks along +X with +Z up, MuJoCo
  along -Z with +Y up; fovy from horizontal_fov and the image aspect).
* contact sensors -> a box/cylinder/sphere site enclosing the contact
  collision plus a ``touch`` sensor, both named ``<model>::<link>::<sensor>``.
* ``link/gravity=false`` -> ``gravcomp="1"``; directional/point lights; scene
  background -> flat skybox; shadows are disabled everywhere.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable

import numpy as np

from .mesh_file import merged_obj
from .sdf_world import CameraSensor, ContactSensor, Geometry, Joint, Link, Model, Pose, World, matrix_to_quat

__all__ = [
    "to_mjcf",
    "body_name",
    "geom_name",
    "visual_geom_name",
    "joint_name",
    "actuator_name",
    "sensor_name",
    "camera_quat_from_sdf",
    "SDF_TO_MJ_CAMERA",
    "CONTACT_SITE_MARGIN",
]

#: Columns are MuJoCo camera axes (x right, y up, z backwards) in the SDF sensor frame
#: (x forward, y left, z up).
SDF_TO_MJ_CAMERA = np.array([[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])

#: Margin (m) by which a contact-sensor site exceeds its collision geometry.
CONTACT_SITE_MARGIN = 0.004

_JPC_PLUGIN = "gz-sim-joint-position-controller-system"


def body_name(model: str, link: str | None = None) -> str:
    return model if link is None else f"{model}::{link}"


def geom_name(model: str, link: str, collision: str) -> str:
    return f"{model}::{link}::{collision}"


def visual_geom_name(model: str, link: str, visual: str) -> str:
    return f"{model}::{link}::{visual}::visual"


def joint_name(model: str, joint: str) -> str:
    return f"{model}::{joint}"


def actuator_name(model: str, joint: str, kind: str = "position") -> str:
    return f"{model}::{joint}::{kind}"


def sensor_name(model: str, link: str, sensor: str) -> str:
    """Name of the MJCF camera / site / touch sensor made from an SDF sensor."""
    return f"{model}::{link}::{sensor}"


def _fmt(values: Iterable[float]) -> str:
    out = []
    for v in values:
        v = float(v)
        if abs(v) < 1e-12:
            v = 0.0
        out.append(f"{v:.9g}")
    return " ".join(out)


def _set_pose(el: ET.Element, t: np.ndarray) -> None:
    if np.any(np.abs(t[:3, 3]) > 1e-12):
        el.set("pos", _fmt(t[:3, 3]))
    q = matrix_to_quat(t[:3, :3])
    if abs(q[0] - 1.0) > 1e-12:
        el.set("quat", _fmt(q))


def camera_quat_from_sdf(rot: np.ndarray):
    """MuJoCo camera quaternion (w x y z) for an SDF sensor frame rotation."""
    return matrix_to_quat(rot @ SDF_TO_MJ_CAMERA)


def _geom_attrs(el: ET.Element, g: Geometry, mesh: str | None = None) -> None:
    """Type and size of an MJCF geom for ``g``; ``mesh``: the name of ``g``'s mesh asset (a mesh geometry)."""
    if g.kind == "mesh":
        el.set("type", "mesh")
        el.set("mesh", mesh or "")
    elif g.kind == "box":
        el.set("type", "box")
        el.set("size", _fmt(s / 2 for s in g.size))
    elif g.kind == "cylinder":
        el.set("type", "cylinder")
        el.set("size", _fmt((g.radius, g.length / 2)))
    elif g.kind == "sphere":
        el.set("type", "sphere")
        el.set("size", _fmt((g.radius,)))
    elif g.kind == "plane":
        el.set("type", "plane")
        el.set("size", _fmt((g.size[0] / 2, g.size[1] / 2, 1.0)))
    else:  # pragma: no cover - parser rejects others
        raise ValueError(f"unsupported geometry {g.kind}")


def _plane_rotation(g: Geometry) -> np.ndarray:
    """Rotation taking +z onto the plane normal."""
    n = np.asarray(g.normal, dtype=float)
    n = n / np.linalg.norm(n)
    z = np.array([0.0, 0.0, 1.0])
    v = np.cross(z, n)
    c = float(np.dot(z, n))
    if np.linalg.norm(v) < 1e-12:
        return np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx * (1.0 / (1.0 + c))


def _geom_transform(pose: Pose, g: Geometry) -> np.ndarray:
    t = pose.to_matrix()
    if g.kind == "plane":
        t[:3, :3] = t[:3, :3] @ _plane_rotation(g)
    return t


def _jpc_params(model: Model) -> dict[str, dict[str, str]]:
    out = {}
    for p in model.plugins:
        if p.filename == _JPC_PLUGIN or p.name.endswith("::JointPositionController"):
            out[p.params.get("joint_name", "")] = p.params
    return out


class _Builder:
    def __init__(
        self,
        world: World,
        mocap_models: Iterable[str],
        actuator: str,
        default_kp: float,
        default_kv: float,
        assets: dict[str, bytes] | None = None,
    ):
        if actuator not in ("position", "velocity", "none"):
            raise ValueError("actuator must be 'position', 'velocity' or 'none'")
        self.world = world
        self.mocap = set(mocap_models)
        unknown = self.mocap - {m.name for m in world.models}
        if unknown:
            raise ValueError(f"mocap_models not in world: {sorted(unknown)}")
        self.actuator = actuator
        self.default_kp = default_kp
        self.default_kv = default_kv
        self.root = ET.Element("mujoco", model=world.name)
        self.actuators: list[ET.Element] = []
        self.materials: dict[tuple, str] = {}
        self.meshes: dict[tuple, str] = {}
        self.assets = assets
        self.emitted: set = set()
        self.asset: ET.Element | None = None
        self.sensors: list[ET.Element] = []

    # -- top-level sections -------------------------------------------------
    def header(self) -> None:
        w = self.world
        ET.SubElement(self.root, "compiler", angle="radian", autolimits="true", inertiafromgeom="false")
        opt = ET.SubElement(
            self.root, "option", timestep=f"{w.max_step_size:.9g}", gravity=_fmt(w.gravity), integrator="implicitfast"
        )
        ET.SubElement(opt, "flag", multiccd="enable")
        cams = self.world.cameras
        near = min([c.near for c in cams], default=0.05)
        far = max([c.far for c in cams], default=50.0)
        extent = 2.0
        # camera clip planes are fractions of stat.extent in MuJoCo
        ET.SubElement(self.root, "statistic", extent=f"{extent:g}", center="0 0 0.8")
        vis = ET.SubElement(self.root, "visual")
        offw = max([c.width for c in cams] + [640])
        offh = max([c.height for c in cams] + [480])
        ET.SubElement(vis, "global", offwidth=str(offw), offheight=str(offh))
        ET.SubElement(vis, "quality", shadowsize="0")
        ET.SubElement(vis, "map", znear=f"{near / extent:.9g}", zfar=f"{far / extent:.9g}")
        amb = w.ambient[:3]
        ET.SubElement(vis, "headlight", ambient=_fmt(amb), diffuse="0.15 0.15 0.15", specular="0 0 0")
        asset = self.asset = ET.SubElement(self.root, "asset")
        bg = _fmt(w.background[:3])
        ET.SubElement(
            asset,
            "texture",
            name="sdf_background",
            type="skybox",
            builtin="flat",
            rgb1=bg,
            rgb2=bg,
            width="16",
            height="16",
        )

    def material(self, mat) -> str:
        """MJCF material for an SDF material (rgba = diffuse, scalar specular)."""
        spec = 0.0 if mat.specular is None else float(np.mean(mat.specular[:3]))
        key = (tuple(mat.diffuse), round(spec, 6))
        if key not in self.materials:
            name = f"sdf_material_{len(self.materials)}"
            assert self.asset is not None
            ET.SubElement(
                self.asset, "material", name=name, rgba=_fmt(mat.diffuse), specular=f"{spec:.6g}", shininess="0.3"
            )
            self.materials[key] = name
        return self.materials[key]

    def mesh(self, g: Geometry) -> str | None:
        """MJCF mesh asset for a mesh geometry (one per file and scale); ``None`` for the other kinds.

        An OBJ file of several parts is handed to MuJoCo merged, from memory (:func:`merged_obj`): ``self.assets``.
        """
        if g.kind != "mesh":
            return None
        key = (g.uri, tuple(g.scale))
        if key not in self.meshes:
            name = f"sdf_mesh_{len(self.meshes)}"
            assert self.asset is not None
            merged = merged_obj(g.uri)
            if merged is not None and self.assets is None:
                raise ValueError(
                    f"mesh {g.uri}: an OBJ of several parts is loaded from memory; pass to_mjcf(assets={{}})"
                )
            file = g.uri
            if merged is not None:
                file = f"{name}.obj"
                self.assets[file] = merged
            # "shell": a visual's inertia is not used, and an open or thin mesh has no volume to compute one from
            ET.SubElement(self.asset, "mesh", name=name, file=file, scale=_fmt(g.scale), inertia="shell")
            self.meshes[key] = name
        return self.meshes[key]

    def lights(self, worldbody: ET.Element) -> None:
        for lt in self.world.lights:
            el = ET.SubElement(worldbody, "light", name=f"light::{lt.name}")
            el.set("castshadow", "false")
            el.set("diffuse", _fmt(lt.diffuse[:3]))
            el.set("specular", _fmt(lt.specular[:3]))
            d = lt.pose.rotation @ np.asarray(lt.direction, dtype=float)
            if lt.type == "directional":
                el.set("type", "directional")
                el.set("pos", _fmt(lt.pose.position))
                el.set("dir", _fmt(d / (np.linalg.norm(d) or 1.0)))
            elif lt.type == "spot":
                el.set("type", "spot")
                el.set("pos", _fmt(lt.pose.position))
                el.set("dir", _fmt(d / (np.linalg.norm(d) or 1.0)))
            else:
                el.set("type", "point")
                el.set("pos", _fmt(lt.pose.position))

    # -- bodies -------------------------------------------------------------
    def link_contents(self, body: ET.Element, model: Model, link: Link, dynamic: bool) -> None:
        if link.inertial is not None and dynamic:
            ine = link.inertial
            ixx, iyy, izz, ixy, ixz, iyz = ine.inertia
            tensor = np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])
            rot = ine.pose.rotation  # MJCF forbids quat together with fullinertia: rotate the tensor
            tensor = rot @ tensor @ rot.T
            ET.SubElement(
                body,
                "inertial",
                pos=_fmt(ine.pose.position),
                mass=f"{ine.mass:.9g}",
                fullinertia=_fmt((tensor[0, 0], tensor[1, 1], tensor[2, 2], tensor[0, 1], tensor[0, 2], tensor[1, 2])),
            )
        elif dynamic:  # SDF default inertial
            ET.SubElement(body, "inertial", pos="0 0 0", mass="1", diaginertia="1 1 1")
        if dynamic and not link.gravity:
            body.set("gravcomp", "1")
        for v in link.visuals:
            g = ET.SubElement(body, "geom", name=visual_geom_name(model.name, link.name, v.name))
            _geom_attrs(g, v.geometry, self.mesh(v.geometry))
            _set_pose(g, _geom_transform(v.pose, v.geometry))
            g.set("rgba", _fmt(v.material.diffuse))
            g.set("material", self.material(v.material))
            g.set("contype", "0")
            g.set("conaffinity", "0")
            g.set("group", "1")
        for c in link.collisions:
            g = ET.SubElement(body, "geom", name=geom_name(model.name, link.name, c.name))
            _geom_attrs(g, c.geometry, self.mesh(c.geometry))
            _set_pose(g, _geom_transform(c.pose, c.geometry))
            g.set("rgba", "0.5 0.5 0.5 0.4")
            g.set("group", "3")
            if c.mu is not None:
                g.set("friction", _fmt((c.mu, 0.005, 0.0001)))
        for s in link.sensors:
            sname = sensor_name(model.name, link.name, s.name)
            if isinstance(s, CameraSensor):
                cam = ET.SubElement(body, "camera", name=sname, mode="fixed")
                t = s.pose.to_matrix()
                cam.set("pos", _fmt(t[:3, 3]))
                cam.set("quat", _fmt(camera_quat_from_sdf(t[:3, :3])))
                cam.set("fovy", f"{math.degrees(s.vertical_fov):.9g}")
                cam.set("resolution", f"{s.width} {s.height}")
            elif isinstance(s, ContactSensor):
                col = link.collision(s.collision)
                site = ET.SubElement(body, "site", name=sname, group="4", rgba="0 1 0 0.3")
                g = col.geometry
                m = CONTACT_SITE_MARGIN
                if g.kind == "box":
                    site.set("type", "box")
                    site.set("size", _fmt(v / 2 + m for v in g.size))
                elif g.kind == "cylinder":
                    site.set("type", "cylinder")
                    site.set("size", _fmt((g.radius + m, g.length / 2 + m)))
                elif g.kind == "sphere":
                    site.set("type", "sphere")
                    site.set("size", _fmt((g.radius + m,)))
                else:
                    raise ValueError(f"contact sensor {s.name!r}: unsupported collision {g.kind}")
                _set_pose(site, col.pose.to_matrix())
                self.sensors.append(ET.Element("touch", name=sname, site=sname))

    def add_joint(self, body: ET.Element, model: Model, j: Joint, jpc: dict[str, dict[str, str]]) -> None:
        if j.type == "fixed":
            return
        jname = joint_name(model.name, j.name)
        el = ET.SubElement(body, "joint", name=jname, type="hinge" if j.type == "revolute" else "slide")
        if np.any(np.abs(j.pose.position) > 1e-12):
            el.set("pos", _fmt(j.pose.position))
        el.set("axis", _fmt(j.pose.rotation @ np.asarray(j.axis)))
        if j.lower is not None and j.upper is not None:
            el.set("range", _fmt((j.lower, j.upper)))
        if j.damping:
            el.set("damping", f"{j.damping:.9g}")
        if j.friction:
            el.set("frictionloss", f"{j.friction:.9g}")
        if self.actuator == "none":
            return
        p = jpc.get(j.name, {})
        kp = float(p.get("p_gain", self.default_kp))
        kv = float(p.get("d_gain", self.default_kv))
        if self.actuator == "position":
            act = ET.Element("position", name=actuator_name(model.name, j.name), joint=jname, kp=f"{kp:.9g}")
            if kv > 0:
                act.set("kv", f"{kv:.9g}")
            if j.lower is not None and j.upper is not None:
                act.set("ctrlrange", _fmt((j.lower, j.upper)))
        else:
            act = ET.Element(
                "velocity",
                name=actuator_name(model.name, j.name, "velocity"),
                joint=jname,
                kv=f"{max(kv, kp * 0.05, 1e-3):.9g}",
            )
            if j.velocity is not None:
                act.set("ctrlrange", _fmt((-j.velocity, j.velocity)))
        lo, hi = p.get("cmd_min"), p.get("cmd_max")
        if lo is not None and hi is not None:
            act.set("forcerange", _fmt((float(lo), float(hi))))
        elif j.effort is not None:
            act.set("forcerange", _fmt((-j.effort, j.effort)))
        self.actuators.append(act)

    def link_tree(
        self,
        parent_el: ET.Element,
        parent_t: np.ndarray,
        model: Model,
        link: Link,
        jpc: dict[str, dict[str, str]],
        dynamic: bool,
        extra_joint: str | None = None,
    ) -> None:
        """Add ``link`` (pose ``link.pose`` in the model frame) under a body whose
        model-frame transform is ``parent_t``, then its joint children."""
        t = np.linalg.inv(parent_t) @ link.pose.to_matrix()
        body = ET.SubElement(parent_el, "body", name=body_name(model.name, link.name))
        self.emitted.add(body.get("name"))
        _set_pose(body, t)
        if extra_joint == "free":
            ET.SubElement(body, "freejoint", name=joint_name(model.name, link.name + "::free"))
        pj = model.parent_joint(link.name) if dynamic else None
        if pj is not None:
            self.add_joint(body, model, pj, jpc)
        self.link_contents(body, model, link, dynamic)
        if dynamic:
            for j in model.joints:
                if j.parent == link.name:
                    self.link_tree(body, link.pose.to_matrix(), model, model.link(j.child), jpc, dynamic)

    def models(self, worldbody: ET.Element) -> None:
        for m in self.world.models:
            mbody = ET.SubElement(worldbody, "body", name=body_name(m.name))
            _set_pose(mbody, m.pose.to_matrix())
            if m.name in self.mocap:
                mbody.set("mocap", "true")
            jpc = _jpc_params(m)
            dynamic = not m.static
            if not dynamic:
                for lk in m.links:
                    self.link_tree(mbody, np.eye(4), m, lk, jpc, False)
                continue
            for lk in m.links:
                pj = m.parent_joint(lk.name)
                if pj is None:
                    if m.name in self.mocap:  # carried by the mocap body, welded
                        self.link_tree(mbody, np.eye(4), m, lk, jpc, True)
                    else:  # free-floating link: MuJoCo needs it at the top level
                        self.link_tree(
                            worldbody, np.linalg.inv(m.pose.to_matrix()), m, lk, jpc, True, extra_joint="free"
                        )
                elif pj.parent == "world":
                    self.link_tree(mbody, np.eye(4), m, lk, jpc, True)

    def build(self) -> str:
        self.header()
        worldbody = ET.SubElement(self.root, "worldbody")
        self.lights(worldbody)
        self.models(worldbody)
        missing = [
            body_name(m.name, lk.name)
            for m in self.world.models
            for lk in m.links
            if body_name(m.name, lk.name) not in self.emitted
        ]
        if missing:
            raise ValueError(f"links not reachable from a root link or world (joint cycle?): {missing}")
        if self.actuators:
            ET.SubElement(self.root, "actuator").extend(self.actuators)
        if self.sensors:
            ET.SubElement(self.root, "sensor").extend(self.sensors)
        ET.indent(self.root)
        return ET.tostring(self.root, encoding="unicode")


def to_mjcf(
    world: World,
    *,
    mocap_models: Iterable[str] = (),
    actuator: str = "position",
    default_kp: float = 100.0,
    default_kv: float = 10.0,
    assets: dict[str, bytes] | None = None,
) -> str:
    """Return an MJCF XML string for ``world``.

    ``mocap_models``: names of (static) models whose model body is made a mocap
    body so its pose can be set at run time (e.g. a camera rig).
    ``actuator``: 'position' (default), 'velocity' or 'none' for every
    revolute / prismatic joint of dynamic models.
    ``assets``: filled with the files the XML names that live in memory only (an OBJ
    mesh of several parts, merged); give them to ``MjModel.from_xml_string``. Without
    it such a mesh is refused.
    """
    return _Builder(world, mocap_models, actuator, default_kp, default_kv, assets).build()
