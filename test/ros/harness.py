"""Drive a real hebbian_ros graph over DDS from a test: start node processes, publish stimuli, record topics."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import yaml
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import Log
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from hebbian_ros.evaluation.probe import Observer, wait_until
from hebbian_ros.experiments.stimuli import scene
from hebbian_ros.graph.spec import config_dir, load_graph
from hebbian_ros.graph.supervisor import Supervisor
from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition, StructuralEvent
from hebbian_ros.nodes.conversions import image_to_msg
from hebbian_ros.nodes.diagnostics import INHIBITION_PUBLISHERS, RECOGNITION_PUBLISHERS
from hebbian_ros.ros import qos

FRAME = 1 / 30


def write_overrides(path: Path, overrides: dict[str, dict]) -> str:
    """A ROS parameter file ``{node: {ros__parameters: {...}}}``; returns its path."""
    path.write_text(yaml.safe_dump({node: {"ros__parameters": p} for node, p in overrides.items()}))
    return str(path)


def start_graph(
    env: dict,
    tmp_path: Path,
    overrides: dict[str, dict] | None = None,
    only: tuple[str, ...] | None = None,
    groups: tuple[str, ...] = ("loop",),
    sim_time: bool = False,
) -> Supervisor:
    """Start the graph of config/graph.yaml as separate processes with ``overrides`` applied."""
    specs = [s for s in load_graph(groups=groups) if only is None or s.name in only]
    extra = (str(config_dir() / "sim_time.yaml"),) if sim_time else ()
    if overrides:
        extra += (write_overrides(tmp_path / "overrides.yaml", overrides),)
    supervisor = Supervisor(specs, extra, env=env)
    supervisor.start()
    return supervisor


@contextmanager
def running_loop(env: dict, tmp_path: Path, overrides: dict[str, dict] | None = None) -> Iterator[Probe]:
    """The loop graph started and answering, with a :class:`Probe`; on exit every node must have stopped
    cleanly without a crash."""
    graph = start_graph(env, tmp_path, overrides)
    probe = Probe()
    try:
        probe.wait_for_graph()
        yield probe
    finally:
        probe.close()
        codes = graph.stop()
    assert graph.events == [], f"a node crashed: {graph.events}"
    assert all(code in (0, -2) for code in codes.values()), f"{codes}; stacks: {graph.stacks}"


class Probe(Observer):
    """A test-side node: publishes camera frames and records every hebbian topic with its arrival time
    (:class:`~hebbian_ros.evaluation.probe.Observer`: ``messages(topic, since)``, ``records``, ``close``)."""

    TOPICS = {
        "hebbian/sensor/rates": (FiringRates, qos.STREAM),
        "hebbian/layer1/rates": (FiringRates, qos.STREAM),
        "hebbian/layer2/rates": (FiringRates, qos.STREAM),
        "hebbian/memory/rates": (FiringRates, qos.STREAM),
        "hebbian/inhibition": (Inhibition, qos.EVENT),
        "hebbian/recognition": (Recognition, qos.EVENT),
        "hebbian/learning_mode": (LearningMode, qos.STATE),
        "hebbian/structure": (StructuralEvent, qos.EVENT),
        "/diagnostics": (DiagnosticArray, qos.DIAGNOSTICS),
    }

    def __init__(self) -> None:
        super().__init__("probe", {**self.TOPICS, "/rosout": (Log, qos.EVENT)})
        self.camera = self.node.create_publisher(Image, "camera/image_raw", qos.STREAM)

    def errors(self, node_name: str) -> list[str]:
        """Error log lines of ``node_name`` seen on /rosout."""
        return [m.msg for m in self.messages("/rosout") if m.name == node_name and m.level >= Log.ERROR]

    def header(self) -> Header:
        return Header(stamp=self.node.get_clock().now().to_msg(), frame_id="camera")

    def publish_image(self, pixels: np.ndarray) -> None:
        self.camera.publish(image_to_msg(pixels, self.header()))

    def present(self, name: str, frames: int, period: float = FRAME) -> float:
        """Publish ``frames`` frames of stimulus ``name`` at ``period``; return the start time."""
        start = time.monotonic()
        pixels = scene(name)
        for i in range(frames):
            self.publish_image(pixels)
            time.sleep(max(0.0, start + (i + 1) * period - time.monotonic()))
        return start

    def wait_for(self, predicate: Callable[[], bool], timeout: float, poll: float = 0.05) -> bool:
        """Poll ``predicate`` until it holds or ``timeout`` s pass."""
        return bool(wait_until(predicate, timeout, poll))

    def wait_for_graph(self, timeout: float = 20.0) -> None:
        """Publish blank frames until the sensor and the top layer answer and the sensor reports on /diagnostics
        that it hears memory's inhibition and recognition (discovery done: in a CI rehearsal, 2026-12-05, the sensor
        once never looked around the first stored object; a recognition subscription matched late is the likely
        cause, as the test then starts at once)."""

        def answered() -> bool:
            self.publish_image(scene("blank"))
            return (
                bool(self.messages("hebbian/layer2/rates"))
                and bool(self.messages("hebbian/recognition"))
                and self.sensor_hears_memory()
            )

        if not self.wait_for(answered, timeout, poll=0.1):
            raise TimeoutError("the graph did not answer within the timeout")

    def sensor_hears_memory(self) -> bool:
        """Whether the sensor's latest /diagnostics report has matched memory's inhibition and (a camera sensor's)
        recognition publishers."""
        for array in reversed(self.messages("/diagnostics")):
            for status in array.status:
                if status.name == "sensor":
                    values = {kv.key: kv.value for kv in status.values}
                    counts = [values.get(INHIBITION_PUBLISHERS, "0"), values.get(RECOGNITION_PUBLISHERS, "1")]
                    return all(int(count) > 0 for count in counts)
        return False


def mean_rates(messages: list[FiringRates]) -> np.ndarray:
    """Mean rate of each message, in order."""
    return np.array([float(np.mean(m.rates)) for m in messages])
