"""The Gazebo path's files agree with the worlds: bridged topics are the sensors' topics, launch files parse."""

import ast
from pathlib import Path

import yaml

from hebbian_ros.sim.sdf_world import parse_sdf

REPO = Path(__file__).resolve().parents[2]


def bridge():
    return {
        entry["gz_topic_name"].lstrip("/"): entry
        for entry in yaml.safe_load((REPO / "config" / "ros_gz_bridge.yaml").read_text())
    }


def test_every_sensor_topic_of_every_world_is_bridged_with_the_right_type():
    entries = bridge()
    types = {"camera": "sensor_msgs/msg/Image", "contact": "ros_gz_interfaces/msg/Contacts"}
    for path in sorted((REPO / "worlds").glob("*.sdf")):
        for _model, _link, sensor in parse_sdf(path).iter_sensors():
            entry = entries[sensor.topic.lstrip("/")]
            assert entry["ros_type_name"] == types[sensor.type], (path.name, sensor.name)
            assert entry["direction"] == "GZ_TO_ROS"
    assert entries["clock"]["ros_type_name"] == "rosgraph_msgs/msg/Clock"


def test_finger_commands_are_bridged_to_the_joint_controllers():
    entries = bridge()
    world = (REPO / "worlds" / "touch.sdf").read_text()
    for axis in "xyz":
        assert f"<topic>finger/{axis}_cmd</topic>" in world
        assert entries[f"finger/{axis}_cmd"]["direction"] == "ROS_TO_GZ"


def test_launch_files_are_valid_python_with_a_launch_description():
    for path in (REPO / "launch").glob("*.launch.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        assert any(isinstance(n, ast.FunctionDef) and n.name == "generate_launch_description" for n in tree.body)
