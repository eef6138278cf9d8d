"""Neurogenesis: a full memory asks (FULL), the neuromodulator grants (rate-limited), memory grows (capped)."""

import numpy as np
import pytest

from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory
from hebbian_ros.core.neuromodulation.neuromodulator import Neuromodulator, NeuromodulatorParams
from hebbian_ros.core.structure.neurogenesis import (
    GrowthDemand,
    GrowthGate,
    GrowthParams,
    NeurogenesisParams,
    grown_capacity,
)
from hebbian_ros.core.structure.structural import StructuralKind, StructuralParams

DIM = 8


def patterns(n):
    return (np.eye(n, DIM, dtype=np.float32) * 40 + 1).astype(np.float32)


def full_memory(wait=3, max_capacity=4, structural=None):
    mem = PatternMemory(
        MemoryParams(
            dim=DIM,
            capacity=2,
            min_activity=0.0,
            structural=structural,
            neurogenesis=NeurogenesisParams(max_capacity=max_capacity, wait_samples=wait),
        )
    )
    for p in patterns(2):
        assert mem.recall(p, 1.0).stored
    return mem


def test_demand_asks_once_waits_then_gives_up():
    demand = GrowthDemand(wait_samples=2)
    assert [demand.defer() for _ in range(4)] == [(True, True), (True, False), (False, False), (True, True)]
    demand.satisfied()
    assert demand.defer() == (True, True)
    assert GrowthDemand(0).defer() == (False, True)  # no waiting: ask and recycle at once


def test_gate_grants_at_most_once_per_interval():
    gate = GrowthGate(GrowthParams(units=4, interval=1.0))
    assert gate.request() == 4 and gate.request() == 0
    gate.advance(0.6)
    assert gate.request() == 0
    gate.advance(0.5)
    assert gate.request() == 4 and gate.grants == 2
    assert GrowthGate(GrowthParams(units=0)).request() == 0


def test_capacity_grows_within_the_limit():
    assert grown_capacity(4, 8, 10) == 10 and grown_capacity(4, 2, 10) == 6 and grown_capacity(12, 3, 10) == 12
    with pytest.raises(ValueError, match="units"):
        grown_capacity(4, -1, 10)


def test_full_memory_asks_for_growth_and_stores_the_novelty_in_a_new_unit():
    mem = full_memory()
    novel = patterns(3)[2]
    first = mem.recall(novel, 1.0)
    assert not first.stored and mem.size == 2 and mem.used.all()  # nothing overwritten
    assert [e.kind for e in mem.pop_events()] == [StructuralKind.FULL]
    assert mem.recall(novel, 1.0).stored is False and mem.pop_events() == []  # asked once per wait
    assert mem.grow_units(8) == 2 and mem.capacity == 4  # capped at max_capacity
    assert mem.pop_events()[0][::2] == (StructuralKind.NEUROGENESIS, 2)
    recall = mem.recall(novel, 1.0)
    assert recall.stored and recall.memory_id == 2
    assert [mem.recall(p, 0.0).memory_id for p in patterns(3)] == [0, 1, 2]  # nothing forgotten


def test_without_a_grant_the_least_used_memory_is_recycled_after_the_wait():
    mem = full_memory(wait=2)
    mem.recall(patterns(2)[0], 0.0)  # memory 0 used, memory 1 not
    novel = patterns(3)[2]
    assert [mem.recall(novel, 1.0).stored for _ in range(3)] == [False, False, True]
    assert mem.recall(novel, 0.0).memory_id == 1
    kinds = [e.kind for e in mem.pop_events()]
    assert kinds == [StructuralKind.FULL, StructuralKind.RECYCLE]


def test_at_the_cap_memory_recycles_at_once_and_growth_adds_nothing():
    mem = full_memory(max_capacity=2)
    assert mem.recall(patterns(3)[2], 1.0).stored
    assert mem.grow_units(4) == 0 and mem.capacity == 2


def test_the_synapse_budget_caps_neurogenesis():
    structural = StructuralParams(copies=2, synapse_budget=3 * DIM)
    mem = full_memory(max_capacity=10, structural=structural)
    assert mem.params.max_capacity == 3
    assert mem.grow_units(5) == 1 and mem.synapses <= 3 * DIM


def test_learning_off_never_asks_or_waits():
    mem = full_memory()
    assert not mem.recall(patterns(3)[2], 0.0).stored and mem.pop_events() == []


def test_neuromodulator_grants_growth_rate_limited_by_its_clock():
    core = Neuromodulator(NeuromodulatorParams(growth_units=8, growth_interval=2.0))
    assert core.request_growth() == 8
    assert core.request_growth() == 0
    for _ in range(30):
        core.tick(0.05)
    assert core.request_growth() == 0
    for _ in range(11):
        core.tick(0.05)
    assert core.request_growth() == 8
    assert Neuromodulator().request_growth() == 0  # default: no neurogenesis


@pytest.mark.parametrize("kwargs", [dict(growth_units=-1), dict(growth_interval=float("nan")), dict(growth_units=1.5)])
def test_bad_growth_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        NeuromodulatorParams(**kwargs)


def test_max_capacity_below_capacity_is_refused():
    with pytest.raises(ValueError, match="max_capacity"):
        MemoryParams(dim=DIM, capacity=8, neurogenesis=NeurogenesisParams(max_capacity=4))
