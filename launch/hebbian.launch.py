"""Launch the hebbian_ros graph on a machine with ROS 2 (launch_ros) installed.

The nodes, their parameter files and groups come from config/graph.yaml, the same file the
package's own ``graph`` command reads, so both start the same graph. A crashed node is restarted
as the ``graph`` command's supervisor does: at most 5 times, then given up (launch has a fixed
respawn delay instead of the supervisor's back-off: see hebbian_ros/graph/restart_policy.py).

    ros2 launch hebbian_ros hebbian.launch.py                       # the learning loop
    ros2 launch hebbian_ros hebbian.launch.py groups:='loop simulation'
    ros2 launch hebbian_ros hebbian.launch.py params_file:=/path/overrides.yaml
    ros2 launch hebbian_ros hebbian.launch.py groups:='loop simulation visualization' rviz:=true
"""

from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from hebbian_ros.graph.restart_policy import launch_respawn
from hebbian_ros.graph.spec import config_dir, load_graph
from launch import LaunchDescription


def _nodes(context):
    groups = tuple(LaunchConfiguration("groups").perform(context).split())
    extra = LaunchConfiguration("params_file").perform(context)
    use_sim_time = LaunchConfiguration("use_sim_time").perform(context).lower() == "true"
    return [
        Node(
            package="hebbian_ros",
            executable=spec.executable,
            name=spec.name,
            namespace=spec.namespace or None,
            output="screen",
            **launch_respawn(),
            parameters=[*spec.parameters, *([extra] if extra else []), {"use_sim_time": use_sim_time}],
            remappings=list(spec.remappings),
        )
        for spec in load_graph(groups=groups)
    ]


def generate_launch_description():
    return LaunchDescription(
        [
            DeclareLaunchArgument("groups", default_value="loop", description="Node groups of config/graph.yaml."),
            DeclareLaunchArgument("params_file", default_value="", description="Extra parameter file (overrides)."),
            DeclareLaunchArgument("use_sim_time", default_value="false", description="Follow /clock."),
            DeclareLaunchArgument(
                "rviz",
                default_value="false",
                description="Also start rviz2 with config/hebbian.rviz "
                '(add the group "visualization" for the markers it shows).',
            ),
            OpaqueFunction(function=_nodes),
            Node(
                package="rviz2",
                executable="rviz2",
                name="rviz2",
                output="screen",
                arguments=["-d", str(config_dir() / "hebbian.rviz")],
                condition=IfCondition(LaunchConfiguration("rviz")),
            ),
        ]
    )
