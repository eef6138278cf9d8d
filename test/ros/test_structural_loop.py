"""Structural plasticity over real DDS: duplicates at the a-ha, FULL -> GROWTH -> NEUROGENESIS between memory
and neuromodulator on hebbian/structure, the synapse bound, and the structure in memory's checkpoint."""

import time

from harness import Probe, start_graph
from std_srvs.srv import Trigger

from hebbian_ros.core.checkpoint import load_checkpoint
from hebbian_ros.msg import StructuralEvent
from hebbian_ros.ros import qos

STIMULI = ("red_box", "blue_disc", "yellow_bar")


def call(probe, service):
    client = probe.node.create_client(Trigger, service)
    assert client.wait_for_service(timeout_sec=10.0), service
    future = client.call_async(Trigger.Request())
    assert probe.wait_for(future.done, 10.0), service
    return future.result()


def test_memory_grows_duplicates_and_units_and_checkpoints_them(ros_env, tmp_path):
    checkpoints = tmp_path / "checkpoints"
    overrides = {
        "memory": {"capacity": 2, "max_capacity": 6, "checkpoint_dir": str(checkpoints), "checkpoint_period": 0.0},
        "neuromodulator": {"growth_units": 2, "growth_interval": 0.5},
    }
    graph = start_graph(ros_env, tmp_path, overrides)
    probe = Probe()
    events = []
    probe.node.create_subscription(StructuralEvent, "hebbian/structure", events.append, qos.EVENT)
    try:
        probe.wait_for_graph()
        for name in STIMULI:
            probe.present(name, 90)
            probe.present("blank", 30)
        ids = {}
        for name in STIMULI:  # all three still recognised, each by its own memory: nothing was overwritten
            start = probe.present(name, 20)
            time.sleep(0.2)
            familiar = [m.memory_id for m in probe.messages("hebbian/recognition", start) if m.familiar]
            assert familiar, f"{name} not recognised"
            ids[name] = max(set(familiar), key=familiar.count)
            probe.present("blank", 30)
        assert call(probe, "/memory/save_checkpoint").success
        loaded = call(probe, "/memory/load_checkpoint")
        assert loaded.success, loaded.message
    finally:
        probe.close()
        codes = graph.stop()
    assert graph.events == [], f"a node crashed: {graph.events}"
    assert all(code in (0, -2) for code in codes.values()), codes
    assert len(set(ids.values())) == 3, ids

    # Order is only guaranteed per publisher: the neuromodulator's GROWTH may reach the probe before memory's FULL.
    # Causality travels in the header instead: GROWTH carries the FULL's stamp, NEUROGENESIS the GROWTH's.
    kinds = [e.kind for e in events]
    assert StructuralEvent.KIND_GROW_DUPLICATE in kinds
    stamp = lambda e: (e.header.stamp.sec, e.header.stamp.nanosec)  # noqa: E731
    growth = next(e for e in events if e.kind == StructuralEvent.KIND_GROWTH)
    assert growth.population == "memory" and growth.count == 2
    full = [e for e in events if e.kind == StructuralEvent.KIND_FULL and stamp(e) == stamp(growth)]
    assert full and full[0].capacity == growth.capacity, kinds
    grown = [e for e in events if e.kind == StructuralEvent.KIND_NEUROGENESIS and stamp(e) == stamp(growth)]
    assert grown and grown[0].capacity == growth.capacity + 2, kinds
    from_memory = [e for e in events if e.kind != StructuralEvent.KIND_GROWTH]  # in memory's publish order
    own = [e.kind for e in from_memory]
    neurogenesis = own.index(StructuralEvent.KIND_NEUROGENESIS)
    assert own.index(StructuralEvent.KIND_FULL) < neurogenesis, own
    assert StructuralEvent.KIND_RECYCLE not in own[:neurogenesis]  # grown, not overwritten
    assert all(0 < e.synapses_total <= e.synapse_budget for e in from_memory)
    assert max(e.capacity for e in from_memory) > 2

    state = load_checkpoint(checkpoints / "memory.npz")
    assert int(state["capacity"]) == max(e.capacity for e in from_memory)
    assert state["copy_owner"].max() >= 0 and {"copies", "copy_hits", "copy_last_use", "clock"} <= set(state)
