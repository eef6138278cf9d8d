"""The package's layers import only downwards (issue 13): every module's imports, read with ``ast``.

    core (numpy) , sim (SDF, MuJoCo)        no ROS at all
    nodes (rclpy)                           never evaluation or experiments
    evaluation, graph, demo (observers)     no node module (only the graph's QoS contract and process lifecycle)

Imports inside functions count too (a lazy import is still an arrow). The Gazebo path must not load
MuJoCo even indirectly, and core/sim must not load rclpy: both checked in a fresh interpreter.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "hebbian_ros"

#: ROS client library and message / interface packages (a top-level name or a suffix).
ROS_TOP_LEVEL = {"rclpy", "rosidl_runtime_py", "rosidl_parser", "builtin_interfaces", "rcl_interfaces", "std_srvs"}
ROS_SUFFIXES = ("_msgs", "_interfaces", "_srvs")
#: The Gazebo path: runs where gz sim is, with no MuJoCo installed.
GAZEBO_PATH = ("hebbian_ros.sim.taxels", "hebbian_ros.sim.gazebo_contacts", "hebbian_ros.nodes.contacts_to_touch_node")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` gives ``a`` and ``a.b``), relative ones resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


MODULES = {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def is_ros(module: str) -> bool:
    top = module.split(".")[0]
    return top in ROS_TOP_LEVEL or top.endswith(ROS_SUFFIXES) or in_layer(module, "hebbian_ros.msg")


def offending(layer: str, forbidden) -> dict[str, list[str]]:
    found = {}
    for module, imported in MODULES.items():
        if in_layer(module, layer):
            bad = sorted(i for i in imported if forbidden(i))
            if bad:
                found[module] = bad
    return found


def test_the_package_is_read():
    assert {"hebbian_ros.core.plasticity.layer", "hebbian_ros.sim.taxels", "hebbian_ros.nodes.sensor_node"} <= set(
        MODULES
    )
    assert "hebbian_ros.sim.sdf_world" in MODULES["hebbian_ros.sim.taxels"]  # absolute
    assert "hebbian_ros.sim.taxels" in MODULES["hebbian_ros.sim.simulator"]  # relative, resolved


@pytest.mark.parametrize("layer", ["hebbian_ros.core", "hebbian_ros.sim"])
def test_core_and_sim_import_no_ros_and_no_upper_layer(layer):
    upper = ("hebbian_ros.nodes", "hebbian_ros.ros", "hebbian_ros.graph", "hebbian_ros.evaluation", "hebbian_ros.demo")
    assert offending(layer, lambda i: is_ros(i) or any(in_layer(i, u) for u in upper)) == {}


def test_core_imports_no_experiment():
    assert offending("hebbian_ros.core", lambda i: in_layer(i, "hebbian_ros.experiments")) == {}


def test_nodes_import_no_evaluation_and_no_experiment():
    assert (
        offending(
            "hebbian_ros.nodes",
            lambda i: in_layer(i, "hebbian_ros.evaluation") or in_layer(i, "hebbian_ros.experiments"),
        )
        == {}
    )


def test_evaluation_imports_no_node_module():
    assert (
        offending(
            "hebbian_ros.evaluation",
            lambda i: in_layer(i, "hebbian_ros.nodes"),  # QoS and spin live in hebbian_ros.ros
        )
        == {}
    )


def loaded(modules: tuple[str, ...], watched: tuple[str, ...]) -> dict[str, list[str]]:
    """For each module, which of ``watched`` a fresh interpreter has in sys.modules after importing it."""
    code = (
        "import importlib, json, sys\n"
        f"modules, watched = {list(modules)!r}, {list(watched)!r}\n"
        "out = {}\n"
        "for name in modules:\n"
        "    before = set(sys.modules)\n"
        "    importlib.import_module(name)\n"
        "    out[name] = sorted(w for w in watched if w in sys.modules)\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", GAZEBO_PATH)
def test_the_gazebo_path_never_loads_mujoco(module):
    """Each in its own interpreter: importing it, and everything it imports, leaves mujoco out."""
    assert loaded((module,), ("mujoco",)) == {module: []}


def test_core_and_sim_never_load_rclpy():
    """Every module of core/ and sim/ imported in one fresh interpreter: no rclpy, no generated messages."""
    modules = tuple(m for m in MODULES if in_layer(m, "hebbian_ros.core") or in_layer(m, "hebbian_ros.sim"))
    result = loaded(modules, ("rclpy", "hebbian_ros.msg"))
    assert {name: hit for name, hit in result.items() if hit} == {}
