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


HANGS = """
import faulthandler, os, signal, sys, time
faulthandler.register(signal.SIGUSR1, file=open(os.environ["HEBBIAN_STACK_FILE"], "a"), all_threads=True)
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, signal.SIG_IGN)
print("ready", flush=True)
def stuck_in_teardown():
    while True:
        time.sleep(0.05)
stuck_in_teardown()
"""


def test_a_node_that_does_not_stop_is_killed_and_says_where_it_hangs(tmp_path):
    """What CI once saw without any stack (layer1 killed after SIGINT and SIGTERM): now its stacks are kept."""

    class Hanging(Supervisor):
        def command(self, spec):
            return [sys.executable, "-c", HANGS]

    spec = next(s for s in load_graph() if s.name == "memory")
    supervisor = Hanging([spec], env=dict(os.environ), stack_dir=tmp_path)
    supervisor.start()
    time.sleep(1.0)  # past its imports: the SIGUSR1 handler is installed
    codes = supervisor.stop(timeout=0.5)
    assert codes == {"memory": -signal.SIGKILL}
    assert "stuck_in_teardown" in supervisor.stacks["memory"], supervisor.stacks


def test_a_clean_stop_leaves_no_stack_folder(ros_env):
    supervisor = Supervisor([s for s in load_graph() if s.name == "neuromodulator"], env=ros_env)
    supervisor.start()
    time.sleep(3.0)
    assert supervisor.stop() == {"neuromodulator": 0}
    assert supervisor.stacks == {} and not supervisor.stack_dir.exists()
