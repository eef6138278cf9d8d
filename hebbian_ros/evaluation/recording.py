"""Record a run to MCAP the way rosbag2 does, and read recordings back.

File format (what rosbag2's MCAP storage writes, so ``ros2 bag info/play``, Foxglove and the
``rosbags`` library read it): MCAP profile ``ros2``, zstd-compressed chunks, one channel per topic
(fully qualified name) with message encoding ``cdr`` and the channel metadata
``offered_qos_profiles`` (rosbag2's YAML); one schema per message type, named ``pkg/msg/Type``,
encoding ``ros2msg``: the complete message definition, i.e. the type's ``.msg`` file followed by
the ``.msg`` file of every type it uses, each after a line of 80 ``=`` and a line
``MSG: pkg/msg/Type`` (rosbag2's ``message_definition_encoding``). The ``.msg`` files come from the
installed packages' ``share/<pkg>/msg`` folders (the ament index), hebbian_ros's as well.

The recorder subscribes generically (raw CDR bytes, no deserialisation) to topic names or glob
patterns; topics it knows (the loop's) are subscribed at once with the loop's QoS, any other
matching topic as soon as discovery shows it, with QoS compatible with its publishers. Its
``log_time`` is the wall-clock receive time [ns], ``publish_time`` the publisher's source timestamp.

Reading (ROS-free): :func:`read_raw` (bytes), :func:`read_decoded` (mcap-ros2-support's dynamic
decoder) and :func:`read_run_log` (a :class:`RunLog` for the report).

    record run.mcap                               # default topics until Ctrl-C
    record run.mcap --topics camera/image_raw /clock --duration 60
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hebbian_ros import resources
from hebbian_ros.evaluation.probe import stamp_seconds
from hebbian_ros.evaluation.run_log import RunLog
from hebbian_ros.ros.message_types import message_class, normalize_type

#: What the recorder records unless told otherwise: every hebbian topic, the sensory input, the
#: simulator's ground truth and clock.
DEFAULT_TOPICS = ("hebbian/*", "camera/image_raw", "touch", "sim/ground_truth", "/clock")
#: Not recorded unless asked for: the visualizer's drawings (big, and redrawn from the rates on playback).
DEFAULT_EXCLUDE = ("hebbian/*/markers", "hebbian/*/heatmap")

#: Topics of the loop with their type and QoS profile name in :mod:`hebbian_ros.ros.qos`; these are
#: subscribed without waiting for discovery (nothing early is missed).
KNOWN_TOPICS = {
    "camera/image_raw": ("sensor_msgs/msg/Image", "STREAM"),
    "touch": ("hebbian_ros/msg/Touch", "STREAM"),
    "sim/ground_truth": ("hebbian_ros/msg/SceneLabel", "EVENT"),
    "/clock": ("rosgraph_msgs/msg/Clock", "STREAM"),
    "hebbian/inhibition": ("hebbian_ros/msg/Inhibition", "EVENT"),
    "hebbian/recognition": ("hebbian_ros/msg/Recognition", "EVENT"),
    "hebbian/learning_mode": ("hebbian_ros/msg/LearningMode", "STATE"),
    "hebbian/structure": ("hebbian_ros/msg/StructuralEvent", "EVENT"),
    **{
        f"hebbian/{p}/rates": ("hebbian_ros/msg/FiringRates", "STREAM")
        for p in ("sensor", "layer1", "layer2", "memory")
    },
    **{f"hebbian/{p}/weight_norms": ("hebbian_ros/msg/FiringRates", "EVENT") for p in ("layer1", "layer2")},
    **{f"hebbian/{p}/receptive_fields": ("sensor_msgs/msg/Image", "EVENT") for p in ("layer1", "layer2")},
}

#: History depth of the recorder's subscriptions: a recorder must not lose a burst while it writes.
RECORDER_DEPTH = 200

_PRIMITIVES = {
    "bool",
    "byte",
    "char",
    "float32",
    "float64",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "string",
    "wstring",
}
_SEPARATOR = "=" * 80
_INFINITE = {"sec": 9223372036, "nsec": 854775807}


# --- message definitions ------------------------------------------------------------------------


def msg_file(type_name: str) -> Path:
    """The ``.msg`` file of ``pkg/msg/Type`` (share/<pkg>/msg/<Type>.msg, see :func:`hebbian_ros.resources.msg_file`)."""
    package, _, name = normalize_type(type_name).split("/")
    path = resources.msg_file(package, name)
    if path is None:
        raise ValueError(
            f"type_name: no .msg file for {type_name!r} (is its package installed and AMENT_PREFIX_PATH set?)"
        )
    return path


def field_types(text: str, package: str) -> list[str]:
    """Message types (``pkg/msg/Type``) that the fields of a ``.msg`` text use, in order of appearance."""
    found: list[str] = []
    for line in text.splitlines():
        tokens = line.split("#", 1)[0].split()
        if len(tokens) < 2:
            continue
        base = re.split(r"[\[<]", tokens[0], maxsplit=1)[0]
        if base in _PRIMITIVES:
            continue  # also every constant: constants are primitive
        dep = normalize_type(base, package)
        if dep not in found:
            found.append(dep)
    return found


def message_definition(type_name: str) -> str:
    """The complete ``ros2msg`` definition of ``type_name`` (see the module docstring)."""
    top = normalize_type(type_name)
    texts: dict[str, str] = {}
    pending = [top]
    while pending:
        current = pending.pop(0)
        if current in texts:
            continue
        texts[current] = msg_file(current).read_text()
        pending += [d for d in field_types(texts[current], current.split("/")[0]) if d not in texts]
    parts = [texts.pop(top).rstrip("\n") + "\n"]
    parts += [f"{_SEPARATOR}\nMSG: {name}\n{text.rstrip(chr(10))}\n" for name, text in texts.items()]
    return "".join(parts)


def qos_yaml(reliable: bool, transient_local: bool, depth: int) -> str:
    """rosbag2's ``offered_qos_profiles`` channel metadata for one keep-last profile."""
    duration = f"\n    sec: {_INFINITE['sec']}\n    nsec: {_INFINITE['nsec']}"
    return (
        f"- history: keep_last\n  depth: {depth}\n"
        f"  reliability: {'reliable' if reliable else 'best_effort'}\n"
        f"  durability: {'transient_local' if transient_local else 'volatile'}\n"
        f"  deadline:{duration}\n  lifespan:{duration}\n  liveliness: automatic\n"
        f"  liveliness_lease_duration:{duration}\n  avoid_ros_namespace_conventions: false\n"
    )


def parse_qos_yaml(text: str) -> tuple[bool, bool] | None:
    """(reliable, transient_local) of every offered profile in ``offered_qos_profiles``; None if unknown."""
    import yaml

    try:
        profiles = yaml.safe_load(text) or []
    except yaml.YAMLError:
        return None
    if not isinstance(profiles, list) or not profiles:
        return None

    def is_(value, name: str, number: int) -> bool:
        return value == number if isinstance(value, int) else str(value).lower() == name

    reliable = all(is_(p.get("reliability"), "reliable", 1) for p in profiles if isinstance(p, dict))
    durable = all(is_(p.get("durability"), "transient_local", 1) for p in profiles if isinstance(p, dict))
    return reliable, durable


# --- writing ------------------------------------------------------------------------------------


class McapRecordingWriter:
    """Writes raw CDR messages to an MCAP file with rosbag2's schemas and channel metadata.

    Thread-safe; schemas and channels are registered on the first message of a type / topic.
    """

    def __init__(self, path: str | Path, chunk_size: int = 1 << 20) -> None:
        from mcap.writer import CompressionType, Writer

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "wb")
        self._writer = Writer(self._file, chunk_size=chunk_size, compression=CompressionType.ZSTD)
        self._writer.start(profile="ros2", library="hebbian_ros recorder (mcap python)")
        self._schemas: dict[str, int] = {}
        self._channels: dict[str, int] = {}
        self._sequence: dict[str, int] = {}
        self._lock = threading.Lock()
        self.closed = False

    def write(
        self, topic: str, type_name: str, data: bytes, log_time: int, publish_time: int | None = None, qos: str = ""
    ) -> None:
        """Append one message (``data``: serialized CDR) of ``type_name`` on ``topic``."""
        with self._lock:
            if self.closed:
                return
            channel = self._channels.get(topic)
            if channel is None:
                type_name = normalize_type(type_name)
                schema = self._schemas.get(type_name)
                if schema is None:
                    schema = self._writer.register_schema(type_name, "ros2msg", message_definition(type_name).encode())
                    self._schemas[type_name] = schema
                metadata = {"offered_qos_profiles": qos} if qos else {}
                channel = self._writer.register_channel(topic, "cdr", schema, metadata)
                self._channels[topic] = channel
                self._sequence[topic] = 0
            self._sequence[topic] += 1
            self._writer.add_message(
                channel,
                log_time=log_time,
                data=bytes(data),
                publish_time=log_time if publish_time is None else publish_time,
                sequence=self._sequence[topic],
            )

    @property
    def counts(self) -> dict[str, int]:
        """Messages written per topic."""
        with self._lock:
            return dict(self._sequence)

    def close(self) -> None:
        """Write the summary and close the file (idempotent)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._writer.finish()
            self._file.close()

    def __enter__(self) -> McapRecordingWriter:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


# --- reading (ROS-free) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedMessage:
    """One message of a recording."""

    topic: str  #: fully qualified topic name
    type_name: str  #: pkg/msg/Type
    data: Any  #: raw CDR bytes (read_raw) or the decoded message (read_decoded)
    log_time: int  #: receive time [ns]
    qos: str  #: offered_qos_profiles metadata ('' if none)


def topic_filter(topics: Iterable[str] | None):
    """A predicate on fully qualified topic names: matches any of ``topics`` (names or globs, a leading
    '/' optional); None when ``topics`` is None (everything)."""
    if topics is None:
        return None
    wanted = ["/" + t.lstrip("/") for t in topics]
    return lambda name: any(fnmatch.fnmatchcase(name, w) for w in wanted)


def read_raw(path: str | Path, topics: Iterable[str] | None = None) -> Iterator[RecordedMessage]:
    """Messages of a recording in log-time order, as raw CDR bytes (``topics``: names or globs)."""
    from mcap.reader import make_reader

    keep = topic_filter(topics)
    with open(path, "rb") as stream:
        reader = make_reader(stream)
        for schema, channel, message in reader.iter_messages(log_time_order=True):
            if keep is None or keep(channel.topic):
                yield RecordedMessage(
                    channel.topic,
                    schema.name if schema else "",
                    message.data,
                    message.log_time,
                    channel.metadata.get("offered_qos_profiles", ""),
                )


def read_decoded(path: str | Path, topics: Iterable[str] | None = None) -> Iterator[RecordedMessage]:
    """Messages of a recording in log-time order, decoded from the schemas in the file (no ROS needed)."""
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory

    keep = topic_filter(topics)
    with open(path, "rb") as stream:
        reader = make_reader(stream, decoder_factories=[DecoderFactory()])
        wanted = None
        if keep is not None:
            summary = reader.get_summary()
            wanted = [c.topic for c in summary.channels.values() if keep(c.topic)] if summary else None
            if wanted == []:
                return
        for schema, channel, message, decoded in reader.iter_decoded_messages(topics=wanted, log_time_order=True):
            if keep is None or keep(channel.topic):
                yield RecordedMessage(
                    channel.topic,
                    schema.name if schema else "",
                    decoded,
                    message.log_time,
                    channel.metadata.get("offered_qos_profiles", ""),
                )


def topic_summary(path: str | Path) -> dict[str, tuple[str, int]]:
    """``topic -> (type, message count)`` from the recording's summary section."""
    from mcap.reader import make_reader

    with open(path, "rb") as stream:
        summary = make_reader(stream).get_summary()
    if summary is None or summary.statistics is None:
        raise ValueError(f"{path}: no summary section (was the recording closed?)")
    counts = summary.statistics.channel_message_counts
    return {
        c.topic: (summary.schemas[c.schema_id].name, int(counts.get(cid, 0))) for cid, c in summary.channels.items()
    }


def _stamp(header) -> float:
    return stamp_seconds(header.stamp)


def _image(msg) -> np.ndarray | None:
    channels = {"rgb8": 3, "mono8": 1}.get(msg.encoding)
    if channels is None or msg.height * msg.width == 0:
        return None
    data = np.frombuffer(bytes(msg.data), np.uint8)
    rows = data[: msg.height * msg.step].reshape(msg.height, msg.step)[:, : msg.width * channels]
    image = rows.reshape(msg.height, msg.width, channels)
    return np.repeat(image, 3, axis=2) if channels == 1 else image.copy()


def read_run_log(path: str | Path, namespace: str = "") -> RunLog:
    """What :class:`~hebbian_ros.nodes.monitor_node.MonitorNode` would have collected, from a recording;
    plus the weight norms and the last receptive-field image of each layer. ``namespace``: of the graph."""
    prefix = "/" + "/".join(p for p in (namespace.strip("/"), "hebbian") if p) + "/"
    truth_topic = prefix[: -len("hebbian/")] + "sim/ground_truth"
    log = RunLog()
    topics = [prefix + "*", truth_topic]
    for m in read_decoded(path, topics):
        msg, topic = m.data, m.topic
        if topic == truth_topic:
            log.add_truth(_stamp(msg.header), msg.label, msg.visit_object, msg.visit, msg.repeat, msg.phase)
            continue
        name = topic[len(prefix) :]
        if name.endswith("/rates") and m.type_name.endswith("/FiringRates"):
            log.add_rates(msg.population, _stamp(msg.header), np.asarray(msg.rates, np.float32), bool(msg.replay))
        elif name.endswith("/weight_norms") and m.type_name.endswith("/FiringRates"):
            log.add_weight_norms(name[: -len("/weight_norms")], _stamp(msg.header), np.asarray(msg.rates, np.float32))
        elif name.endswith("/receptive_fields") and m.type_name.endswith("/Image"):
            image = _image(msg)
            if image is not None:
                log.receptive_fields[name[: -len("/receptive_fields")]] = image
        elif name == "recognition":
            log.add_recognition(
                _stamp(msg.header), msg.memory_id, msg.similarity, msg.familiar, msg.stored, msg.unpropagated
            )
        elif name == "inhibition":
            log.add_inhibition(_stamp(msg.header), msg.strength)
        elif name == "learning_mode":
            log.add_learning_mode(_stamp(msg.header), msg.active, msg.level, msg.cause, msg.memory_id)
        elif name == "structure" and m.type_name.endswith("/StructuralEvent"):
            log.add_structure(
                _stamp(msg.header), msg.population, msg.kind, msg.memory_id, msg.count, msg.synapses_total, msg.capacity
            )
    return log


# --- the recorder (rclpy) ---------------------------------------------------------------------------


class Recorder:
    """Records ``topics`` (names or glob patterns, relative ones in the node's namespace) but not
    ``exclude`` (same form) to ``path``.

    Owns an rclpy node named ``recorder`` in ``context``; spin it (:attr:`node`) with any executor,
    then :meth:`close`. :func:`recording` does all of that in a background thread.
    """

    def __init__(
        self,
        path: str | Path,
        topics: Iterable[str] = DEFAULT_TOPICS,
        context=None,
        discovery_period: float = 0.5,
        node_name: str = "recorder",
        exclude: Iterable[str] = DEFAULT_EXCLUDE,
    ) -> None:
        from rclpy.clock import Clock, ClockType
        from rclpy.node import Node

        from hebbian_ros.ros import qos

        self._qos = qos
        self.node = Node(node_name, context=context)
        namespace = self.node.get_namespace().rstrip("/")
        self.patterns = [t if t.startswith("/") else f"{namespace}/{t}" for t in topics]
        self.excluded = [t if t.startswith("/") else f"{namespace}/{t}" for t in exclude]
        self.writer = McapRecordingWriter(path)
        self.subscribed: dict[str, str] = {}
        for topic, (type_name, profile) in KNOWN_TOPICS.items():
            name = topic if topic.startswith("/") else f"{namespace}/{topic}"
            if self._wanted(name):
                self._subscribe(name, type_name, getattr(qos, profile))
        self.discover()
        self.node.create_timer(discovery_period, self.discover, clock=Clock(clock_type=ClockType.STEADY_TIME))

    def _wanted(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, p) for p in self.patterns) and not any(
            fnmatch.fnmatchcase(name, p) for p in self.excluded
        )

    def _subscribe(self, name: str, type_name: str, profile) -> None:
        """Subscribe raw to ``name`` with ``profile``'s reliability and durability and a deep history;
        the channel metadata records ``profile`` itself (what the loop's publishers offer)."""
        try:
            cls = message_class(type_name)
            message_definition(type_name)  # refuse types whose schema cannot be written
        except (ValueError, ImportError, AttributeError) as error:
            self.node.get_logger().warning(f"not recording {name}: {error}")
            self.subscribed[name] = type_name
            return
        qos_text = qos_yaml(
            profile.reliability.name == "RELIABLE", profile.durability.name == "TRANSIENT_LOCAL", profile.depth
        )
        writer = self.writer

        def on_message(data: bytes, info) -> None:
            now = time.time_ns()
            source = info.get("source_timestamp") if isinstance(info, dict) else None
            writer.write(name, type_name, data, now, source or now, qos_text)

        deep = self._qos.recording(profile, RECORDER_DEPTH)
        self.node.create_subscription(cls, name, on_message, deep, raw=True)
        self.subscribed[name] = type_name

    def discover(self) -> None:
        """Subscribe to newly seen topics that match the patterns."""
        qos = self._qos
        for name, types in self.node.get_topic_names_and_types():
            if name in self.subscribed or not self._wanted(name) or len(types) != 1:
                continue
            publishers = self.node.get_publishers_info_by_topic(name)
            if not publishers:
                continue
            reliable = all(p.qos_profile.reliability.name == "RELIABLE" for p in publishers)
            durable = all(p.qos_profile.durability.name == "TRANSIENT_LOCAL" for p in publishers)
            profile = qos.STATE if reliable and durable else qos.EVENT if reliable else qos.STREAM
            self._subscribe(name, types[0], profile)

    @property
    def counts(self) -> dict[str, int]:
        """Messages recorded per topic so far."""
        return self.writer.counts

    def close(self) -> None:
        """Finish the file and destroy the node."""
        self.writer.close()
        self.node.destroy_node()


@contextmanager
def recording(
    path: str | Path,
    topics: Iterable[str] = DEFAULT_TOPICS,
    args: list[str] | None = None,
    exclude: Iterable[str] = DEFAULT_EXCLUDE,
):
    """Record ``topics`` but not ``exclude`` to ``path`` in a background thread (own rclpy context) while
    the block runs; yields the :class:`Recorder`."""
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor

    context = Context()
    rclpy.init(context=context, args=args)
    recorder = Recorder(path, topics, context=context, exclude=exclude)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(recorder.node)
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set() and context.ok():
            executor.spin_once(timeout_sec=0.05)

    thread = threading.Thread(target=spin, daemon=True, name="recorder")
    thread.start()
    try:
        yield recorder
    finally:
        stop.set()
        thread.join(timeout=5.0)
        executor.shutdown()
        recorder.close()
        rclpy.try_shutdown(context=context)


def record_demo(run, args) -> tuple[Any, Path]:
    """The demo's ``--record``: run ``run(args)`` while recording to ``<out>/run.mcap``, then add the
    plots only a recording has (weight norms, receptive fields) to the report folder."""
    from datetime import datetime

    from hebbian_ros.evaluation.report import write_learning_plots

    if args.out is None:
        args.out = Path("out") / datetime.now().strftime("demo-%Y%m%d-%H%M%S")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "run.mcap"
    with recording(path):
        summary, out = run(args)
    write_learning_plots(read_run_log(path), out)
    topics = topic_summary(path)
    print(
        f"recording: {path.resolve()} ({path.stat().st_size / 1e6:.1f} MB, "
        f"{sum(n for _, n in topics.values())} messages on {len(topics)} topics)"
    )
    return summary, out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="record", description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path, help="MCAP file to write")
    parser.add_argument(
        "--topics",
        nargs="+",
        default=list(DEFAULT_TOPICS),
        help=f"topic names or glob patterns (default: {' '.join(DEFAULT_TOPICS)})",
    )
    parser.add_argument(
        "--exclude",
        nargs="*",
        default=list(DEFAULT_EXCLUDE),
        help=f"topics or patterns not to record (default: {' '.join(DEFAULT_EXCLUDE)})",
    )
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``record`` console script (ROS arguments after ``--ros-args`` are passed on)."""
    argv = sys.argv[1:] if argv is None else argv
    ros_args = argv[argv.index("--ros-args") :] if "--ros-args" in argv else None
    args = parse_args(argv[: argv.index("--ros-args")] if ros_args else argv)
    start = time.monotonic()
    counts: dict[str, int] = {}
    try:
        with recording(args.path, args.topics, ros_args, args.exclude) as recorder:
            while args.duration is None or time.monotonic() - start < args.duration:
                counts = recorder.counts
                time.sleep(0.2)
            counts = recorder.counts
    except KeyboardInterrupt:
        pass
    print(f"{args.path}: {sum(counts.values())} messages on {len(counts)} topics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
