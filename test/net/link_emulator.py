"""A lossy, slow wire between two interfaces: forwards every Ethernet frame from one to the other, dropping
each with probability ``--loss`` and delaying the rest by ``--delay`` seconds, in both directions.

It stands in for ``tc qdisc add dev X root netem loss 20% delay 20ms`` on kernels built without
sch_netem (CONFIG_NET_SCH_NETEM unset, as on this project's machines). Run it inside a namespace that
sits between the two hosts, holding one end of each host's veth (no IP address of its own): the two
hosts share one subnet and see one plain Ethernet segment, like a switch on a bad link.
Needs root (AF_PACKET). Standard library only. On SIGINT/SIGTERM it writes its counters as JSON.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import select
import signal
import socket
import subprocess
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_IGNORE_OUTGOING = 23


def settle_checksum(frame: bytes) -> bytes:
    """IPv4/UDP: checksum 0 ("none", legal for IPv4).

    A veth offloads checksums, so a frame captured on it may carry an unfinished UDP checksum that the
    kernel would have trusted on the direct path; re-sent from user space it would be dropped as corrupt.
    """
    if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return frame
    if int.from_bytes(frame[20:22], "big") & 0x1FFF:  # a later fragment: no UDP header in it
        return frame
    offset = 14 + (frame[14] & 0x0F) * 4 + 6
    return frame[:offset] + b"\x00\x00" + frame[offset + 2 :]


def open_port(interface: str) -> socket.socket:
    port = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    port.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    port.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    try:
        port.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    except OSError:
        pass  # older kernels: outgoing frames are skipped by their packet type below
    port.bind((interface, 0))
    port.setblocking(False)
    return port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--loss", type=float, default=0.2, help="drop probability per frame, each direction")
    parser.add_argument("--delay", type=float, default=0.02, help="one-way delay [s]")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--stats", default=None, help="write the counters here as JSON on exit")
    args = parser.parse_args()
    if not 0.0 <= args.loss < 1.0 or args.delay < 0.0:
        parser.error("--loss must be in [0, 1) and --delay >= 0")
    for interface in (args.first, args.second):
        subprocess.run(["ip", "link", "set", interface, "promisc", "on", "up"], check=True)
    ports = {args.first: open_port(args.first), args.second: open_port(args.second)}
    peer = {ports[args.first]: ports[args.second], ports[args.second]: ports[args.first]}
    name = {ports[args.first]: f"{args.first}->{args.second}", ports[args.second]: f"{args.second}->{args.first}"}
    stats = {direction: {"frames": 0, "dropped": 0, "forwarded": 0, "send_errors": 0} for direction in name.values()}
    rng = random.Random(args.seed)
    pending: list[tuple[float, int, socket.socket, bytes, str]] = []
    sequence = 0
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    while running:
        timeout = 0.2 if not pending else max(0.0, pending[0][0] - time.monotonic())
        try:
            readable, _, _ = select.select(list(peer), [], [], timeout)
        except InterruptedError:
            continue
        for port in readable:
            while True:
                try:
                    frame, address = port.recvfrom(65536)
                except (BlockingIOError, InterruptedError):
                    break
                if address[2] == PACKET_OUTGOING:
                    continue
                counters = stats[name[port]]
                counters["frames"] += 1
                if rng.random() < args.loss:
                    counters["dropped"] += 1
                    continue
                sequence += 1
                heapq.heappush(
                    pending, (time.monotonic() + args.delay, sequence, peer[port], settle_checksum(frame), name[port])
                )
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, out, frame, direction = heapq.heappop(pending)
            try:
                out.send(frame)
                stats[direction]["forwarded"] += 1
            except OSError:
                stats[direction]["send_errors"] += 1
    if args.stats:
        with open(args.stats, "w") as file:
            json.dump(stats, file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
