"""Embedded MuJoCo simulator for the hebbian_ros SDF worlds.

The SDF world is parsed and converted to MJCF at run time
(:mod:`hebbian_ros.sim.sdf_world` -> :mod:`hebbian_ros.sim.mjcf`), so the
worlds/*.sdf files are the single source of truth for Gazebo and for this
simulator.

Rendering is headless: unless ``MUJOCO_GL`` is already set, importing this
module selects ``egl`` when libEGL is present and ``osmesa`` otherwise
(this must happen before :mod:`mujoco` is first imported).  Shadows and
reflections are off.

Everything is deterministic: the same world, seed and call sequence give
byte-identical images and identical touch readings, also across processes.
The seed drives the camera image noise given by the SDF ``<noise>`` element.
"""

from __future__ import annotations

import atexit
import ctypes.util
import os
import sys
import weakref
from collections.abc import Sequence
from pathlib import Path


def _select_gl_backend() -> str | None:
    """Pick a headless MuJoCo GL backend if the user has not chosen one."""
    if os.environ.get("MUJOCO_GL"):
        return os.environ["MUJOCO_GL"]
    if "mujoco" in sys.modules:  # too late to choose; keep whatever mujoco uses
        return None
    for backend, lib in (("egl", "EGL"), ("osmesa", "OSMesa")):
        if ctypes.util.find_library(lib):
            os.environ["MUJOCO_GL"] = backend
            return backend
    os.environ["MUJOCO_GL"] = "egl"
    return "egl"


GL_BACKEND = _select_gl_backend()

import mujoco  # noqa: E402  (must follow the backend choice)
import numpy as np  # noqa: E402

from hebbian_ros.resources import world_file, worlds_dir  # noqa: E402

from .mjcf import (  # noqa: E402
    SDF_TO_MJ_CAMERA,
    actuator_name,
    body_name,
    camera_quat_from_sdf,
    geom_name,
    sensor_name,
    to_mjcf,
)
from .sdf_world import (  # noqa: E402
    CameraSensor,
    ContactSensor,
    Pose,
    World,
    matrix_to_quat,
    parse_sdf,
)
from .taxels import ContactPoint, TaxelLayout, bin_contacts  # noqa: E402  (re-exported)

__all__ = ["EmbeddedSimulator", "TaxelLayout", "ContactPoint", "bin_contacts", "world_path", "worlds_dir", "GL_BACKEND"]

PoseLike = Pose | Sequence[float]


def world_path(world: str | Path) -> Path:
    """Resolve ``'tabletop'``, ``'tabletop.sdf'`` or a path to an SDF file (see :mod:`hebbian_ros.resources`)."""
    return world_file(world)


class EmbeddedSimulator:
    """MuJoCo physics + headless rendering for one SDF world.

    Parameters
    ----------
    world: name (``'tabletop'``), path to an SDF file, or a parsed :class:`World`.
    seed: seeds the camera image noise (the only randomness).
    camera_noise: override the SDF camera noise stddev (in [0, 1] colour units;
        0 disables noise); ``None`` uses the SDF value.
    taxels: (rows, cols) of the touch grid.
    """

    def __init__(
        self,
        world: str | Path | World = "tabletop",
        *,
        seed: int = 0,
        camera_noise: float | None = None,
        taxels: tuple[int, int] = (4, 4),
    ):
        self.world: World = world if isinstance(world, World) else parse_sdf(world_path(world))
        self.seed = int(seed)
        self._noise_override = camera_noise
        self.taxel_shape = (int(taxels[0]), int(taxels[1]))

        # cameras on static models are driven through a mocap model body
        self._cam_info: dict[str, tuple[str, str, np.ndarray]] = {}
        mocap = set()
        self.cameras: dict[str, CameraSensor] = {}
        self.contact_sensors: dict[str, ContactSensor] = {}
        self.taxel_layouts: dict[str, TaxelLayout] = {}
        for m, lk, s in self.world.iter_sensors():
            if isinstance(s, CameraSensor):
                if s.name in self.cameras:
                    raise ValueError(f"duplicate camera sensor name {s.name!r}")
                self.cameras[s.name] = s
                # sensor frame in the model frame
                self._cam_info[s.name] = (m.name, lk.name, lk.pose.to_matrix() @ s.pose.to_matrix())
                if m.static:
                    mocap.add(m.name)
            elif isinstance(s, ContactSensor):
                if s.name in self.contact_sensors:
                    raise ValueError(f"duplicate contact sensor name {s.name!r}")
                self.contact_sensors[s.name] = s
                col = lk.collision(s.collision)
                he = col.geometry.half_extents()
                self.taxel_layouts[s.name] = TaxelLayout(
                    s.name, m.name, lk.name, col.name, col.pose, (he[0], he[1]), self.taxel_shape
                )
        self._mocap_models = mocap
        assets: dict[str, bytes] = {}
        self.mjcf: str = to_mjcf(self.world, mocap_models=sorted(mocap), assets=assets)
        self.model = mujoco.MjModel.from_xml_string(self.mjcf, assets)
        self.data = mujoco.MjData(self.model)
        self._cam_pos0 = self.model.cam_pos.copy()
        self._cam_quat0 = self.model.cam_quat.copy()
        self._renderers: dict[tuple[int, int], mujoco.Renderer] = {}
        _LIVE.add(self)
        self._scene_option = mujoco.MjvOption()
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self, seed: int | None = None) -> None:
        """Back to the initial state (time 0, joints at 0, SDF camera poses)."""
        if seed is not None:
            self.seed = int(seed)
        self._rng = np.random.default_rng(self.seed)
        mujoco.mj_resetData(self.model, self.data)
        self.model.cam_pos[:] = self._cam_pos0
        self.model.cam_quat[:] = self._cam_quat0
        self._nsteps = 0
        self._t_target = 0.0
        # position actuators hold the current joint positions
        for i in range(self.model.nu):
            if self.model.actuator_biastype[i] == mujoco.mjtBias.mjBIAS_AFFINE:
                jid = self.model.actuator_trnid[i, 0]
                self.data.ctrl[i] = self.data.qpos[self.model.jnt_qposadr[jid]]
        mujoco.mj_forward(self.model, self.data)

    @property
    def sim_time(self) -> float:
        """Simulated time (s)."""
        return float(self.data.time)

    @property
    def timestep(self) -> float:
        return float(self.model.opt.timestep)

    @property
    def topics(self) -> dict[str, str | None]:
        """Sensor name -> topic from the SDF."""
        out: dict[str, str | None] = {n: s.topic for n, s in self.cameras.items()}
        out.update({n: s.topic for n, s in self.contact_sensors.items()})
        return out

    @property
    def update_rates(self) -> dict[str, float]:
        """Sensor name -> update rate (Hz) from the SDF."""
        out = {n: s.update_rate for n, s in self.cameras.items()}
        out.update({n: s.update_rate for n, s in self.contact_sensors.items()})
        return out

    def step(self, dt: float | None = None) -> int:
        """Advance physics by ``dt`` seconds (default: one physics step).

        Time is tracked in whole physics steps without drift: ``step(1/30)``
        thirty times advances exactly 1 s (500 steps of 2 ms).
        Returns the number of physics steps taken.
        """
        ts = self.timestep
        self._t_target += ts if dt is None else float(dt)
        n = int(round(self._t_target / ts)) - self._nsteps
        for _ in range(max(0, n)):
            mujoco.mj_step(self.model, self.data)
        self._nsteps += max(0, n)
        return max(0, n)

    # ----------------------------------------------------------------- camera
    def _camera(self, camera_name: str | None) -> CameraSensor:
        if not self.cameras:
            raise KeyError(f"world {self.world.name!r} has no camera sensor")
        if camera_name is None:
            return next(iter(self.cameras.values()))
        try:
            return self.cameras[camera_name]
        except KeyError:
            raise KeyError(f"no camera {camera_name!r}; have {sorted(self.cameras)}") from None

    def _renderer(self, width: int, height: int) -> mujoco.Renderer:
        key = (width, height)
        r = self._renderers.get(key)
        if r is None:
            r = mujoco.Renderer(self.model, height=height, width=width)
            r.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = False
            r.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False
            self._renderers[key] = r
        return r

    def render(self, camera_name: str | None = None) -> np.ndarray:
        """Image of an SDF camera sensor: (height, width, 3) uint8 RGB,
        with the SDF gaussian noise (seeded) applied."""
        cam = self._camera(camera_name)
        m_name, l_name, _ = self._cam_info[cam.name]
        r = self._renderer(cam.width, cam.height)
        r.update_scene(self.data, camera=sensor_name(m_name, l_name, cam.name), scene_option=self._scene_option)
        r.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = False
        r.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False
        img = r.render()
        std = cam.noise_stddev if self._noise_override is None else float(self._noise_override)
        mean = cam.noise_mean if self._noise_override is None else 0.0
        if std > 0 or mean != 0:
            noise = self._rng.standard_normal(img.shape, dtype=np.float32)
            noise *= np.float32(std * 255.0)
            noise += np.float32(mean * 255.0)
            noise += img
            np.rint(noise, out=noise)
            np.clip(noise, 0, 255, out=noise)
            img = noise.astype(np.uint8)
        return np.ascontiguousarray(img)

    def camera_pose(self, camera_name: str | None = None) -> Pose:
        """Current world pose of a camera sensor (SDF convention: +X forward)."""
        cam = self._camera(camera_name)
        m_name, l_name, _ = self._cam_info[cam.name]
        cid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_CAMERA, sensor_name(m_name, l_name, cam.name))
        t = np.eye(4)
        t[:3, :3] = self.data.cam_xmat[cid].reshape(3, 3) @ SDF_TO_MJ_CAMERA.T
        t[:3, 3] = self.data.cam_xpos[cid]
        return Pose.from_matrix(t)

    def camera_model_pose(self, pose: PoseLike, camera_name: str | None = None) -> Pose:
        """Model pose that puts the camera sensor at world ``pose`` (for Gazebo set_pose)."""
        cam = self._camera(camera_name)
        _, _, t_model_sensor = self._cam_info[cam.name]
        return Pose.from_matrix(_as_pose(pose).to_matrix() @ np.linalg.inv(t_model_sensor))

    def set_camera_pose(self, pose: PoseLike, camera_name: str | None = None) -> None:
        """Place a camera sensor at world ``pose`` (x y z roll pitch yaw or
        :class:`Pose`, SDF convention: +X forward, +Z up).  Static camera
        models move as a whole (mocap body); cameras on dynamic links are
        re-mounted relative to their body."""
        cam = self._camera(camera_name)
        m_name, l_name, _ = self._cam_info[cam.name]
        p = _as_pose(pose)
        if m_name in self._mocap_models:
            t = self.camera_model_pose(p, cam.name).to_matrix()
            bid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_BODY, body_name(m_name))
            mid = self.model.body_mocapid[bid]
            self.data.mocap_pos[mid] = t[:3, 3]
            self.data.mocap_quat[mid] = matrix_to_quat(t[:3, :3])
        else:
            cid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_CAMERA, sensor_name(m_name, l_name, cam.name))
            bid = self.model.cam_bodyid[cid]
            t_body = np.eye(4)
            t_body[:3, :3] = self.data.xmat[bid].reshape(3, 3)
            t_body[:3, 3] = self.data.xpos[bid]
            t = np.linalg.inv(t_body) @ p.to_matrix()
            self.model.cam_pos[cid] = t[:3, 3]
            self.model.cam_quat[cid] = camera_quat_from_sdf(t[:3, :3])
        mujoco.mj_forward(self.model, self.data)

    # ----------------------------------------------------------------- finger
    def _contact(self, sensor: str | None) -> ContactSensor:
        if not self.contact_sensors:
            raise KeyError(f"world {self.world.name!r} has no contact sensor")
        if sensor is None:
            return next(iter(self.contact_sensors.values()))
        try:
            return self.contact_sensors[sensor]
        except KeyError:
            raise KeyError(f"no contact sensor {sensor!r}; have {sorted(self.contact_sensors)}") from None

    def _contact_geom(self, sensor: str | None) -> tuple[TaxelLayout, int]:
        lay = self.taxel_layouts[self._contact(sensor).name]
        gid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_GEOM, geom_name(lay.model, lay.link, lay.collision))
        return lay, gid

    def _finger_chain(self, sensor: str | None) -> tuple[list[int], list[int], int]:
        """(joint ids, position-actuator ids, geom id) driving a contact collision."""
        _, gid = self._contact_geom(sensor)
        joints: list[int] = []
        b = int(self.model.geom_bodyid[gid])
        while b > 0:
            for k in range(self.model.body_jntnum[b]):
                joints.append(int(self.model.body_jntadr[b] + k))
            b = int(self.model.body_parentid[b])
        acts = []
        for j in joints:
            if self.model.jnt_type[j] != mujoco.mjtJoint.mjJNT_SLIDE:
                raise NotImplementedError("set_finger_target supports prismatic joint chains only")
            ids = [
                i
                for i in range(self.model.nu)
                if self.model.actuator_trnid[i, 0] == j
                and self.model.actuator_biastype[i] == mujoco.mjtBias.mjBIAS_AFFINE
            ]
            if not ids:
                raise RuntimeError(f"joint {self.model.joint(j).name} has no position actuator")
            acts.append(ids[0])
        return joints, acts, gid

    def finger_position(self, sensor: str | None = None) -> np.ndarray:
        """World position of the contact collision frame origin (pad centre)."""
        _, gid = self._contact_geom(sensor)
        return self.data.geom_xpos[gid].copy()

    def finger_target_joints(self, target: Sequence[float], sensor: str | None = None) -> dict[str, float]:
        """Joint positions (SDF joint name -> m) placing the pad centre at world ``target``."""
        joints, acts, gid = self._finger_chain(sensor)
        if not joints:
            raise RuntimeError("contact collision is not on a jointed link")
        axes = np.stack([self.data.xaxis[j] for j in joints], axis=1)
        q = np.array([self.data.qpos[self.model.jnt_qposadr[j]] for j in joints])
        p0 = self.data.geom_xpos[gid] - axes @ q
        sol, *_ = np.linalg.lstsq(axes, np.asarray(target, dtype=float) - p0, rcond=None)
        out = {}
        for j, a, v in zip(joints, acts, sol):
            lo, hi = self.model.actuator_ctrlrange[a]
            if self.model.actuator_ctrllimited[a]:
                v = min(max(v, lo), hi)
            out[self.model.joint(j).name.split("::", 1)[-1]] = float(v)
        return out

    def set_finger_target(self, x: float, y: float, z: float, sensor: str | None = None) -> dict[str, float]:
        """Command the finger's position actuators so the pad centre (the
        contact collision origin) goes to world (x, y, z).  Targets below a
        surface press into it with about kp * depth newtons.
        Returns the joint targets (clipped to the joint limits)."""
        joints, acts, _ = self._finger_chain(sensor)
        targets = self.finger_target_joints((x, y, z), sensor)
        for j, a in zip(joints, acts):
            self.data.ctrl[a] = targets[self.model.joint(j).name.split("::", 1)[-1]]
        return targets

    def set_joint_targets(self, targets: dict[str, float], model: str | None = None) -> None:
        """Set position-actuator targets by SDF joint name (``model`` optional)."""
        for jn, v in targets.items():
            ids = [
                i
                for i in range(self.model.nu)
                if self.model.actuator(i).name.endswith(f"::{jn}::position")
                and (model is None or self.model.actuator(i).name == actuator_name(model, jn))
            ]
            if not ids:
                raise KeyError(f"no position actuator for joint {jn!r}")
            self.data.ctrl[ids[0]] = v

    # ------------------------------------------------------------------ touch
    def contacts(self, sensor: str | None = None) -> list[ContactPoint]:
        """Active contacts on a contact sensor's collision (like a Gazebo Contacts msg)."""
        lay, gid = self._contact_geom(sensor)
        out = []
        f6 = np.zeros(6)
        rot = self.data.geom_xmat[gid].reshape(3, 3)
        org = self.data.geom_xpos[gid]
        for i in range(self.data.ncon):
            c = self.data.contact[i]
            g1, g2 = int(c.geom[0]), int(c.geom[1])
            if gid not in (g1, g2) or c.exclude != 0:
                continue
            mujoco.mj_contactForce(self.model, self.data, i, f6)
            normal = np.array(c.frame[:3])  # points from geom[0] to geom[1]
            other = g2 if g1 == gid else g1
            if g1 != gid:
                normal = -normal
            pos = np.array(c.pos)
            out.append(
                ContactPoint(
                    position=tuple(pos.tolist()),
                    local_position=tuple(((pos - org) @ rot).tolist()),
                    normal=tuple(normal.tolist()),
                    normal_force=float(max(f6[0], 0.0)),
                    depth=float(max(-c.dist, 0.0)),
                    collision1=self.model.geom(gid).name,
                    collision2=self.model.geom(other).name,
                )
            )
        return out

    def touch(self, sensor: str | None = None) -> np.ndarray:
        """Taxel grid (rows x cols float32, N): contact normal forces on the
        sensor's collision binned by contact position in the collision frame
        (see :func:`bin_contacts` / :class:`TaxelLayout`)."""
        lay, _ = self._contact_geom(sensor)
        cps = self.contacts(sensor)
        if not cps:
            return np.zeros(lay.shape, dtype=np.float32)
        return lay.bin_local(np.array([c.local_position for c in cps]), np.array([c.normal_force for c in cps]))

    def touch_sensor_reading(self, sensor: str | None = None) -> float:
        """MuJoCo's own ``touch`` sensor value (N) for a contact sensor site."""
        lay = self.taxel_layouts[self._contact(sensor).name]
        sid = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_SENSOR, sensor_name(lay.model, lay.link, lay.sensor))
        return float(self.data.sensordata[self.model.sensor_adr[sid]])

    # ---------------------------------------------------------------- cleanup
    def close(self) -> None:
        for r in self._renderers.values():
            r.close()
        self._renderers.clear()

    def __enter__(self) -> EmbeddedSimulator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_LIVE: weakref.WeakSet[EmbeddedSimulator] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:  # free GL contexts before interpreter teardown (osmesa complains otherwise)
    for sim in list(_LIVE):
        try:
            sim.close()
        except Exception:  # pragma: no cover
            pass


def _as_pose(pose: PoseLike) -> Pose:
    if isinstance(pose, Pose):
        return Pose(*pose.as_tuple())
    vals = [float(v) for v in pose]
    if len(vals) == 3:
        vals += [0.0, 0.0, 0.0]
    if len(vals) != 6:
        raise ValueError("pose needs x y z [roll pitch yaw]")
    return Pose(*vals)
