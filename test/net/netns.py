"""Throw-away "hosts" on this machine: Linux network namespaces joined by veth pairs (needs root + iproute2).

Every name carries a per-run tag so parallel runs never collide, addresses are private
(10.213.<random>.0/24 per link) and everything lives only inside namespaces this module creates;
:meth:`Hosts.close` kills what runs in them and deletes them (which also removes their veths).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field


class NetnsUnavailable(RuntimeError):
    """This machine cannot create network namespaces (no iproute2, not root, or refused by the kernel)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip() or result.returncode}")
    return result


@dataclass
class Link:
    """One veth pair: ``ends[host] = (interface, address)``."""

    subnet: str
    ends: dict[str, tuple[str, str]] = field(default_factory=dict)

    def interface(self, host: str) -> str:
        return self.ends[host][0]

    def address(self, host: str) -> str:
        return self.ends[host][1]


class Hosts:
    """Network namespaces ("hosts") and veth links between them, all removed by :meth:`close`.

    :param names: logical host names, e.g. ``('a', 'b')``.
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        if shutil.which("ip") is None:
            raise NetnsUnavailable("iproute2 (`ip`) is not installed")
        self.tag = f"{os.getpid() % 100000:05d}{random.SystemRandom().randrange(16**3):03x}"
        self.namespaces = {name: f"hb{self.tag}{name}" for name in names}
        self.links: list[Link] = []
        self._processes: list[subprocess.Popen] = []
        self._created: list[str] = []
        try:
            for name, ns in self.namespaces.items():
                result = _ip("netns", "add", ns, check=False)
                if result.returncode != 0:
                    raise NetnsUnavailable(f"`ip netns add` failed: {result.stderr.strip()}")
                self._created.append(ns)
                _ip("-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise

    def ns(self, host: str) -> str:
        return self.namespaces[host]

    def link(
        self,
        a: str,
        b: str,
        multicast: bool = True,
        subnet: str | None = None,
        address: tuple[bool, bool] = (True, True),
        mtu: int | None = None,
    ) -> Link:
        """A veth pair between hosts ``a`` and ``b``, up, with addresses <subnet>.1 / .2 (/24).

        ``subnet`` defaults to a fresh random 10.213.<n>; ``address=(True, False)`` leaves b's end
        without an address (e.g. a link emulator's port); ``mtu`` sets both ends' MTU (default: 1500).
        """
        used = {link.subnet for link in self.links}
        while subnet is None:
            candidate = f"10.213.{random.SystemRandom().randrange(1, 255)}"
            subnet = None if candidate in used else candidate
        link = Link(subnet)
        index = len(self.links)
        for host, suffix, octet in ((a, "x", 1), (b, "y", 2)):
            link.ends[host] = (f"hv{self.tag}{index}{suffix}", f"{subnet}.{octet}")
        (ia, _), (ib, _) = link.ends[a], link.ends[b]
        _ip("link", "add", ia, "type", "veth", "peer", "name", ib)
        self.links.append(link)
        for host, with_address in zip((a, b), address):
            interface, ip_address = link.ends[host]
            _ip("link", "set", interface, "netns", self.ns(host))
            if with_address:
                _ip("-n", self.ns(host), "addr", "add", f"{ip_address}/24", "dev", interface)
            if mtu is not None:
                _ip("-n", self.ns(host), "link", "set", interface, "mtu", str(mtu))
            _ip("-n", self.ns(host), "link", "set", interface, "up", "multicast", "on" if multicast else "off")
        return link

    def multicast_route(self, host: str, interface: str) -> None:
        """Route 224.0.0.0/4 (DDS discovery multicast) out of ``interface`` in ``host``."""
        _ip("-n", self.ns(host), "route", "add", "224.0.0.0/4", "dev", interface)

    def set_link(self, host: str, interface: str, up: bool) -> None:
        _ip("-n", self.ns(host), "link", "set", interface, "up" if up else "down")

    def counters(self, host: str, interface: str) -> dict[str, int]:
        """Kernel packet/byte counters of ``interface`` (``ip -s link``)."""
        text = _ip("-n", self.ns(host), "-s", "link", "show", interface).stdout
        numbers = [line.split() for line in text.splitlines() if re.match(r"^\s+\d", line)]
        rx, tx = numbers[0], numbers[1]
        return {"rx_bytes": int(rx[0]), "rx_packets": int(rx[1]), "tx_bytes": int(tx[0]), "tx_packets": int(tx[1])}

    def popen(self, host: str, command: list[str], **kwargs) -> subprocess.Popen:
        """Start ``command`` inside ``host`` (``ip netns exec``); it is killed by :meth:`close` at the latest."""
        process = subprocess.Popen(["ip", "netns", "exec", self.ns(host), *command], **kwargs)
        self._processes.append(process)
        return process

    def stop(self, process: subprocess.Popen, timeout: float = 8.0) -> int:
        """SIGINT, then SIGTERM, then SIGKILL ``process`` (one this object started); return its exit code."""
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if process.poll() is not None:
                break
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                continue
        return process.wait()

    def close(self) -> None:
        """Stop everything started here, kill anything left inside the namespaces, delete them."""
        for process in reversed(self._processes):
            if process.poll() is None:
                self.stop(process, timeout=3.0)
        for ns in self._created:
            pids = _ip("netns", "pids", ns, check=False).stdout.split()
            for pid in pids:  # only processes inside our own namespace: ones we started or their children
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            deadline = time.monotonic() + 3.0
            while _ip("netns", "pids", ns, check=False).stdout.split() and time.monotonic() < deadline:
                time.sleep(0.05)
            _ip("netns", "del", ns, check=False)
        self._created.clear()

    def __enter__(self) -> Hosts:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
