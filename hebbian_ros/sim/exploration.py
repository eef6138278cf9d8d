"""Scripted, deterministic exploration of the SDF worlds.

A schedule visits the objects of a world with repeats, so a learning loop
meets both novelty (first visits) and familiarity (re-visits).  The default
``"expanding"`` order introduces one new object per round and then revisits
the ones already seen, most recent first::

    A | B A | C B A | D C B A      (then optional seeded shuffled rounds)

Each visit is preceded by ``gap_frames`` of a blank view (camera) or of the
lifted finger over an empty spot (touch), labelled ``None``.

:func:`camera_exploration` and :func:`touch_exploration` return lists of
:class:`ExplorationStep` (unpackable as ``time, target, label, ...``) and
:func:`drive` plays such a list on an :class:`~hebbian_ros.sim.simulator.EmbeddedSimulator`
(or anything with the same ``set_camera_pose`` / ``set_finger_target`` /
``step`` / ``render`` / ``touch`` methods), yielding observations.

Objects are the models carrying a gz-sim Label plugin (``World.labelled_models``)
unless given explicitly.  Nothing here imports MuJoCo.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .sdf_world import Geometry, Model, Pose, World

__all__ = [
    "ExplorationStep",
    "visit_order",
    "model_aabb",
    "object_positions",
    "object_tops",
    "camera_exploration",
    "turned_view",
    "touch_exploration",
    "drive",
    "per_object_counts",
]

Vec3 = tuple[float, float, float]
Target = Pose | Vec3


class ExplorationStep(NamedTuple):
    """One frame of an exploration schedule.

    time:   simulation time (s) at which this frame's observation is taken when
            played with :func:`drive` (``(index + 1) * dt``).
    target: camera sensor world :class:`Pose` (camera schedules) or finger pad
            centre world (x, y, z) (touch schedules).
    label:  object in view / being pressed, ``None`` for gaps and transit.
    phase:  camera: ``'gap'`` | ``'view'``; touch: ``'gap'`` | ``'move'`` | ``'press'`` | ``'lift'``.
    visit:  index of the visit this frame belongs to (0-based).
    repeat: number of earlier visits of this visit's object (0 = novel).
    obj:    object of the current visit, also during its gap / transit frames.
    index:  frame index.
    """

    time: float
    target: Target
    label: str | None
    phase: str
    visit: int
    repeat: int
    obj: str
    index: int


# ----------------------------------------------------------------------------
# visit order
# ----------------------------------------------------------------------------
def visit_order(objects: Sequence[str], *, order: str = "expanding", rounds: int = 1, seed: int = 0) -> list[str]:
    """Deterministic sequence of object visits with repeats.

    ``expanding``: A, B, A, C, B, A, ... (each new object followed by the
    already-seen ones, most recent first), then ``rounds - 1`` seeded
    shuffled rounds over all objects.  ``cyclic``: A B C ... repeated
    ``rounds`` times.  ``random``: ``rounds`` seeded shuffled rounds.
    Consecutive visits never repeat the same object (when there are >= 2).
    """
    objs = list(objects)
    if not objs:
        raise ValueError("no objects to visit")
    if len(set(objs)) != len(objs):
        raise ValueError("object names must be unique")
    if rounds < 1:
        raise ValueError("rounds must be >= 1")
    rng = np.random.default_rng(seed)
    seq: list[str] = []

    def shuffled_round() -> list[str]:
        for _ in range(100):
            perm = [objs[i] for i in rng.permutation(len(objs))]
            if not seq or len(objs) < 2 or perm[0] != seq[-1]:
                return perm
        perm.append(perm.pop(0))  # pragma: no cover - practically unreachable
        return perm

    if order == "expanding":
        for k in range(len(objs)):
            seq.extend(objs[k::-1])
        for _ in range(rounds - 1):
            seq.extend(shuffled_round())
    elif order == "cyclic":
        seq = objs * rounds
    elif order == "random":
        for _ in range(rounds):
            seq.extend(shuffled_round())
    else:
        raise ValueError(f"unknown order {order!r}")
    return seq


# ----------------------------------------------------------------------------
# object geometry
# ----------------------------------------------------------------------------
def _geom_corners(g: Geometry) -> np.ndarray:
    low, high = g.bounds()
    return np.array([[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])])


def model_aabb(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """World axis-aligned bounding box (min, max) of a model's collisions
    (visuals if it has none), at its initial pose."""
    pts = []
    for lk in model.links:
        t_link = model.pose.to_matrix() @ lk.pose.to_matrix()
        shapes = [(c.pose, c.geometry) for c in lk.collisions] or [(v.pose, v.geometry) for v in lk.visuals]
        for pose, g in shapes:
            if g.kind == "plane":
                continue
            t = t_link @ pose.to_matrix()
            pts.append(_geom_corners(g) @ t[:3, :3].T + t[:3, 3])
    if not pts:
        p = model.pose.position
        return p.copy(), p.copy()
    allp = np.concatenate(pts)
    return allp.min(axis=0), allp.max(axis=0)


def _objects(world_or_objects: World | Mapping[str, Sequence[float]], objects: Sequence[str] | None) -> list[str]:
    if isinstance(world_or_objects, World):
        names = [m.name for m in world_or_objects.labelled_models] if objects is None else list(objects)
        if not names:
            raise ValueError(f"world {world_or_objects.name!r} has no labelled objects; pass objects=")
        return names
    return list(world_or_objects) if objects is None else list(objects)


def object_positions(world: World, objects: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Object name -> world centre of its bounding box (labelled models by default)."""
    out = {}
    for n in _objects(world, objects):
        lo, hi = model_aabb(world.model(n))
        out[n] = (lo + hi) / 2
    return out


def object_tops(world: World, objects: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Object name -> (x, y, z_top): bounding-box centre in x, y and its top."""
    out = {}
    for n in _objects(world, objects):
        lo, hi = model_aabb(world.model(n))
        c = (lo + hi) / 2
        out[n] = np.array([c[0], c[1], hi[2]])
    return out


# ----------------------------------------------------------------------------
# schedules
# ----------------------------------------------------------------------------
def camera_exploration(
    world: World | Mapping[str, Sequence[float]],
    *,
    objects: Sequence[str] | None = None,
    frames_per_view: int = 30,
    gap_frames: int = 10,
    dt: float = 1.0 / 30.0,
    order: str = "expanding",
    rounds: int = 1,
    seed: int = 0,
    view_offset: Sequence[float] = (0.0, -0.22, 0.15),
    gap_pose: Pose | None = None,
    jitter: float = 0.0,
    view_fill: float = 0.0,
    fov: float = 1.047,
    min_distance: float = 0.15,
    orbit: float = 0.0,
    revisit_turn: float = 0.0,
) -> list[ExplorationStep]:
    """Camera schedule: per visit ``gap_frames`` blank views then
    ``frames_per_view`` views of the object from ``centre + view_offset``.

    ``view_fill`` > 0: the camera approaches along ``view_offset``'s direction until the object's bounding box
    (its largest side) spans that share of the vertical field of view ``fov`` [rad], as a robot moves closer to
    what it inspects (never nearer than ``min_distance`` [m]); 0 keeps ``view_offset`` for every object.

    ``world``: a parsed world (objects = labelled models) or a mapping
    name -> object centre.  ``gap_pose`` defaults to looking straight down at
    an empty spot 0.25 m in front (-y) of the objects' mean centre.
    ``jitter`` (m): amplitude of seeded per-frame eye offsets (0 = still views).
    ``orbit`` (deg, < 180): during each visit the camera circles the object about the vertical through its centre,
    from ``-orbit`` to ``+orbit`` around the visit's viewpoint, so a look shows the object from several sides (0 = one
    viewpoint).
    ``revisit_turn`` (deg): every visit after an object's first sees it from a viewpoint turned by this much about the
    vertical through its centre: a known object met from a side the learning look did not show.
    """
    if frames_per_view < 1 or gap_frames < 0:
        raise ValueError("frames_per_view must be >= 1 and gap_frames >= 0")
    if not 0.0 <= orbit < 180.0 or not -180.0 < revisit_turn < 180.0:
        raise ValueError(
            f"orbit must be within [0, 180) and revisit_turn within (-180, 180) degrees, got {orbit}, {revisit_turn}"
        )
    if not 0.0 <= view_fill <= 1.0 or not 0.0 < fov < math.pi:
        raise ValueError(f"view_fill must be within [0, 1] and fov within (0, pi), got {view_fill}, {fov}")
    names = _objects(world, objects)
    if isinstance(world, World):
        centres = object_positions(world, names)
        boxes = {n: model_aabb(world.model(n)) for n in names}
        lows = {n: boxes[n][0] for n in names}
        sizes = {n: float(np.max(boxes[n][1] - boxes[n][0])) for n in names}
    elif view_fill > 0:
        raise ValueError("view_fill needs a parsed world (the objects' bounding boxes)")
    else:
        centres = {n: np.asarray(world[n], dtype=float) for n in names}
        lows = centres
    if gap_pose is None:
        mean = np.mean([centres[n] for n in names], axis=0)
        floor = min(float(lows[n][2]) for n in names)
        spot = np.array([mean[0], mean[1] - 0.25, floor])
        gap_pose = Pose.look_at(spot + np.array([0.0, 0.0, 0.25]), spot)
    rng = np.random.default_rng(seed)
    offset = np.asarray(view_offset, dtype=float)

    def eye_offset(obj: str) -> np.ndarray:
        if view_fill <= 0:
            return offset
        distance = max(sizes[obj] / (2.0 * math.tan(fov / 2.0) * view_fill), min_distance)
        return offset / np.linalg.norm(offset) * distance

    seq = visit_order(names, order=order, rounds=rounds, seed=seed)
    steps: list[ExplorationStep] = []
    seen: dict[str, int] = {}
    for v, obj in enumerate(seq):
        rep = seen.get(obj, 0)
        seen[obj] = rep + 1
        for _ in range(gap_frames):
            i = len(steps)
            steps.append(ExplorationStep((i + 1) * dt, gap_pose, None, "gap", v, rep, obj, i))
        c = centres[obj]
        turns = np.radians(np.linspace(-orbit, orbit, frames_per_view)) if frames_per_view > 1 else np.zeros(1)
        if rep > 0:
            turns = turns + math.radians(revisit_turn)
        for turn in turns:
            i = len(steps)
            eye = c + _about_vertical(eye_offset(obj), float(turn))
            if jitter > 0:
                eye = eye + rng.uniform(-jitter, jitter, size=3)
            steps.append(ExplorationStep((i + 1) * dt, Pose.look_at(eye, c), obj, "view", v, rep, obj, i))
    return steps


def turned_view(view: Pose, centre: Sequence[float], degrees: float) -> Pose:
    """The camera pose ``view`` moved ``degrees`` about the vertical through ``centre``, looking at ``centre``."""
    if degrees == 0.0:
        return view
    c = np.asarray(centre, dtype=float)
    return Pose.look_at(c + _about_vertical(view.position - c, math.radians(degrees)), c)


def _about_vertical(offset: np.ndarray, angle: float) -> np.ndarray:
    """``offset`` turned by ``angle`` [rad] about the vertical (z) axis."""
    if angle == 0.0:
        return offset
    c, s = math.cos(angle), math.sin(angle)
    return np.array([c * offset[0] - s * offset[1], s * offset[0] + c * offset[1], offset[2]])


def touch_exploration(
    world: World | Mapping[str, Sequence[float]],
    *,
    objects: Sequence[str] | None = None,
    press_frames: int = 20,
    move_frames: int = 15,
    lift_frames: int = 8,
    gap_frames: int = 10,
    dt: float = 1.0 / 30.0,
    order: str = "expanding",
    rounds: int = 1,
    seed: int = 0,
    press_depth: float = 0.01,
    hover: float = 0.05,
    pad_half_thickness: float | None = None,
    gap_xy: Sequence[float] | None = None,
    jitter: float = 0.0,
) -> list[ExplorationStep]:
    """Touch schedule for a finger pad: per visit ``gap_frames`` hovering over
    an empty spot, ``move_frames`` hovering above the object, ``press_frames``
    with the pad pressed ``press_depth`` m into the object's top (labelled
    with the object) and ``lift_frames`` back at hover height.

    ``world``: a parsed world (objects = labelled models; pad thickness from
    its contact sensor collision) or a mapping name -> (x, y, z_top).
    Targets are world positions of the pad centre.  ``jitter`` (m): seeded
    x-y offset of each press (same for all frames of one visit).
    """
    if press_frames < 1 or min(move_frames, lift_frames, gap_frames) < 0:
        raise ValueError("press_frames must be >= 1 and the other frame counts >= 0")
    names = _objects(world, objects)
    if isinstance(world, World):
        tops = object_tops(world, names)
        if pad_half_thickness is None:
            pad_half_thickness = 0.0
            for _, lk, s in world.iter_sensors():
                if s.type == "contact":
                    pad_half_thickness = lk.collision(s.collision).geometry.half_extents()[2]  # type: ignore[attr-defined]
                    break
    else:
        tops = {n: np.asarray(world[n], dtype=float) for n in names}
    pad = float(pad_half_thickness or 0.0)
    highest = max(float(tops[n][2]) for n in names)
    safe_z = highest + pad + hover
    if gap_xy is None:
        mean = np.mean([tops[n] for n in names], axis=0)
        gap_xy = (float(mean[0]), float(mean[1]) - 0.2)
    gap_target = (float(gap_xy[0]), float(gap_xy[1]), safe_z)
    rng = np.random.default_rng(seed)
    seq = visit_order(names, order=order, rounds=rounds, seed=seed)
    steps: list[ExplorationStep] = []
    seen: dict[str, int] = {}

    def add(target: Vec3, label: str | None, phase: str, v: int, rep: int, obj: str, n: int) -> None:
        for _ in range(n):
            i = len(steps)
            steps.append(ExplorationStep((i + 1) * dt, target, label, phase, v, rep, obj, i))

    for v, obj in enumerate(seq):
        rep = seen.get(obj, 0)
        seen[obj] = rep + 1
        x, y, top = (float(t) for t in tops[obj])
        if jitter > 0:
            dx, dy = rng.uniform(-jitter, jitter, size=2)
            x, y = x + float(dx), y + float(dy)
        above = (x, y, safe_z)
        pressed = (x, y, top + pad - press_depth)
        add(gap_target, None, "gap", v, rep, obj, gap_frames)
        add(above, None, "move", v, rep, obj, move_frames)
        add(pressed, obj, "press", v, rep, obj, press_frames)
        add(above, None, "lift", v, rep, obj, lift_frames)
    return steps


def drive(
    sim, steps: Sequence[ExplorationStep], *, camera_name: str | None = None, sensor: str | None = None
) -> Iterator[tuple[ExplorationStep, np.ndarray]]:
    """Play a schedule on a simulator: for each step apply its target, advance
    physics by ``step.time`` minus the previous step's time and yield ``(step, observation)`` where the
    observation is ``sim.render(camera_name)`` for camera schedules and
    ``sim.touch(sensor)`` for touch schedules."""
    prev = 0.0
    for st in steps:
        if isinstance(st.target, Pose):
            sim.set_camera_pose(st.target, camera_name)
            sim.step(st.time - prev)
            prev = st.time
            yield st, sim.render(camera_name)
        else:
            sim.set_finger_target(*st.target, sensor=sensor)
            sim.step(st.time - prev)
            prev = st.time
            yield st, sim.touch(sensor)


def per_object_counts(steps: Sequence[ExplorationStep]) -> dict[str | None, dict[str, int]]:
    """label -> {'frames': labelled frames, 'visits': number of visits} (None = gaps/transit)."""
    out: dict[str | None, dict[str, int]] = {}
    visits: dict[str | None, set] = {}
    for st in steps:
        d = out.setdefault(st.label, {"frames": 0, "visits": 0})
        d["frames"] += 1
        visits.setdefault(st.label, set()).add(st.visit)
    for k, v in visits.items():
        out[k]["visits"] = len(v)
    return out
