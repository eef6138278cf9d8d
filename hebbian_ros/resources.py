"""The package's data files (config/, worlds/, launch/, msg/) wherever hebbian_ros runs from: the one resolver.

Where ``share/hebbian_ros`` is, in order:

1. the source checkout this code runs from (``package.xml`` next to the ``hebbian_ros`` folder): code and
   data of one tree, so an edited ``config/`` takes effect without re-installing;
2. the ament index (``get_package_share_directory``): a colcon install or the venv install with
   ``AMENT_PREFIX_PATH`` set;
3. ``<sys.prefix>/share/hebbian_ros``: the venv install (``scripts/setup.sh``) without ``AMENT_PREFIX_PATH``.

``$HEBBIAN_CONFIG_DIR`` and ``$HEBBIAN_ROS_WORLDS`` override the config and worlds folders.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE = "hebbian_ros"


def _source_checkout() -> Path | None:
    root = Path(__file__).resolve().parents[1]
    return root if (root / "package.xml").is_file() and (root / "config").is_dir() else None


def _ament_share(package: str) -> Path | None:
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    except ImportError:  # no ROS: the venv install or the source checkout still work
        return None
    try:
        return Path(get_package_share_directory(package))
    except (PackageNotFoundError, LookupError, OSError, ValueError):  # not installed, or AMENT_PREFIX_PATH unset
        return None


def share_dir() -> Path:
    """The package's share folder (holding config/, worlds/, launch/ and, once installed, msg/)."""
    candidates = [_source_checkout(), _ament_share(PACKAGE), Path(sys.prefix) / "share" / PACKAGE]
    for candidate in candidates:
        if candidate is not None and (candidate / "config").is_dir():
            return candidate
    searched = ", ".join(str(c) for c in candidates if c is not None)
    raise FileNotFoundError(f"{PACKAGE}: no share folder with config/ (searched {searched}; is it installed?)")


def config_dir() -> Path:
    """The config/ folder (``$HEBBIAN_CONFIG_DIR`` if set)."""
    return Path(os.environ["HEBBIAN_CONFIG_DIR"]) if os.environ.get("HEBBIAN_CONFIG_DIR") else share_dir() / "config"


def config_file(name: str) -> Path:
    """``config/<name>``, e.g. ``config_file("sensor.yaml")``; ``FileNotFoundError`` if there is none."""
    path = config_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"no config file {name!r} (looked in {config_dir()})")
    return path


def worlds_dir() -> Path:
    """The worlds/ folder of SDF worlds (``$HEBBIAN_ROS_WORLDS`` if set)."""
    return Path(os.environ["HEBBIAN_ROS_WORLDS"]) if os.environ.get("HEBBIAN_ROS_WORLDS") else share_dir() / "worlds"


def world_file(world: str | os.PathLike) -> Path:
    """``'tabletop'``, ``'tabletop.sdf'`` (in :func:`worlds_dir`) or a path to an existing ``.sdf`` file."""
    path = Path(world)
    if path.suffix == ".sdf" and path.exists():
        return path
    candidate = worlds_dir() / (path.name if path.suffix == ".sdf" else path.name + ".sdf")
    if not candidate.exists():
        raise FileNotFoundError(f"no SDF world {str(world)!r} (looked in {worlds_dir()})")
    return candidate


def msg_file(package: str, name: str) -> Path | None:
    """``share/<package>/msg/<name>.msg`` (for this package first from :func:`share_dir`); ``None`` if absent."""
    shares = [_ament_share(package), Path(sys.prefix) / "share" / package]
    if package == PACKAGE:
        try:
            shares.insert(0, share_dir())
        except FileNotFoundError:
            pass
    for share in shares:
        if share is not None and (share / "msg" / f"{name}.msg").is_file():
            return share / "msg" / f"{name}.msg"
    return None
