"""Both launch files: structurally everywhere, and loaded with the real launch / launch_ros APIs where
those are installed (not from PyPI: a ROS 2 install, e.g. colcon on a robot).

The restart policy and the gz command line are plain functions (hebbian_ros.graph.restart_policy), so
what the launch files pass is checked here without launch too.
"""

import ast
from pathlib import Path

import pytest

from hebbian_ros.graph.restart_policy import MAX_RESTARTS, backoff, gz_sim_command, launch_respawn
from hebbian_ros.graph.supervisor import Supervisor

REPO = Path(__file__).resolve().parents[2]
LAUNCH = REPO / "launch"


@pytest.mark.parametrize("headless", [True, False])
def test_gz_sim_command_has_only_real_arguments(headless):
    command = gz_sim_command("/w/tabletop.sdf", headless)
    assert all(part.strip() for part in command)
    assert command[:3] == ["gz", "sim", "-r"] and command[-1] == "/w/tabletop.sdf"
    assert ("-s" in command) is headless


def test_launch_respawn_is_the_supervisors_policy():
    options = launch_respawn()
    assert options["respawn"] is True
    assert options["respawn_max_retries"] == MAX_RESTARTS == Supervisor([]).max_restarts
    # launch waits a fixed delay: the supervisor's back-off spread evenly over the same restarts
    total = sum(backoff(k) for k in range(1, MAX_RESTARTS + 1))
    assert options["respawn_delay"] * MAX_RESTARTS == pytest.approx(total, abs=0.01)
    assert [backoff(k) for k in range(1, 8)] == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]
    assert launch_respawn(0)["respawn"] is False


def calls(tree, name):
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def keyword(call, name):
    return next((k.value for k in call.keywords if k.arg == name), None)


@pytest.mark.parametrize("path", sorted(LAUNCH.glob("*.launch.py")), ids=lambda p: p.name)
def test_launch_files_structure(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    assert any(isinstance(n, ast.FunctionDef) and n.name == "generate_launch_description" for n in tree.body)
    for call in calls(tree, "Node"):
        package = keyword(call, "package")
        if isinstance(package, ast.Constant) and package.value == "hebbian_ros":
            spread = [k.value for k in call.keywords if k.arg is None]  # **launch_respawn()
            assert any(getattr(s.func, "id", None) == "launch_respawn" for s in spread), ast.dump(call)[:200]
        assert keyword(call, "respawn") is None, "respawn only through launch_respawn()"
    for call in calls(tree, "ExecuteProcess"):
        command = keyword(call, "cmd")
        assert isinstance(command, ast.Call) and command.func.id == "gz_sim_command"  # no literal "" element


def test_launch_files_load_with_the_real_launch_api():
    # launch_ros first: from the repository root, ``import launch`` alone finds the launch/ folder
    pytest.importorskip("launch_ros", reason="launch / launch_ros (ROS 2) are not installable from PyPI")
    from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription, OpaqueFunction
    from launch.launch_description_sources import PythonLaunchDescriptionSource
    from launch.utilities import perform_substitutions
    from launch_ros.actions import Node

    import launch

    def expand(path, arguments):
        context = launch.LaunchContext()
        context.launch_configurations.update(arguments)
        description = PythonLaunchDescriptionSource(str(path)).get_launch_description(context)
        assert isinstance(description, launch.LaunchDescription)
        actions = []
        for entity in description.entities:
            if isinstance(entity, DeclareLaunchArgument):
                entity.visit(context)  # sets the default of an argument not given
            elif isinstance(entity, OpaqueFunction):
                actions += entity.visit(context) or []
            else:
                actions.append(entity)
        return context, actions

    _, actions = expand(LAUNCH / "hebbian.launch.py", {"groups": "loop", "rviz": "false"})
    names = {a.node_executable for a in actions if isinstance(a, Node)}
    assert {"sensor_node", "feature_layer_node", "memory_node", "neuromodulator_node"} <= names
    for headless in ("true", "false"):
        context, actions = expand(LAUNCH / "gazebo.launch.py", {"world": "touch", "headless": headless})
        (gz,) = [a for a in actions if isinstance(a, ExecuteProcess) and not isinstance(a, Node)]
        command = [perform_substitutions(context, part) for part in gz.cmd]
        assert all(part.strip() for part in command), command
        assert ("-s" in command) == (headless == "true")
        assert any(isinstance(a, IncludeLaunchDescription) for a in actions)
        assert any(isinstance(a, Node) and a.node_executable == "contacts_to_touch_node" for a in actions)
