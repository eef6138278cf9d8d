"""contacts_to_touch node (Gazebo path): ros_gz contact reports -> hebbian_ros/Touch taxels on ``touch``.

Subscribes ``touch/contacts`` (ros_gz_interfaces/Contacts, bridged from the SDF contact sensor) and
``touch/finger_pose`` (tf2_msgs/TFMessage from the PosePublisher plugin) and bins the world-frame
contacts on the pad exactly as the embedded simulator does (:mod:`hebbian_ros.sim.gazebo_contacts`).
Needs ros_gz_interfaces and tf2_msgs, which come with ros_gz; on machines without Gazebo the embedded
simulator publishes ``touch`` itself and this node is not used.
"""

from __future__ import annotations

import sys

import numpy as np
from rclpy.node import Node
from std_msgs.msg import Header

from hebbian_ros.core.parameters import Parameter, Schema
from hebbian_ros.msg import Touch
from hebbian_ros.nodes.diagnostics import DIAGNOSTICS, Diagnostics
from hebbian_ros.nodes.parameters import declare_all
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.resources import world_file
from hebbian_ros.ros import qos
from hebbian_ros.ros.spin import spin_node
from hebbian_ros.sim.gazebo_contacts import contact_taxels
from hebbian_ros.sim.sdf_world import parse_sdf
from hebbian_ros.sim.taxels import TaxelLayout

#: Every parameter of this node, written once (declared by :func:`~hebbian_ros.nodes.parameters.declare_all`).
PARAMETERS = Schema(
    Parameter("world", "touch", "World the contacts come from.", read_only=True),
    Parameter("sensor", "finger_contact", "Contact sensor in the world.", read_only=True),
    Parameter("rows", 4, "Taxel rows.", 1, 256, read_only=True),
    Parameter("cols", 4, "Taxel columns.", 1, 256, read_only=True),
)
PARAMETERS += DIAGNOSTICS  # hardware_id and the /diagnostics thresholds, declared with the rest


class ContactsToTouchNode(Node):
    """Bins Gazebo contacts into a taxel grid."""

    def __init__(self, name: str = "contacts_to_touch", **kwargs) -> None:
        super().__init__(name, **kwargs)
        from ros_gz_interfaces.msg import Contacts  # only on machines with ros_gz
        from tf2_msgs.msg import TFMessage

        parameters = declare_all(self, PARAMETERS)
        world = parse_sdf(world_file(parameters["world"]))
        sensor = parameters["sensor"]
        rows = parameters["rows"]
        cols = parameters["cols"]
        model, link, contact = world.find_sensor(sensor)
        collision = link.collision(contact.collision)
        half = collision.geometry.half_extents()
        self.layout = TaxelLayout(
            sensor, model.name, link.name, collision.name, collision.pose, (half[0], half[1]), (rows, cols)
        )
        self.link_frame = f"{model.name}::{link.name}"
        self.link_pose: np.ndarray | None = None
        self.rejections = Rejections(self)
        self.touch_pub = self.create_publisher(Touch, "touch", qos.STREAM)
        self.create_subscription(TFMessage, "touch/finger_pose", self.on_pose, qos.STREAM)
        self.diagnostics = Diagnostics(self, self.rejections, ("touch/contacts",))
        self.create_subscription(Contacts, "touch/contacts", self.diagnostics.counted(self.on_contacts), qos.STREAM)

    def on_pose(self, msg) -> None:
        """Keep the pad link's latest world pose."""
        for transform in msg.transforms:
            if transform.child_frame_id in (self.link_frame, self.layout.link):
                t, q = transform.transform.translation, transform.transform.rotation
                matrix = np.eye(4)
                matrix[:3, :3] = _rotation(q.w, q.x, q.y, q.z)
                matrix[:3, 3] = (t.x, t.y, t.z)
                self.link_pose = matrix

    def on_contacts(self, msg) -> None:
        """Bin one contact report and publish it as Touch."""
        if self.link_pose is None:
            return
        positions, normals, forces = [], [], []
        for contact in msg.contacts:
            names = (contact.collision1.name, contact.collision2.name)
            if not any(n.endswith(self.layout.collision) for n in names):
                continue
            on_pad_first = names[0].endswith(self.layout.collision)
            for i, position in enumerate(contact.positions):
                positions.append((position.x, position.y, position.z))
                n = contact.normals[i] if i < len(contact.normals) else None
                normals.append((n.x, n.y, n.z) if n is not None else (0.0, 0.0, 0.0))
                wrench = contact.wrenches[i] if i < len(contact.wrenches) else None
                body = (wrench.body_1_wrench if on_pad_first else wrench.body_2_wrench) if wrench else None
                forces.append((body.force.x, body.force.y, body.force.z) if body else (0.0, 0.0, 0.0))
        try:
            taxels = (
                contact_taxels(self.layout, np.array(positions), np.array(normals), np.array(forces), self.link_pose)
                if positions
                else np.zeros(self.layout.shape, np.float32)
            )
        except ValueError as error:
            self.rejections.reject("touch/contacts", error)
            return
        self.touch_pub.publish(
            Touch(
                header=Header(stamp=msg.header.stamp, frame_id=self.layout.sensor),
                rows=taxels.shape[0],
                cols=taxels.shape[1],
                pressure=taxels.ravel(),
            )
        )


def _rotation(w: float, x: float, y: float, z: float) -> np.ndarray:
    """Rotation matrix of a unit quaternion."""
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def main(args: list[str] | None = None) -> int:
    """Run the contacts_to_touch node until shut down."""
    return spin_node(ContactsToTouchNode, args)


NODE = ContactsToTouchNode

if __name__ == "__main__":
    sys.exit(main())
