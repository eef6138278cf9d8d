"""Learning mode off: no weight or memory changes anywhere, bit for bit, over real DDS."""

import numpy as np
import pytest
from harness import Probe, start_graph
from std_srvs.srv import Trigger

from hebbian_ros.core.checkpoint import load_checkpoint

LEARNERS = ("layer1", "layer2", "memory")


def save_all(probe):
    for name in LEARNERS:
        client = probe.node.create_client(Trigger, f"/{name}/save_checkpoint")
        assert client.wait_for_service(timeout_sec=10.0), name
        future = client.call_async(Trigger.Request())
        assert probe.wait_for(future.done, 10.0), name
        assert future.result().success, future.result().message


def snapshot(directory):
    return {name: load_checkpoint(directory / f"{name}.npz") for name in LEARNERS}


@pytest.mark.parametrize("enabled", [False, True])
def test_weights_change_only_in_learning_mode(ros_env, tmp_path, enabled):
    checkpoints = tmp_path / "checkpoints"
    overrides = {name: {"checkpoint_dir": str(checkpoints), "checkpoint_period": 0.0} for name in LEARNERS}
    overrides["neuromodulator"] = {"enabled": enabled}
    graph = start_graph(ros_env, tmp_path, overrides)
    probe = Probe()
    try:
        probe.wait_for_graph()
        save_all(probe)
        before = snapshot(checkpoints)
        for name in ("red_box", "blue_disc", "green_bar"):
            probe.present(name, 60)
            probe.present("blank", 15)
        save_all(probe)
        after = snapshot(checkpoints)
    finally:
        probe.close()
        graph.stop()
    changed = {
        name: not all(np.array_equal(before[name][k], after[name][k]) for k in before[name] if k not in ("hits",))
        for name in LEARNERS
    }
    if enabled:
        assert all(changed.values()), changed
    else:
        assert not any(changed.values()), changed
        assert not probe.messages("hebbian/learning_mode")[-1].active
