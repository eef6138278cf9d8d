"""The whole loop in one process on a multi-threaded executor behaves like the multi-process graph."""

import signal
import subprocess
import sys

from harness import Probe

from hebbian_ros.msg import LearningMode


def test_in_process_graph_learns_a_novel_stimulus(ros_env):
    graph = subprocess.Popen([sys.executable, "-m", "hebbian_ros.graph.cli", "--in-process"], env=ros_env)
    probe = Probe()
    try:
        probe.wait_for_graph()
        start = probe.present("red_box", 45)
        assert probe.wait_for(
            lambda: LearningMode.CAUSE_AHA in [m.cause for m in probe.messages("hebbian/learning_mode", start)], 3.0
        )
    finally:
        probe.close()
        graph.send_signal(signal.SIGINT)
        assert graph.wait(15) == 0
