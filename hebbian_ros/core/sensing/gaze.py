"""Gaze shifts: the views of the stimulus in view that small eye or camera movements would give.

One look teaches memory one view; the next look at the same object comes from a slightly different
place, distance or tilt, and a memory of one view misses it. Eyes and robot heads do not hold still:
fixational movements, small saccades and head motion show the same object from nearby gazes. When
memory stores a new memory, the sensor re-presents the stimulus from such gazes (shifted in 8
directions, closer and farther, rolled both ways, and as if the object had turned on the ground), and
memory keeps each as one more entry of that memory: view-based recognition, in which a new view is
recognised by its nearest stored view (Poggio & Edelman 1990; Bulthoff & Edelman 1992). The look-around
starts at the fixation itself: the stimulus as a fresh look sees it, which the live frame memory stored need
not be (it is sensed through whatever adaptation came before, and consolidation moves it towards the
habituated frames that follow).

A turn about the vertical moves what lies in the object's ground plane (a lying object's axis, a box's top, the
layout of a compound's parts); a camera above at elevation ``e`` sees that plane foreshortened by sin ``e``, so the
turn is a rotation of the plane's image within that aspect (an affine map; bench/RESULTS.md 5y).

The views are resampled from the last camera image on the sensor's working grid (a few pixels per
receptive field), so their cost does not depend on the camera's resolution. Pure numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hebbian_ros.core.parameters import SENSOR

#: directions of the shifted gazes: 8, 45 degrees apart
SHIFT_DIRECTIONS = 8
#: views sent on with each camera frame (``sensor_node``: a stream topic keeps 5 messages per reader)
VIEWS_PER_FRAME = 2


@dataclass(frozen=True)
class GazeParams:
    """How far the gaze moves (ranges and descriptions: :data:`hebbian_ros.core.parameters.SENSOR`).

    :param shift: displacement as a fraction of the image's shorter side (0: no shifted views).
    :param zoom: relative change of distance, one view closer and one farther (0: none).
    :param roll: in-plane rotation [deg], one view each way (0: none).
    :param roll_steps: rolled views at 1 .. ``roll_steps`` times ``roll``, each way.
    :param turn: the object turned about the vertical by this angle [deg], one view each way (0: none).
    :param elevation: the camera's angle above the horizontal [deg], at which it sees the turn.
    """

    shift: float = SENSOR.default("gaze_shift")
    zoom: float = SENSOR.default("gaze_zoom")
    roll: float = SENSOR.default("gaze_roll")
    roll_steps: int = SENSOR.default("gaze_roll_steps")
    turn: float = SENSOR.default("gaze_turn")
    elevation: float = SENSOR.default("gaze_elevation")

    def __post_init__(self) -> None:
        for name in ("shift", "zoom", "roll", "turn", "elevation"):
            object.__setattr__(self, name, SENSOR[f"gaze_{name}"].check(float(getattr(self, name))))
        object.__setattr__(self, "roll_steps", SENSOR["gaze_roll_steps"].check(self.roll_steps))

    @property
    def views(self) -> int:
        """Number of gaze views per look-around."""
        return len(gaze_transforms(self))


def gaze_transform(
    dy: float = 0.0,
    dx: float = 0.0,
    zoom: float = 1.0,
    roll: float = 0.0,
    turn: float = 0.0,
    elevation: float = math.radians(SENSOR.default("gaze_elevation")),
) -> np.ndarray:
    """One gaze as a ``(2, 3)`` float64 affine map: where, about the image centre, each view pixel samples the image.

    :param dy: gaze shift down, as a fraction of the image's shorter side (the content moves up).
    :param dx: gaze shift right, likewise.
    :param zoom: > 1 is closer: the content larger.
    :param roll: the camera turned about its axis [rad].
    :param turn: the object turned about the vertical on the ground plane [rad]: the plane is seen foreshortened
        by sin(``elevation``), so the turn is a rotation of the plane's image squashed to that aspect.
    :param elevation: the camera's angle above the horizontal [rad].
    """
    c, s = math.cos(roll), math.sin(roll)
    sample = np.array([[c, -s], [s, c]]) / zoom
    if turn:
        squash = np.diag([math.sin(elevation), 1.0])  # rows (v) of the ground plane are foreshortened
        ct, st = math.cos(turn), math.sin(turn)
        sample = sample @ squash @ np.array([[ct, st], [-st, ct]]) @ np.linalg.inv(squash)
    return np.concatenate([sample, [[dy], [dx]]], axis=1)


def gaze_transforms(params: GazeParams) -> np.ndarray:
    """``(K, 2, 3)`` float64 gazes (:func:`gaze_transform`) of one look-around.

    The first is the fixation (no move) whenever any gaze moves; none at all when every parameter is 0.
    """
    rows = []
    if params.shift > 0:
        for k in range(SHIFT_DIRECTIONS):
            angle = 2 * math.pi * k / SHIFT_DIRECTIONS
            rows.append(gaze_transform(dy=params.shift * math.sin(angle), dx=params.shift * math.cos(angle)))
    if params.zoom > 0:
        rows += [gaze_transform(zoom=1.0 + params.zoom), gaze_transform(zoom=1.0 / (1.0 + params.zoom))]
    if params.roll > 0:
        for step in range(1, params.roll_steps + 1):
            roll = math.radians(params.roll * step)
            rows += [gaze_transform(roll=roll), gaze_transform(roll=-roll)]
    if params.turn > 0:
        turn, elevation = math.radians(params.turn), math.radians(params.elevation)
        rows += [gaze_transform(turn=turn, elevation=elevation), gaze_transform(turn=-turn, elevation=elevation)]
    if rows:
        rows.insert(0, gaze_transform())
    return np.array(rows, np.float64).reshape(-1, 2, 3)


def gaze_view(image: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """``image`` (H, W, C) float32 seen from the gaze ``transform`` (:func:`gaze_transform`): bilinear
    resampling, borders extended."""
    height, width = image.shape[:2]
    side = min(height, width)
    v, u = np.meshgrid(
        np.arange(height, dtype=np.float32) - (height - 1) / 2,
        np.arange(width, dtype=np.float32) - (width - 1) / 2,
        indexing="ij",
    )
    (a, b, dy), (c, d, dx) = (tuple(float(x) for x in row) for row in transform)
    rows = (height - 1) / 2 + dy * side + a * v + b * u
    cols = (width - 1) / 2 + dx * side + c * v + d * u
    rows = np.clip(rows, 0, height - 1)
    cols = np.clip(cols, 0, width - 1)
    r0 = np.minimum(rows.astype(np.int64), height - 2) if height > 1 else np.zeros(rows.shape, np.int64)
    c0 = np.minimum(cols.astype(np.int64), width - 2) if width > 1 else np.zeros(cols.shape, np.int64)
    fr = (rows - r0)[..., None].astype(np.float32)
    fc = (cols - c0)[..., None].astype(np.float32)
    r1 = np.minimum(r0 + 1, height - 1)
    c1 = np.minimum(c0 + 1, width - 1)
    top = image[r0, c0] * (1 - fc) + image[r0, c1] * fc
    bottom = image[r1, c0] * (1 - fc) + image[r1, c1] * fc
    return np.clip(top * (1 - fr) + bottom * fr, 0.0, 1.0).astype(np.float32, copy=False)


def gaze_views(image: np.ndarray, params: GazeParams) -> list[np.ndarray]:
    """Every gaze view of ``image`` (H, W, C) in [0, 1], in :func:`gaze_transforms` order."""
    return [gaze_view(image, t) for t in gaze_transforms(params)]
