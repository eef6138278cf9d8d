"""Structural plasticity of memory: duplicate copies, path growth, usage tags, pruning, recycling, the
synapse budget and checkpoints of the structure."""

import numpy as np
import pytest

from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory
from hebbian_ros.core.structure.neurogenesis import NeurogenesisParams
from hebbian_ros.core.structure.structural import (
    DuplicatePool,
    StructuralKind,
    StructuralParams,
    perturbed_copies,
    select_copies,
)

DIM = 16


def unit(v):
    return (v / np.linalg.norm(v)).astype(np.float32)


def base_patterns(n, seed=0):
    """Sparse non-negative patterns, far apart (cosine < 0.5)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, DIM), np.float32)
    for i in range(n):
        out[i, rng.choice(DIM, 4, replace=False)] = rng.uniform(20, 60, 4)
    return out


def drift(p, amount, seed):
    """``p`` with weights changed by a relative ``amount`` (same active units)."""
    return (p * (1 + amount * np.random.default_rng(seed).standard_normal(p.size))).clip(0).astype(np.float32)


def memory(copies=4, budget=0, lifetime=5000, capacity=8, neuro=None, threshold=0.9, **kwargs):
    return PatternMemory(
        MemoryParams(
            dim=DIM,
            capacity=capacity,
            min_activity=0.0,
            familiarity_threshold=threshold,
            structural=StructuralParams(copies=copies, synapse_budget=budget, unused_lifetime=lifetime, **kwargs),
            neurogenesis=neuro,
        )
    )


def along(p, t):
    """``p`` moved ``t`` along a fixed path: weight shifts between its active units (like habituation)."""
    active = np.flatnonzero(p)
    direction = np.zeros(DIM, np.float32)
    direction[active] = np.array([-0.9, 0.9, -0.5, 0.5])[: active.size]
    return (p * (1 + t * direction)).clip(0).astype(np.float32)


def episode(mem, pattern, samples=6, amount=0.04, seed=0):
    """A learning episode on ``pattern`` with small variations; returns its memory id."""
    ids = [mem.recall(drift(pattern, amount, seed + i) if i else pattern, 1.0).memory_id for i in range(samples)]
    return ids[0]


def test_select_copies_takes_the_most_different_distinct_samples_first():
    existing = unit(np.array([1, 0, 0, 0], np.float32))[None]
    candidates = np.stack(
        [unit(np.array(v, np.float32)) for v in ([1, 0.01, 0, 0], [1, 1, 0, 0], [1, 0.5, 0, 0], [1, 0, 1, 0])]
    )
    chosen = select_copies(candidates, existing, 2, distinct_below=0.99)
    assert len(chosen) == 2
    np.testing.assert_allclose(chosen[0], candidates[1])  # 0.71 to the prototype: farthest
    np.testing.assert_allclose(chosen[1], candidates[3])  # far from both the prototype and the first copy
    assert len(select_copies(candidates[:1], existing, 3, distinct_below=0.99)) == 0  # a near-duplicate


def test_perturbed_copies_keep_the_active_synapses_and_unit_length():
    p = unit(base_patterns(1)[0])
    copies = perturbed_copies(p, 3, 0.3, np.random.default_rng(0))
    assert copies.shape == (3, DIM)
    np.testing.assert_allclose(np.linalg.norm(copies, axis=1), 1.0, atol=1e-5)
    assert np.all(copies[:, p == 0] == 0) and not np.allclose(copies, p)


def test_aha_grows_copies_that_recognise_a_drifted_pattern_the_prototype_alone_misses():
    p = base_patterns(1)[0]
    plain, structural = (
        PatternMemory(MemoryParams(dim=DIM, min_activity=0.0, familiarity_threshold=0.97)),
        memory(threshold=0.97),
    )
    for mem in (plain, structural):
        for i in range(10):  # the episode sees the pattern drift (habituation); the prototype follows it
            assert mem.recall(along(p, 0.05 * i), 1.0).memory_id == 0
    assert structural.grow_duplicates(0) >= 2 and plain.grow_duplicates(0) == 0
    assert [e.kind for e in structural.pop_events()] == [StructuralKind.GROW_DUPLICATE]
    probes = [drift(along(p, t), 0.1, 100 + i) for t in (-0.1, 0.0, 0.6) for i in range(20)]
    hits = [sum(m.recall(q, 0.0).familiar for q in probes) for m in (plain, structural)]
    assert hits[1] >= hits[0] + 20, hits
    assert structural.synapses == (1 + structural.copies[0]) * DIM


@pytest.mark.parametrize("silence", [False, True])
def test_after_the_aha_a_drifting_view_becomes_a_copy_unless_silence_broke_the_path(silence):
    mem = memory(copies=4, path_similarity=0.8)
    p = base_patterns(1)[0]
    m = episode(mem, p)
    mem.grow_duplicates(m)
    mem.pop_events()
    drifted = along(p, 0.65)
    assert 0.8 <= unit(drifted) @ unit(p) < 0.9
    if silence:
        mem.recall(np.zeros(DIM, np.float32), 1.0)  # nothing in view: the path ends
        assert mem.recall(drifted, 1.0).stored and mem.size == 2
        return
    recall = mem.recall(drifted, 1.0)
    assert recall.memory_id == m and not recall.stored and mem.size == 1  # a copy, not a new memory
    assert mem.pop_events()[0][:2] == (StructuralKind.GROW_DUPLICATE, m)
    assert mem.recall(drifted, 0.0).familiar


def test_with_its_copies_full_a_drifting_view_stays_the_confirmed_memory():
    """No room for one more copy: the view is consolidated into the memory, never stored as a second one."""
    mem = memory(copies=1, path_similarity=0.8)
    p = base_patterns(1)[0]
    m = episode(mem, p)
    mem.grow_duplicates(m)
    first = mem.recall(along(p, 0.6), 1.0)  # the one copy
    assert first.memory_id == m and mem.copies[m] == 1
    active = np.flatnonzero(p)
    sideways = p.copy()
    sideways[active[:2]] *= np.float32(0.3)  # off the path: a drift the copy does not cover either
    entries = np.vstack([mem.patterns[m], mem.pool.entries[mem.pool.owner == m]])
    assert 0.85 <= (entries @ unit(sideways)).max() < 0.9
    recall = mem.recall(sideways, 1.0)
    assert recall.memory_id == m and not recall.stored and mem.size == 1 and mem.copies[m] == 1


def test_a_different_pattern_is_never_taken_as_a_copy():
    mem = memory(path_similarity=0.8)
    a, b = base_patterns(2)
    m = episode(mem, a)
    mem.grow_duplicates(m)
    recall = mem.recall(b, 1.0)
    assert recall.stored and recall.memory_id != m and mem.copies[m] <= 1


def test_learning_off_leaves_the_structure_bit_identical_but_usage_is_captured_later():
    mem = memory(copies=4, path_similarity=0.8)
    p = base_patterns(1)[0]
    m = episode(mem, p)
    mem.grow_duplicates(m)
    assert mem.recall(along(p, 0.65), 1.0).memory_id == m and mem.copies[m] >= 1  # a copy on the path
    before = {k: v.tobytes() for k, v in mem.state_dict().items() if k != "hits"}
    for i in range(30):
        assert mem.recall(along(p, 0.65), 0.0).familiar  # won by the copy, learning off
    assert before == {k: v.tobytes() for k, v in mem.state_dict().items() if k != "hits"}
    hits_before = mem.state_dict()["copy_hits"].sum()
    mem.recall(p, 1.0)  # next plastic step captures the tags
    state = mem.state_dict()
    assert state["copy_hits"].sum() >= hits_before + 30
    assert state["clock"] == mem.pool.clock and state["copy_last_use"].max() >= 30


def test_unused_copies_are_pruned_and_their_synapses_return_to_the_pool():
    mem = memory(copies=4, lifetime=50)
    a, b = base_patterns(2)
    m = episode(mem, a, samples=8, amount=0.08)
    grown = mem.grow_duplicates(m)
    assert grown >= 1
    synapses = mem.synapses
    for i in range(60):  # only b is seen: a's copies are never used
        mem.recall(b, 1.0 if i == 59 else 0.0)
    events = mem.pop_events()
    pruned = [e for e in events if e.kind is StructuralKind.PRUNE]
    assert pruned and pruned[0].memory_id == m and pruned[0].count == grown
    assert mem.copies[m] == 0 and mem.synapses == synapses - grown * DIM + DIM  # b stored, a's copies freed
    assert mem.used[m]  # the prototype stays


def test_synapses_never_exceed_the_budget_and_least_recently_used_copies_are_recycled():
    budget = 12 * DIM  # 12 entries for 8 units with up to 4 copies each
    mem = memory(copies=4, budget=budget, capacity=8)
    kinds = []
    for k, p in enumerate(base_patterns(8, seed=3)):
        m = episode(mem, p, samples=10, amount=0.1, seed=10 * k)
        mem.grow_duplicates(m)
        mem.recall(np.zeros(DIM, np.float32), 1.0)
        kinds += [e.kind for e in mem.pop_events()]
        assert mem.synapses <= budget
    assert StructuralKind.RECYCLE in kinds and StructuralKind.GROW_DUPLICATE in kinds
    assert mem.size + int(mem.copies.sum()) == budget // DIM


def test_state_round_trip_keeps_copies_usage_and_capacity():
    mem = memory(copies=3, capacity=2, neuro=NeurogenesisParams(max_capacity=6))
    p = base_patterns(1)[0]
    mem.grow_duplicates(episode(mem, p, samples=8, amount=0.08))
    mem.grow_units(3)
    state = mem.state_dict()
    assert int(state["capacity"]) == 5 and {"copies", "copy_owner", "copy_hits", "copy_last_use", "clock"} <= set(state)
    other = memory(copies=3, capacity=2, neuro=NeurogenesisParams(max_capacity=6))
    other.load_state_dict(state)
    assert other.capacity == 5
    assert all(np.array_equal(state[k], v) for k, v in other.state_dict().items())
    probe = drift(p, 0.1, 99)
    assert other.recall(probe, 0.0) == mem.recall(probe, 0.0)


def test_a_large_budget_saves_the_copies_it_holds_and_loads_them_where_they_were():
    roomy = memory(copies=3, budget=400 * DIM, capacity=4)  # room for 396 copies
    pattern = base_patterns(1)[0]
    memory_id = episode(roomy, pattern)
    for k in range(3):  # kept views (as the sensor's gaze views): copies of the memory
        roomy.learn_view(memory_id, drift(pattern, 0.3, 50 + k))
    assert roomy.pool.size == 3
    roomy.pool.remove(np.array([0]))  # a hole before the last copy in use
    state = roomy.state_dict()
    last = int(np.flatnonzero(roomy.pool.owner >= 0)[-1])
    assert len(state["copies"]) == last + 1 < len(roomy.pool.owner)
    again = memory(copies=3, budget=400 * DIM, capacity=4)
    again.load_state_dict(state)
    assert np.array_equal(again.pool.owner, roomy.pool.owner) and np.array_equal(again.pool.entries, roomy.pool.entries)
    tight = memory(copies=3, budget=(4 + last) * DIM, capacity=4)  # fewer rows than were saved: compacted
    tight.load_state_dict(
        dict(
            state,
            copies=np.pad(state["copies"], ((0, 8), (0, 0))),
            copy_owner=np.pad(state["copy_owner"], (0, 8), constant_values=-1),
            copy_hits=np.pad(state["copy_hits"], (0, 8)),
            copy_last_use=np.pad(state["copy_last_use"], (0, 8)),
        )
    )
    assert tight.pool.size == roomy.pool.size


def test_loading_handles_other_capacities_and_older_checkpoints():
    small = PatternMemory(MemoryParams(dim=DIM, capacity=2, min_activity=0.0))
    small.recall(base_patterns(1)[0], 1.0)
    mem = memory(capacity=4)
    mem.load_state_dict(small.state_dict())  # no copies, fewer units: padded, no copies
    assert mem.capacity == 4 and mem.size == 1 and mem.pool.size == 0
    big = memory(capacity=8)
    episode(big, base_patterns(1)[0])
    with pytest.raises(ValueError, match="at most 4"):
        mem.load_state_dict(big.state_dict())  # would lose units: refused, nothing changed
    assert mem.capacity == 4 and mem.size == 1
    broken = dict(big.state_dict(), copy_owner=np.full(len(big.pool.owner), 7, np.int32))
    with pytest.raises(ValueError, match="copy_owner"):
        memory(capacity=8).load_state_dict(broken)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(copies=0),
        dict(synapse_budget=-1),
        dict(distinct_below=0.0),
        dict(noise=2.0),
        dict(unused_lifetime=0),
        dict(path_similarity=1.5),
        dict(copies="4"),
    ],
)
def test_bad_structural_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        StructuralParams(**kwargs)


def test_a_budget_below_the_prototypes_is_refused():
    with pytest.raises(ValueError, match="synapse_budget"):
        MemoryParams(dim=DIM, capacity=8, structural=StructuralParams(synapse_budget=7 * DIM))


def test_pool_tags_are_captured_exactly():
    pool = DuplicatePool(3, 2)
    assert pool.add(5, np.eye(2, dtype=np.float32)) == 2
    for _ in range(4):
        pool.tick()
    pool.tag(1)
    pool.tick()
    pool.capture()
    assert pool.clock == 5 and pool.hits.tolist() == [0, 1, 0] and pool.last_use.tolist() == [0, 4, 0]
    assert pool.stale(3).tolist() == [0] and pool.least_recent(1, exclude=-1).tolist() == [0]
