"""The package's own graph runner: supervised processes (restart, clean stop) and the in-process mode."""

import os
import signal
import subprocess
import sys
import time

from hebbian_ros.graph.spec import load_graph
from hebbian_ros.graph.supervisor import Supervisor


def test_a_killed_node_is_reported_and_restarted(ros_env):
    supervisor = Supervisor([s for s in load_graph() if s.name == "memory"], env=ros_env, max_restarts=2)
    supervisor.start()
    try:
        first = supervisor.children["memory"].process
        time.sleep(2.0)
        first.send_signal(signal.SIGKILL)
        first.wait(5)
        deadline = time.monotonic() + 10
        while supervisor.children["memory"].process is first and time.monotonic() < deadline:
            supervisor.poll()
            time.sleep(0.1)
        assert supervisor.children["memory"].process is not first
        assert supervisor.children["memory"].process.poll() is None
        assert any("memory exited with code -9" in e for e in supervisor.events), supervisor.events
        # let the new process get past its imports: a SIGINT inside `import numpy` surfaces as an
        # ImportError (exit 1), as CI once saw
        time.sleep(3.0)
        assert supervisor.children["memory"].process.poll() is None
    finally:
        codes = supervisor.stop()
    assert codes["memory"] in (0, -signal.SIGINT)


def test_graph_command_stops_every_node_on_sigterm(ros_env):
    command = [sys.executable, "-m", "hebbian_ros.graph.cli", "--only", "sensor", "memory"]
    graph = subprocess.Popen(command, env=ros_env, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(4.0)
    children = subprocess.run(["pgrep", "-P", str(graph.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 2
    graph.send_signal(signal.SIGTERM)
    assert graph.wait(15) == 0
    time.sleep(0.2)
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
