"""Gazebo path (machines with gz sim Harmonic and ros_gz): a world from worlds/, the bridge and the graph.

    ros2 launch hebbian_ros gazebo.launch.py                      # tabletop world, camera
    ros2 launch hebbian_ros gazebo.launch.py world:=touch         # touch world, finger contacts

Gazebo publishes the same topics and types as the embedded simulator (config/ros_gz_bridge.yaml;
contacts_to_touch_node turns ros_gz contact reports into hebbian_ros/Touch), and every node runs on
/clock, so the learning graph cannot tell which simulator drives it. ``headless:=false`` opens the gz
GUI too (gz sim without ``-s``).
"""

from launch.actions import DeclareLaunchArgument, ExecuteProcess, IncludeLaunchDescription, OpaqueFunction
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from hebbian_ros.graph.restart_policy import gz_sim_command, launch_respawn
from hebbian_ros.resources import config_file, share_dir, world_file
from launch import LaunchDescription


def _world_nodes(context):
    world = LaunchConfiguration("world").perform(context)
    headless = LaunchConfiguration("headless").perform(context).lower() == "true"
    actions = [
        ExecuteProcess(cmd=gz_sim_command(str(world_file(world)), headless), output="screen"),
        Node(
            package="ros_gz_bridge",
            executable="parameter_bridge",
            name="bridge",
            output="screen",
            parameters=[{"config_file": str(config_file("ros_gz_bridge.yaml")), "use_sim_time": True}],
        ),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(str(share_dir() / "launch" / "hebbian.launch.py")),
            launch_arguments={"use_sim_time": "true", "groups": "touch" if world == "touch" else "loop"}.items(),
        ),
    ]
    if world == "touch":
        actions.append(
            Node(
                package="hebbian_ros",
                executable="contacts_to_touch_node",
                output="screen",
                **launch_respawn(),
                parameters=[{"world": world_file, "use_sim_time": True}],
            )
        )
    return actions


def generate_launch_description():
    return LaunchDescription(
        [
            DeclareLaunchArgument("world", default_value="tabletop", description="World in worlds/ or an .sdf path."),
            DeclareLaunchArgument("headless", default_value="true", description="gz sim server only (-s)."),
            OpaqueFunction(function=_world_nodes),
        ]
    )
