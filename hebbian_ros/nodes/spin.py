"""The one way every hebbian_ros node process starts, spins and shuts down."""
from __future__ import annotations

from typing import Callable

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node


def spin_node(make_node: Callable[[], Node], args: list[str] | None = None) -> int:
    """Init rclpy, spin one node until Ctrl-C / SIGTERM / shutdown, then clean up. Returns an exit code."""
    rclpy.init(args=args)
    node = None
    try:
        node = make_node()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        if node is None or node.context.ok():
            raise
        # A callback already running when Ctrl-C / SIGTERM shut the context down failed (e.g. a timer's
        # publish: "publisher's context is invalid"): part of stopping, not a crash.
    finally:
        if node is not None:
            shutdown = getattr(node, 'on_shutdown', None)
            if shutdown is not None:
                shutdown()
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
