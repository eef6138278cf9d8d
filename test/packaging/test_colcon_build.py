"""The package builds the ordinary way, with colcon, on top of a ROS 2 prefix (here the venv of wheels)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COLCON = Path(os.environ.get("HEBBIAN_COLCON_VENV", f"{sys.prefix}-colcon")) / "bin" / "colcon"


@pytest.mark.skipif(not COLCON.exists(), reason=f"colcon not installed at {COLCON} (scripts/setup.sh installs it)")
def test_colcon_build_installs_messages_python_modules_and_executables(tmp_path):
    workspace = tmp_path / "ws"
    source = workspace / "src" / "hebbian_ros"
    source.parent.mkdir(parents=True)
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(".venv*", "build", "out", ".git", "__pycache__", ".pytest_cache", ".hypothesis"),
    )
    env = dict(
        os.environ,
        PATH=f"{sys.prefix}/bin:{os.environ['PATH']}",
        AMENT_PREFIX_PATH=sys.prefix,
        CMAKE_PREFIX_PATH=sys.prefix,
    )
    env.pop("PYTHONPATH", None)
    build = subprocess.run(
        [
            str(COLCON),
            "build",
            "--merge-install",
            "--cmake-args",
            f"-DPython3_EXECUTABLE={sys.executable}",
            "-DBUILD_TESTING=OFF",
        ],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]

    install = workspace / "install"
    site = install / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    probe = (
        "import hebbian_ros, hebbian_ros.core.plasticity.layer, hebbian_ros.nodes.sensor_node\n"
        "from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition, Touch\n"
        "print(hebbian_ros.core.plasticity.layer.__file__, FiringRates.__module__)"
    )
    run_env = dict(
        env,
        PYTHONPATH=str(site),
        LD_LIBRARY_PATH=f"{install / 'lib'}:{os.environ.get('LD_LIBRARY_PATH', '')}",
        AMENT_PREFIX_PATH=f"{install}:{sys.prefix}",
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=run_env, capture_output=True, text=True, timeout=120
    )
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert str(site) in imported.stdout
    for executable in ("sensor_node", "feature_layer_node", "memory_node", "neuromodulator_node", "graph"):
        assert os.access(install / "lib" / "hebbian_ros" / executable, os.X_OK), executable
    for shared in ("config/graph.yaml", "launch/hebbian.launch.py", "worlds/tabletop.sdf", "package.xml"):
        assert (install / "share" / "hebbian_ros" / shared).is_file(), shared
