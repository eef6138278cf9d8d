"""A separate process that echoes every hebbian_ros message type from echo/in/<Type> to echo/out/<Type>."""

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node

from hebbian_ros import msg
from hebbian_ros.ros import qos

TYPES = ("FiringRates", "Inhibition", "LearningMode", "Recognition", "Touch", "SceneLabel", "StructuralEvent")


def main() -> None:
    rclpy.init()
    node = Node("echo")
    for name in TYPES:
        msg_type = getattr(msg, name)
        publisher = node.create_publisher(msg_type, f"echo/out/{name}", qos.EVENT)
        node.create_subscription(msg_type, f"echo/in/{name}", publisher.publish, qos.EVENT)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass


if __name__ == "__main__":
    main()
