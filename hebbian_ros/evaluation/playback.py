"""Play a recording back into the graph: its messages, with their recorded types, at real or another speed.

The messages are published as recorded (raw CDR bytes, headers unchanged) in log-time order, paced
by their recorded receive times divided by ``rate`` (0: as fast as possible), on their recorded
(fully qualified) topics with QoS matching the recorded publishers (reliable / transient-local when
every recorded publisher was). With ``restamp`` every ``header.stamp`` is shifted by one offset so
that the first played stamp is the wall-clock time playback starts (intervals kept): needed when
the receiving graph has already seen later stamps (its nodes refuse stamps that go back in time).
Typical use: replay only the camera so that a fresh graph re-learns from the recorded stream::

    playback run.mcap --topics camera/image_raw
    playback run.mcap --topics camera/image_raw --restamp           # into a graph that already ran
    playback run.mcap --topics camera/image_raw /clock --rate 2.0    # graph on sim time, twice as fast
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from hebbian_ros.evaluation.recording import KNOWN_TOPICS, message_class, parse_qos_yaml, read_raw, topic_filter


class Player:
    """Publishes the messages of one recording (``topics``: names or glob patterns; None: all).

    :param context: rclpy context of its node (``None``: the default one, initialised by the caller).
    """

    def __init__(
        self,
        path: str | Path,
        topics: Iterable[str] | None = None,
        rate: float = 1.0,
        context=None,
        node_name: str = "playback",
        restamp: bool = False,
    ) -> None:
        from mcap.reader import make_reader
        from rclpy.node import Node

        from hebbian_ros.ros import qos

        if not rate >= 0.0:
            raise ValueError(f"rate: must be >= 0 (0: as fast as possible), got {rate}")
        self.path, self.rate, self.restamp = Path(path), float(rate), restamp
        self.topics = None if topics is None else list(topics)
        keep = topic_filter(self.topics)
        with open(self.path, "rb") as stream:
            summary = make_reader(stream).get_summary()
        if summary is None:
            raise ValueError(f"{self.path}: no summary section (was the recording closed?)")
        self.node = Node(node_name, context=context)
        self.publishers = {}
        self.types = {}
        for channel in summary.channels.values():
            if keep is not None and not keep(channel.topic):
                continue
            type_name = summary.schemas[channel.schema_id].name
            offered = parse_qos_yaml(channel.metadata.get("offered_qos_profiles", ""))
            if offered is None:
                known = KNOWN_TOPICS.get(channel.topic) or KNOWN_TOPICS.get(channel.topic.lstrip("/"))
                profile = getattr(qos, known[1]) if known else qos.STREAM
            else:
                reliable, durable = offered
                profile = qos.STATE if reliable and durable else qos.EVENT if reliable else qos.STREAM
            self.types[channel.topic] = message_class(type_name)
            self.publishers[channel.topic] = self.node.create_publisher(
                self.types[channel.topic], channel.topic, profile
            )
        self.counts: dict[str, int] = {topic: 0 for topic in self.publishers}

    def wait_for_subscribers(self, timeout: float) -> bool:
        """Wait until every played topic has a subscriber (or ``timeout`` s); True if they all have."""
        end = time.monotonic() + timeout
        while True:
            if all(p.get_subscription_count() > 0 for p in self.publishers.values()):
                return True
            if time.monotonic() >= end:
                return False
            time.sleep(0.05)

    def play(self, stop: threading.Event | None = None) -> dict[str, int]:
        """Publish every selected message, paced by ``rate``; return the messages published per topic."""
        first = start = offset = None
        for message in read_raw(self.path, list(self.publishers)):
            if stop is not None and stop.is_set():
                break
            if first is None:
                first, start = message.log_time, time.monotonic()
            if self.rate > 0:
                delay = start + (message.log_time - first) * 1e-9 / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            data = bytes(message.data)
            if self.restamp and hasattr(self.types[message.topic], "header"):
                data, offset = self._restamped(data, self.types[message.topic], offset)
            self.publishers[message.topic].publish(data)
            self.counts[message.topic] += 1
        return dict(self.counts)

    @staticmethod
    def _restamped(data: bytes, cls, offset: int | None) -> tuple[bytes, int]:
        from builtin_interfaces.msg import Time
        from rclpy.serialization import deserialize_message, serialize_message

        msg = deserialize_message(data, cls)
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        if offset is None:
            offset = time.time_ns() - stamp
        shifted = max(stamp + offset, 0)
        msg.header.stamp = Time(sec=shifted // 1_000_000_000, nanosec=shifted % 1_000_000_000)
        return serialize_message(msg), offset

    def close(self) -> None:
        self.node.destroy_node()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="playback",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("path", type=Path, help="MCAP recording")
    parser.add_argument("--topics", nargs="+", default=None, help="topics or glob patterns to play (default: all)")
    parser.add_argument(
        "--rate", type=float, default=1.0, help="speed factor (default 1: real time; 0: as fast as possible)"
    )
    parser.add_argument("--restamp", action="store_true", help="shift header stamps to start now")
    parser.add_argument("--wait", type=float, default=5.0, help="wait up to this long for subscribers [s]")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``playback`` console script (ROS arguments after ``--ros-args`` are passed on)."""
    import rclpy

    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--ros-args") if "--ros-args" in argv else len(argv)
    args = parse_args(argv[:split])
    rclpy.init(args=["playback", *argv[split:]])
    player = None
    try:
        player = Player(args.path, args.topics, args.rate, restamp=args.restamp)
        if not player.publishers:
            print(f"{args.path}: no topic to play", file=sys.stderr)
            return 2
        if not player.wait_for_subscribers(args.wait):
            print("not every topic has a subscriber; playing anyway", file=sys.stderr)
        counts = player.play()
        print(f"played {sum(counts.values())} messages on {len(counts)} topics")
    except KeyboardInterrupt:
        pass
    finally:
        if player is not None:
            player.close()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
