"""The installed package finds its data without the source tree: Loop.from_config(), the worlds, the .msg files.

Each probe installs the current source tree (``cmake --install`` of the build scripts/setup.sh made) into a
temporary prefix and runs in a fresh interpreter whose working directory is outside the source tree and
whose sys.path does not hold it: once as a venv install (the prefix is the venv, no AMENT_PREFIX_PATH: the
data comes from ``<sys.prefix>/share``), once found through the ament index (as a colcon install is).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("HEBBIAN_BUILD", REPO / "build"))

PROBE = """
import json, sys
from pathlib import Path
import hebbian_ros
from hebbian_ros import resources
from hebbian_ros.core import loop as loop_module
from hebbian_ros.core.loop import Loop

loop = Loop.from_config()
print(json.dumps({
    "package": [str(Path(p).resolve()) for p in hebbian_ros.__path__],
    "loop": str(Path(loop_module.__file__).resolve()),
    "sys_path": [str(Path(p).resolve()) for p in sys.path if p],
    "share": str(resources.share_dir()),
    "world": str(resources.world_file("tabletop")),
    "msg": str(resources.msg_file("hebbian_ros", "FiringRates")),
    "layer2_n_in": loop.layers[1].n_in,
    "structural": loop.memory.params.structural is not None,
    "growth_units": loop.modulator.params.growth_units,
}))
"""


def probe(command: list[str], cwd: Path, env: dict) -> dict:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def check(found: dict, prefix: Path) -> None:
    source = str(REPO / "hebbian_ros")
    assert source not in found["package"] and str(REPO) not in found["sys_path"], found
    assert found["loop"].startswith(str(prefix)), found["loop"]  # the installed code ...
    share = prefix / "share" / "hebbian_ros"  # ... and the installed data
    assert found["share"] == str(share)
    assert found["world"] == str(share / "worlds" / "tabletop.sdf")
    assert found["msg"] == str(share / "msg" / "FiringRates.msg")
    # config/*.yaml of the install, overrides on the schema defaults
    assert found["layer2_n_in"] == 512 and found["structural"] and found["growth_units"] == 8


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AMENT_PREFIX_PATH", "HEBBIAN_CONFIG_DIR")}
    env.pop("HEBBIAN_ROS_WORLDS", None)
    return {**env, **extra}


def cmake_install(prefix: Path) -> Path:
    """Install the package (the current source tree, built in BUILD) into ``prefix``; return its site-packages."""
    install = subprocess.run(
        ["cmake", "--install", str(BUILD), "--prefix", str(prefix)], capture_output=True, text=True, timeout=300
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    return prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


needs_build = pytest.mark.skipif(
    not (BUILD / "CMakeCache.txt").is_file(), reason=f"no CMake build in {BUILD} (scripts/setup.sh makes it)"
)


@needs_build
def test_loop_from_config_from_a_venv_install_without_the_ament_index(tmp_path):
    """As scripts/setup.sh installs into .venv: a venv that is the install prefix, no AMENT_PREFIX_PATH."""
    venv = (tmp_path / "venv").resolve()
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = cmake_install(venv)
    (site / "ros_prefix.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # numpy, yaml, ... of this venv
    found = probe([str(venv / "bin" / "python"), "-I", "-c", PROBE], tmp_path, clean_env())
    check(found, venv)


@needs_build
def test_loop_from_config_from_an_install_found_through_the_ament_index(tmp_path):
    """As a colcon install: PYTHONPATH and AMENT_PREFIX_PATH name the install prefix."""
    prefix = (tmp_path / "install").resolve()
    site = cmake_install(prefix)
    env = clean_env(
        PYTHONPATH=str(site),
        AMENT_PREFIX_PATH=f"{prefix}{os.pathsep}{sys.prefix}",
        LD_LIBRARY_PATH=f"{prefix / 'lib'}{os.pathsep}{os.environ.get('LD_LIBRARY_PATH', '')}",
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    check(probe([sys.executable, "-c", PROBE], work, env), prefix)
