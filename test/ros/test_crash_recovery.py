"""Crashes and bad checkpoints lose nothing learned.

In-process (real rclpy nodes, their Checkpointing): resume bit-identical; a corrupt / foreign current
checkpoint is refused with an error and .prev used (the bad file moved aside); no usable checkpoint means
the node refuses to start instead of starting blank; names cannot leave checkpoint_dir; temporaries of an
interrupted save are cleaned up; the save / load services report failures instead of crashing.

Over DDS between processes: SIGKILL of learning nodes while the loop runs -> the Supervisor restarts them,
each resumes its last checkpoint bit for bit, the other nodes keep running (same PIDs) and the loop still
recognises what it learned; and SIGKILL at random moments while ``~/save_checkpoint`` is hammered on a
4096x1024 layer always leaves a loadable checkpoint (current or .prev).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from harness import Probe, start_graph, write_overrides
from polling import wait_until
from rclpy.parameter import Parameter
from std_srvs.srv import Trigger

from hebbian_ros.core.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_latest,
    previous_path,
    rejected_path,
    save_checkpoint,
    stale_temporaries,
)
from hebbian_ros.core.plasticity.layer import Layer
from hebbian_ros.graph.spec import NodeSpec
from hebbian_ros.graph.supervisor import Supervisor
from hebbian_ros.msg import FiringRates, LearningMode, Recognition
from hebbian_ros.nodes.feature_layer_node import FeatureLayerNode
from hebbian_ros.nodes.memory_node import MemoryNode
from hebbian_ros.nodes.neuromodulator_node import NeuromodulatorNode


def same(a, b):
    return sorted(a) == sorted(b) and all(
        np.asarray(a[k]).dtype == np.asarray(b[k]).dtype and np.asarray(a[k]).tobytes() == np.asarray(b[k]).tobytes()
        for k in a
    )


# --- in-process --------------------------------------------------------------------------------


def make(node_class, context, directory, name="learner", **parameters):
    parameters = {"checkpoint_dir": str(directory), "checkpoint_period": 0.0, **parameters}
    return node_class(
        name=name, context=context, parameter_overrides=[Parameter(k, value=v) for k, v in parameters.items()]
    )


def rates(size, seed, high=100.0):
    return FiringRates(
        population="x",
        shape=[size],
        max_rate=100.0,
        rates=np.random.default_rng(seed).uniform(0, high, size).astype(np.float32),
    )


def train(node, steps=20):
    if isinstance(node, NeuromodulatorNode):
        for i in range(steps):
            node.on_recognition(Recognition(unpropagated=50.0, familiar=False, memory_id=-1))
            time.sleep(0.002)
            node.on_tick()
        return
    node.on_learning_mode(LearningMode(active=True, level=1.0))
    size = node.layer.n_in if isinstance(node, FeatureLayerNode) else node.memory.params.dim
    for i in range(steps):
        node.on_rates(rates(size, i % 3))


def state(node):
    if isinstance(node, FeatureLayerNode):
        return {k: np.asarray(v) for k, v in node.layer.state_dict().items()}
    if isinstance(node, MemoryNode):
        return node.memory.state_dict()
    return node.core.state_dict()


LEARNERS = {
    "layer": (FeatureLayerNode, {"n_in": 24, "n_out": 6, "rule": "bcm"}),
    "memory": (MemoryNode, {"dim": 16, "capacity": 4}),
    "neuromodulator": (NeuromodulatorNode, {}),
}


@pytest.mark.parametrize("kind", list(LEARNERS))
def test_a_node_resumes_its_checkpoint_bit_identical(kind, context, tmp_path):
    node_class, parameters = LEARNERS[kind]
    node = make(node_class, context, tmp_path, **parameters)
    train(node)
    learned = state(node)
    if kind == "neuromodulator":
        assert node.core.episodes >= 1
    node.on_shutdown()  # the save of a clean shutdown
    node.destroy_node()
    again = make(node_class, context, tmp_path, **parameters)
    assert again.checkpointing.resumed_from == str(tmp_path.resolve() / "learner.npz")
    assert same(state(again), learned)
    again.destroy_node()


def test_a_corrupt_current_checkpoint_is_refused_and_prev_used(context, tmp_path):
    node = make(FeatureLayerNode, context, tmp_path, n_in=24, n_out=6)
    train(node)
    first = state(node)
    node.checkpointing.save()
    train(node)
    node.checkpointing.save()
    node.destroy_node()
    path = tmp_path.resolve() / "learner.npz"
    path.write_bytes(path.read_bytes()[:1000])  # truncated
    again = make(FeatureLayerNode, context, tmp_path, n_in=24, n_out=6)
    assert again.checkpointing.resumed_from == str(previous_path(path))
    assert same(state(again), first)
    assert rejected_path(path).exists() and not path.exists()  # moved aside; the good .prev is kept
    again.checkpointing.save()
    assert same(load_checkpoint(previous_path(path)), first)
    again.destroy_node()


def test_another_nodes_checkpoint_is_refused_and_prev_used(context, tmp_path):
    node = make(FeatureLayerNode, context, tmp_path, n_in=24, n_out=6)
    train(node)
    node.checkpointing.save()
    good = state(node)
    node.destroy_node()
    save_checkpoint(tmp_path / "learner.npz", {"patterns": np.zeros((4, 24), np.float32)})  # a memory's
    again = make(FeatureLayerNode, context, tmp_path, n_in=24, n_out=6)
    assert again.checkpointing.resumed_from.endswith("learner.prev.npz")
    assert same(state(again), good)
    again.destroy_node()


@pytest.mark.parametrize("damage", ["both corrupt", "wrong size", "only prev, corrupt"])
def test_a_node_never_starts_blank_when_its_checkpoints_are_unusable(damage, context, tmp_path):
    path = tmp_path / "learner.npz"
    if damage == "wrong size":  # e.g. n_out changed in the configuration: both checkpoints refused
        layer = Layer(24, 7, "sanger")
        save_checkpoint(path, layer.state_dict())
        save_checkpoint(path, layer.state_dict())
    else:
        previous_path(path).write_bytes(b"PK\x03\x04 not really a zip")
        if damage == "both corrupt":
            path.write_bytes(os.urandom(300))
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(CheckpointError):
        make(FeatureLayerNode, context, tmp_path, n_in=24, n_out=6)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing overwritten or moved


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "x.prev"])
def test_checkpoint_names_cannot_leave_the_folder(name, context, tmp_path):
    area = tmp_path / "area"
    area.mkdir()
    with pytest.raises(ValueError, match="checkpoint name"):
        make(FeatureLayerNode, context, area / "inside", checkpoint_name=name, n_in=4, n_out=2)
    assert list(area.iterdir()) == []


def test_temporaries_of_an_interrupted_save_are_removed_on_start(context, tmp_path):
    leftover = tmp_path / ".learner.npz.abc123.tmp"
    leftover.write_bytes(b"half a checkpoint")
    other = tmp_path / ".other.npz.abc123.tmp"  # another node's: not touched
    other.write_bytes(b"x")
    node = make(FeatureLayerNode, context, tmp_path, n_in=4, n_out=2)
    assert not leftover.exists() and other.exists()
    node.destroy_node()


def test_services_report_failures_instead_of_crashing(context, tmp_path):
    tmp_path = tmp_path / "area"
    node = make(MemoryNode, context, tmp_path, dim=8, capacity=2)
    train(node)
    response = node.checkpointing._on_save(Trigger.Request(), Trigger.Response())
    assert response.success and "saved" in response.message
    train(node, 3)
    assert node.checkpointing._on_save(Trigger.Request(), Trigger.Response()).success
    path = tmp_path.resolve() / "learner.npz"
    path.write_bytes(b"garbage")
    train(node, 3)
    response = node.checkpointing._on_load(Trigger.Request(), Trigger.Response())
    assert response.success and "skipped" in response.message and "prev" in response.message
    previous_path(path).write_bytes(b"garbage")
    before = state(node)
    response = node.checkpointing._on_load(Trigger.Request(), Trigger.Response())
    assert not response.success and "state unchanged" in response.message
    assert same(state(node), before)
    shutil.rmtree(tmp_path)
    tmp_path.write_bytes(b"a file where the folder was")  # the save cannot create its folder
    response = node.checkpointing._on_save(Trigger.Request(), Trigger.Response())
    assert not response.success and "save failed" in response.message
    node.checkpointing._periodic_save()  # logs, does not raise
    node.on_shutdown()  # logs, does not raise
    node.destroy_node()
    tmp_path.unlink()


# --- separate processes under the Supervisor ---------------------------------------------------


def supervise(supervisor, condition, timeout):
    return bool(wait_until(condition, timeout, 0.1, each=supervisor.poll))


def call_trigger(probe, service, timeout=10.0, attempt=3.0):
    """Call a Trigger service, retrying: after a SIGKILL the dead server stays discovered for a while
    (no goodbye), and a request that only reached it is never answered."""
    end = time.monotonic() + timeout
    while True:
        client = probe.node.create_client(Trigger, service)
        try:
            if client.wait_for_service(timeout_sec=max(0.1, min(attempt, end - time.monotonic()))):
                future = client.call_async(Trigger.Request())
                if probe.wait_for(future.done, min(attempt, max(0.1, end - time.monotonic()))):
                    return future.result()
        finally:
            probe.node.destroy_client(client)
        assert time.monotonic() < end, f"{service}: no answer within {timeout} s"


def recognised_id(probe, name, frames=20):
    start = probe.present(name, frames)
    time.sleep(0.3)
    ids = [m.memory_id for m in probe.messages("hebbian/recognition", start) if m.familiar]
    return (max(set(ids), key=ids.count) if ids else None), ids


class Frames:
    """Blank frames in the background: the loop keeps running while nodes are killed and restarted."""

    def __init__(self, probe, name="blank"):
        self.probe, self.name, self.stop = probe, name, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.probe.present(self.name, 3)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        self.thread.join(5)


VICTIMS = ("layer1", "memory", "neuromodulator")


def test_killed_learning_nodes_restart_from_their_checkpoint_and_the_loop_resumes(ros_env, tmp_path):
    checkpoints = tmp_path / "checkpoints"
    overrides = {
        name: {"checkpoint_dir": str(checkpoints), "checkpoint_period": 0.5}
        for name in ("layer1", "layer2", "memory", "neuromodulator")
    }
    graph = start_graph(ros_env, tmp_path, overrides)
    probe = Probe()
    try:
        probe.wait_for_graph(timeout=40.0)
        probe.present("red_box", 90)
        probe.present("blank", 45)
        learned, _ = recognised_id(probe, "red_box")
        assert learned is not None, "red_box was not learned"
        probe.present("blank", 30)
        assert probe.wait_for(lambda: not probe.messages("hebbian/learning_mode")[-1].active, 10.0)
        for name in VICTIMS:
            assert call_trigger(probe, f"/{name}/save_checkpoint").success
        pids = {name: child.process.pid for name, child in graph.children.items()}

        with Frames(probe):  # mid-run: frames keep flowing through the loop
            time.sleep(0.5)
            for name in VICTIMS:
                graph.children[name].process.send_signal(signal.SIGKILL)
            for name in VICTIMS:
                graph.children[name].process.wait(10)
            on_disk = {name: load_latest(checkpoints / f"{name}.npz")[0] for name in VICTIMS}
            assert supervise(graph, lambda: all(graph.children[n].process.pid != pids[n] for n in VICTIMS), 20.0)
            # Each restarted node holds exactly its last checkpoint (counters for the neuromodulator, whose
            # accumulation follows the frames): what it saves now is what was on disk when it was killed.
            for name in VICTIMS:
                assert call_trigger(probe, f"/{name}/save_checkpoint", 40.0).success
                now = load_checkpoint(checkpoints / f"{name}.npz")
                if name == "neuromodulator":
                    assert int(now["episodes"]) == int(on_disk[name]["episodes"]) >= 1
                    assert int(now["ahas"]) == int(on_disk[name]["ahas"]) >= 1
                else:
                    assert same(now, on_disk[name]), name
            survivors = {name: child.process.pid for name, child in graph.children.items() if name not in VICTIMS}
            assert survivors == {name: pid for name, pid in pids.items() if name not in VICTIMS}
            assert all(child.process.poll() is None for child in graph.children.values())
        time.sleep(0.5)

        # The loop resumes without a manual step: what was learned before is recognised again.
        again, ids = recognised_id(probe, "red_box", 30)
        assert again == learned, (again, learned, ids)
        assert graph.events and all(any(v in e for v in VICTIMS) and "code -9" in e for e in graph.events)
    finally:
        probe.close()
        graph.stop()


def _described(path: Path) -> tuple[str, int, float] | None:
    """Name, size and modification time of a temporary, or ``None`` if a finishing save renamed it meanwhile."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return path.name, stat.st_size, round(stat.st_mtime, 3)


def test_sigkill_while_save_checkpoint_is_hammered_always_leaves_a_loadable_checkpoint(ros_env, tmp_path):
    checkpoints = tmp_path / "checkpoints"
    parameters = write_overrides(
        tmp_path / "big.yaml",
        {
            "big": {
                "n_in": 4096,
                "n_out": 1024,
                "rule": "sanger",
                "input_topic": "unused/rates",
                "weights_image_period": 0.0,
                "checkpoint_dir": str(checkpoints),
                "checkpoint_period": 0.0,
            }
        },
    )
    supervisor = Supervisor([NodeSpec("big", "feature_layer_node", (parameters,))], env=ros_env, max_restarts=10)
    supervisor.start()
    probe = Probe()
    path = checkpoints / "big.npz"
    rng = random.Random(7)
    kills, mid_write, from_prev, saves = 4, 0, 0, 0
    events: list[tuple[str, float]] = []  # what a failure shows, with the temporaries' times
    try:
        assert call_trigger(probe, "/big/save_checkpoint", 40.0).success
        for _ in range(kills):
            stop = threading.Event()
            completed = []

            def hammer():
                client = probe.node.create_client(Trigger, "/big/save_checkpoint")
                while not stop.is_set():
                    future = client.call_async(Trigger.Request())
                    while not future.done() and not stop.is_set():
                        time.sleep(0.002)
                    if future.done() and future.result().success:
                        completed.append(time.monotonic())

            thread = threading.Thread(target=hammer, daemon=True)
            thread.start()
            assert probe.wait_for(lambda: len(completed) >= 2, 20.0)
            time.sleep(rng.uniform(0.0, 0.3))
            victim = supervisor.children["big"].process
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            events.append((f"killed {victim.pid}", time.time()))
            stop.set()
            thread.join(5)
            saves += len(completed)
            left_by_kill = stale_temporaries(path)
            mid_write += bool(left_by_kill)
            target = Layer(4096, 1024, "sanger", seed=123)
            arrays, used, problems = load_latest(path, accept=target.load_state_dict)
            from_prev += used == previous_path(path)
            assert supervise(supervisor, lambda: supervisor.children["big"].process is not victim, 10.0)
            events.append((f"restarted as {supervisor.children['big'].process.pid}", time.time()))
            # The restarted node resumes that checkpoint, bit for bit, and removed what the kill left.
            assert call_trigger(probe, "/big/save_checkpoint", 40.0).success
            assert same({k: np.asarray(v) for k, v in load_checkpoint(path).items()}, arrays)
            assert not [t for t in left_by_kill if t.exists()], f"the restarted node did not clean up: {events}"
        # Twice in about fifteen loaded runs (one in CI) a temporary was found here that none of the kills had left
        # (each kill's were gone after its restart): shown, with the kills' times, for the next one to explain.
        other = [d for d in map(_described, stale_temporaries(path)) if d is not None]
        print(
            f"\n{kills} SIGKILLs during {saves} hammered saves of a 4096x1024 layer: {mid_write} left a "
            f"temporary (mid-write), each removed by the restarted node; {from_prev} resumed from .prev; every "
            f"kill left a loadable checkpoint" + (f"; other temporaries {other}, events {events}" if other else "")
        )
    finally:
        probe.close()
        supervisor.stop()
