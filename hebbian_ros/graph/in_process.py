"""Run every node of the graph in this one process on a multi-threaded executor."""

from __future__ import annotations

import importlib
import time

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node

from hebbian_ros.graph.spec import NodeSpec


def create_nodes(specs: list[NodeSpec], extra_parameter_files: tuple[str, ...] = (), context=None) -> list[Node]:
    """Construct each node with the same ROS arguments its own process would get."""
    nodes = []
    for spec in specs:
        node_class = importlib.import_module(spec.module).NODE
        args = spec.ros_arguments(extra_parameter_files)
        nodes.append(node_class(cli_args=args, use_global_arguments=False, context=context))
    return nodes


def run_in_process(
    specs: list[NodeSpec], extra_parameter_files: tuple[str, ...] = (), duration: float | None = None, threads: int = 4
) -> None:
    """Spin all nodes together until ``duration`` elapses or Ctrl-C / SIGTERM."""
    rclpy.init()
    executor = MultiThreadedExecutor(num_threads=threads)
    nodes = []
    try:
        nodes = create_nodes(specs, extra_parameter_files)
        for node in nodes:
            executor.add_node(node)
        if duration is None:
            executor.spin()
        else:
            deadline = time.monotonic() + duration
            while rclpy.ok() and time.monotonic() < deadline:
                executor.spin_once(timeout_sec=0.1)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        for node in nodes:
            shutdown = getattr(node, "on_shutdown", None)
            if shutdown is not None:
                shutdown()
            node.destroy_node()
        executor.shutdown()
        rclpy.try_shutdown()
