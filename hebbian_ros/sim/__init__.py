"""Simulation support for hebbian_ros: SDF worlds run in an embedded MuJoCo.

* :mod:`.sdf_world` - parse SDFormat worlds into typed dataclasses (no MuJoCo).
* :mod:`.mjcf` - convert a parsed world into MJCF XML (no MuJoCo).
* :mod:`.taxels` - contact points -> taxel grid, shared with the Gazebo path (no MuJoCo).
* :mod:`.gazebo_contacts` - Gazebo's contact reports -> taxels (no MuJoCo).
* :mod:`.simulator` - :class:`EmbeddedSimulator` (imports MuJoCo; picks a
  headless GL backend first).
* :mod:`.exploration` - deterministic camera / finger exploration schedules.
* :mod:`.curiosity` - the curious look: the camera circles what is being learned.

``EmbeddedSimulator`` and the other simulator names are imported lazily so
that parsing or converting a world does not import MuJoCo.
"""

from .exploration import (
    ExplorationStep,
    camera_exploration,
    drive,
    object_positions,
    object_tops,
    touch_exploration,
    visit_order,
)
from .mjcf import to_mjcf
from .sdf_world import Pose, SdfError, World, parse_sdf, parse_sdf_string  # noqa: F401
from .taxels import ContactPoint, TaxelLayout, bin_contacts  # noqa: F401

_LAZY = {"EmbeddedSimulator", "world_path", "worlds_dir"}

__all__ = sorted(
    {
        "ExplorationStep",
        "camera_exploration",
        "drive",
        "object_positions",
        "object_tops",
        "touch_exploration",
        "visit_order",
        "to_mjcf",
        "Pose",
        "SdfError",
        "World",
        "parse_sdf",
        "parse_sdf_string",
        "TaxelLayout",
        "ContactPoint",
        "bin_contacts",
    }
    | _LAZY
)


def __getattr__(name):
    if name in _LAZY:
        from . import simulator

        return getattr(simulator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
