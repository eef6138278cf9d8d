"""A test-side ROS process for one "host" (network namespace), driven over stdin/stdout by the test.

It records every hebbian topic with its arrival time (``time.monotonic()``, the same clock in every
namespace of this machine) and the image stamp the message carries, optionally plays a synthetic camera
(sensor_msgs/Image frames of :func:`hebbian_ros.experiments.stimuli.scene`) and calls Trigger services.

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout (logs go to stderr):
``{"op": "present", "name": "red_box", "frames": 30}``, ``{"op": "records", "since": 0}``,
``{"op": "call", "service": "/memory/save_checkpoint", "wait": 10}``,
``{"op": "wait_graph", "wait": 20, "steady": 10, "learners": ["layer1"]}``, ``{"op": "quit"}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import defaultdict

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import MultiThreadedExecutor
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import Header
from std_srvs.srv import Trigger

from hebbian_ros.evaluation.probe import DEPTH, stamp_ns, wait_until
from hebbian_ros.experiments.stimuli import scene
from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition
from hebbian_ros.nodes.conversions import image_to_msg
from hebbian_ros.nodes.diagnostics import LEARNING_MODE_PUBLISHERS
from hebbian_ros.ros import qos

RATES = ("sensor", "layer1", "layer2", "memory")


def summary(topic: str, msg) -> list:
    """The fields the tests look at, after the stamp."""
    if isinstance(msg, FiringRates):
        rates = msg.rates
        return [float(np.mean(rates)) if len(rates) else 0.0, bool(msg.replay)]
    if isinstance(msg, Inhibition):
        return [float(msg.strength), int(msg.memory_id)]
    if isinstance(msg, Recognition):
        return [bool(msg.familiar), int(msg.memory_id), float(msg.similarity)]
    if isinstance(msg, LearningMode):
        return [bool(msg.active), int(msg.cause), float(msg.level)]
    raise TypeError(topic)


class Agent(Node):
    def __init__(self, name: str, camera: bool) -> None:
        super().__init__(name)
        self.lock = threading.Lock()
        self.records: dict[str, list] = defaultdict(list)
        topics = {f"hebbian/{p}/rates": (FiringRates, qos.STREAM) for p in RATES}
        topics.update(
            {
                "hebbian/inhibition": (Inhibition, qos.EVENT),
                "hebbian/recognition": (Recognition, qos.EVENT),
                "hebbian/learning_mode": (LearningMode, qos.STATE),
            }
        )
        for topic, (msg_type, profile) in topics.items():
            self.create_subscription(msg_type, topic, self._recorder(topic), qos.recording(profile, DEPTH))
        self.camera = self.create_publisher(Image, "camera/image_raw", qos.STREAM) if camera else None
        self.diagnostics: dict[str, dict[str, str]] = {}  # node name -> its latest /diagnostics key-values
        self.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, qos.DIAGNOSTICS)
        self._triggers: dict[str, object] = {}

    def _recorder(self, topic: str):
        def record(msg) -> None:
            now = time.monotonic()
            row = [now, stamp_ns(msg.header.stamp), *summary(topic, msg)]
            with self.lock:
                self.records[topic].append(row)

        return record

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        with self.lock:
            for status in msg.status:
                self.diagnostics[status.name] = {kv.key: kv.value for kv in status.values}

    def hears_learning_mode(self, learner: str) -> bool:
        """Whether ``learner``'s latest /diagnostics says it is matched to a learning-mode publisher."""
        with self.lock:
            return int(self.diagnostics.get(learner, {}).get(LEARNING_MODE_PUBLISHERS, "0")) > 0

    def publish(self, pixels) -> None:
        header = Header(stamp=self.get_clock().now().to_msg(), frame_id="camera")
        msg = image_to_msg(pixels, header)
        sent = time.monotonic()
        self.camera.publish(msg)
        with self.lock:
            self.records["camera/image_raw"].append([sent, stamp_ns(header.stamp)])

    def present(self, name: str, frames: int, period: float) -> float:
        start = time.monotonic()
        pixels = scene(name)
        for i in range(frames):
            self.publish(pixels)
            time.sleep(max(0.0, start + (i + 1) * period - time.monotonic()))
        return start

    def since(self, since: float) -> dict[str, list]:
        with self.lock:
            return {topic: [r for r in rows if r[0] >= since] for topic, rows in self.records.items()}

    def wait_graph(self, timeout: float, steady: int, learners: tuple[str, ...] = ()) -> dict:
        """Blank frames (if a camera) at 30/s until the top layer and memory have answered at least
        ``steady`` times within the last second, this recorder holds the neuromodulator's latched learning
        mode and each of ``learners`` reports on /diagnostics that it hears the neuromodulator: discovery
        across the hosts has settled. (Over a lossy link the recorder once matched the learning-mode
        publisher only after the episode it was to witness: CI 2026-12-07.) (A learner that matched the
        learning-mode publisher after an episode started only gets the state after it, and learns nothing.)

        Returns ``ok``, the seconds it took, and per topic what arrived in all and in the last second
        (on failure: how far the graph got)."""
        start = time.monotonic()
        watched = ("hebbian/layer2/rates", "hebbian/recognition")

        def settled() -> bool:
            recent = time.monotonic() - 1.0
            with self.lock:
                answered = all(sum(1 for r in self.records[topic] if r[0] >= recent) >= steady for topic in watched)
                latched = bool(self.records["hebbian/learning_mode"])
            return answered and latched and all(self.hears_learning_mode(name) for name in learners)

        def blank() -> None:
            if self.camera is not None:
                self.publish(scene("blank"))

        ok = bool(wait_until(settled, timeout, poll=1 / 30, each=blank))
        recent = time.monotonic() - 1.0
        with self.lock:
            arrived = {
                topic: [len(rows), sum(1 for r in rows if r[0] >= recent)] for topic, rows in self.records.items()
            }
        deaf = [name for name in learners if not self.hears_learning_mode(name)]
        if not arrived.get("hebbian/learning_mode"):
            deaf.append("this recorder")
        return {
            "ok": ok,
            "seconds": round(time.monotonic() - start, 2),
            "arrived [all, last s]": arrived,
            "learners not hearing the learning mode": deaf,
        }

    def add_clients(self, services: list[str]) -> None:
        """Trigger clients made up front, so that they are discovered long before they are used."""
        self._triggers.update({name: self.create_client(Trigger, name) for name in services})

    def call(self, service: str, timeout: float, attempt: float = 2.0) -> dict:
        """Call a Trigger service, retrying every ``attempt`` s until ``timeout``: over a lossy link a
        response can be dropped while the server has not yet discovered this client's reader."""
        if service not in self._triggers:
            self.add_clients([service])
        client = self._triggers[service]
        end = time.monotonic() + timeout
        tries = 0
        while time.monotonic() < end:
            if not client.wait_for_service(timeout_sec=min(attempt, max(end - time.monotonic(), 0.01))):
                continue
            tries += 1
            future = client.call_async(Trigger.Request())
            give_up = min(end, time.monotonic() + attempt)
            while not future.done() and time.monotonic() < give_up:
                time.sleep(0.02)
            if future.done():
                result = future.result()
                return {"success": bool(result.success), "message": result.message, "tries": tries}
            client.remove_pending_request(future)
        return {"success": False, "message": f"{service}: no answer in {timeout} s ({tries} tries)", "tries": tries}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", default="agent")
    parser.add_argument("--camera", action="store_true")
    parser.add_argument("--services", nargs="*", default=[], help="Trigger services to be called later")
    args = parser.parse_args()
    rclpy.init()
    agent = Agent(args.name, args.camera)
    agent.add_clients(args.services)
    executor = MultiThreadedExecutor(num_threads=2)
    executor.add_node(agent)
    spinner = threading.Thread(target=executor.spin)
    spinner.start()
    reply = {"ready": True}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
    try:
        for line in sys.stdin:
            command = json.loads(line)
            op = command["op"]
            if op == "quit":
                break
            if op == "present":
                reply = {
                    "start": agent.present(
                        command["name"], int(command["frames"]), float(command.get("period", 1 / 30))
                    )
                }
            elif op == "records":
                reply = {"records": agent.since(float(command.get("since", 0.0)))}
            elif op == "wait_graph":
                reply = agent.wait_graph(
                    float(command.get("wait", 20.0)), int(command.get("steady", 1)), tuple(command.get("learners", ()))
                )
            elif op == "call":
                reply = agent.call(command["service"], float(command.get("wait", 10.0)))
            else:
                reply = {"error": f"unknown op {op!r}"}
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    finally:
        executor.shutdown(timeout_sec=2.0)
        spinner.join(2.0)
        agent.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
