"""A second look: a stimulus memory does not know at its onset is matched again from the sensor's gaze views."""

import dataclasses

import numpy as np
import pytest
from unit_patterns import at_cosine, unit

from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory
from hebbian_ros.core.structure.structural import StructuralParams

DIM = 64


def _params(**overrides) -> MemoryParams:
    base = dict(
        dim=DIM,
        capacity=40,
        familiarity_threshold=0.9,
        threshold_quantile=0.5,  # 6 memories put 3 samples above it: a second look's threshold is ready
        adaptive_after=4,
        recognition_hold=5.0,
        onset_similarity=0.2,  # a held recognition reaches well below the live frame's threshold
        structural=StructuralParams(copies=8, synapse_budget=DIM * 400, distinct_below=0.99999),
        second_look=True,
    )
    return MemoryParams(**{**base, **overrides})


def _learned(memory: PatternMemory, patterns: np.ndarray, views: int = 2, seed: int = 0) -> np.ndarray:
    """Store each pattern in its own episode with ``views`` gaze views near it; return the views."""
    rng = np.random.default_rng(seed)
    kept = []
    for pattern in patterns:
        recall = memory.recall(pattern * 10, 1.0)
        assert recall.stored
        for _ in range(views):
            view = unit(pattern + 0.05 * rng.random(DIM))
            assert memory.learn_view(recall.memory_id, view)
            kept.append(view)
        memory.recall(np.zeros(DIM), 1.0)  # silence ends the episode
    return np.array(kept)


def _world(seed: int = 0, n: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).random((n, DIM)) ** 4  # distinct, non-negative patterns


def _shifted(memory: PatternMemory, pattern: np.ndarray) -> np.ndarray:
    """A view of ``pattern`` the live frame misses: below the threshold, within a held recognition's reach."""
    threshold = memory.threshold
    reach = max(1 - memory.params.recognition_hold * (1 - threshold), memory.params.onset_similarity)
    other = np.zeros(DIM)
    other[np.argmin(memory.patterns[memory.used].sum(axis=0))] = 1.0  # a part no memory has: no other comes nearer
    return unit(at_cosine(pattern, other, (threshold + reach) / 2))


def test_an_unknown_stimulus_asks_once_per_look_for_a_second_look():
    memory = PatternMemory(_params())
    world = _world()
    _learned(memory, world[:6])
    stranger = world[7] * 10
    first = memory.recall(stranger, 0.0)
    assert not first.familiar and first.look_again
    assert not memory.recall(stranger, 0.0).look_again  # the same look: asked already
    memory.recall(np.zeros(DIM), 0.0)  # a gap, then a new look
    assert memory.recall(stranger, 0.0).look_again
    known = memory.recall(world[2] * 10, 0.0)
    assert known.familiar and not known.look_again  # a stimulus recognised at once needs none


def test_without_second_look_or_while_young_memory_never_asks():
    world = _world()
    off = PatternMemory(_params(second_look=False))
    _learned(off, world[:6])
    assert not off.recall(world[7] * 10, 0.0).look_again
    young = PatternMemory(_params(adaptive_after=10))  # its fixed threshold was set for one view, not many
    _learned(young, world[:6])
    assert not young.recall(world[7] * 10, 0.0).look_again


def test_the_second_look_waits_until_the_thresholds_tail_is_sampled():
    """At quantile 0.9, 3 samples above it take 30 memories: with fewer the threshold is about their largest."""
    world = _world(n=32)
    learner = PatternMemory(_params(threshold_quantile=0.0, familiarity_threshold=0.9999))  # stores every one
    memory = PatternMemory(_params(threshold_quantile=0.9))
    _learned(learner, world[:29], views=0)
    memory.load_state_dict(learner.state_dict())
    assert not memory.recall(world[31] * 10, 0.0).look_again
    _learned(learner, world[29:30], views=0)
    memory.load_state_dict(learner.state_dict())
    assert memory.recall(world[31] * 10, 0.0).look_again


def test_a_view_of_the_second_look_recognises_and_the_look_stays_recognised():
    memory = PatternMemory(_params())
    world = _world()
    _learned(memory, world[:6])
    patterns, threshold = memory.patterns.copy(), memory.threshold
    live = _shifted(memory, world[3]) * 10
    first = memory.recall(live, 0.0)
    assert not first.familiar and first.look_again
    assert float(unit(live) @ memory.patterns[3]) < threshold
    seen = memory.recognise_view(unit(world[3] + 0.01 * np.random.default_rng(5).random(DIM)))
    assert seen.familiar and seen.memory_id == 3 and seen.similarity >= memory.view_threshold
    follow = memory.recall(live, 0.0)  # the next live frame: still below the threshold, held
    assert follow.familiar and follow.memory_id == 3 and follow.similarity == pytest.approx(seen.similarity)
    assert memory.size == 6 and np.array_equal(memory.patterns, patterns)  # nothing stored, nothing moved


def test_a_view_below_the_threshold_recognises_nothing():
    memory = PatternMemory(_params())
    world = _world()
    _learned(memory, world[:6])
    memory.recall(world[7] * 10, 0.0)
    seen = memory.recognise_view(unit(world[7]))
    assert not seen.familiar
    assert not memory.recall(world[7] * 10, 0.0).familiar


def test_the_best_view_of_a_look_is_kept():
    memory = PatternMemory(_params())
    world = _world()
    _learned(memory, world[:6])
    memory.recall(_shifted(memory, world[3]) * 10, 0.0)
    close = memory.recognise_view(unit(world[3]))
    farther = memory.recognise_view(unit(world[3] + 0.2 * world[4]))
    assert close.familiar and farther.familiar
    assert farther.memory_id == 3 and farther.similarity == pytest.approx(close.similarity)


@pytest.mark.parametrize("second_look", [False, True])
def test_a_second_looks_samples_are_entry_against_entry_and_the_live_frames_stay_prototype_against_entries(
    second_look,
):
    """A never-seen object's second look scores the best of its gaze views against every entry; so does each
    memory's sample for the second look's threshold. One live frame is one view: its threshold keeps its samples
    (taking them entry against entry raised it, and a revisit missed below it started a cascade of duplicates in
    the 30-object demo: RESULTS 5u)."""
    memory = PatternMemory(_params(second_look=second_look, threshold_quantile=0.5))
    world = _world(n=4)
    _learned(memory, world, views=0)
    a, b = world[0], world[1]
    bridge = unit(0.5 * unit(a) + 0.5 * unit(b))  # near both: a view of a that looks like b
    assert memory.learn_view(0, bridge) and memory.learn_view(1, unit(bridge + 0.01 * a))
    pairs = float(bridge @ unit(bridge + 0.01 * a))
    prototypes = max(float(unit(a) @ unit(b)), float(unit(a) @ unit(bridge + 0.01 * a)), float(bridge @ unit(b)))
    # the live frame's samples stay a prototype against the entries; the second look's are entry against entry
    assert memory.nearest[0] < pairs and memory.nearest[0] == pytest.approx(prototypes, abs=1e-5)
    if second_look:
        assert memory.nearest_views[0] == pytest.approx(pairs, abs=1e-5)
        assert memory.nearest_views[1] == pytest.approx(pairs, abs=1e-5)
        assert memory.view_threshold > memory.threshold
    else:
        assert (memory.nearest_views == -1).all() and memory.view_threshold == memory.threshold
    one_look = PatternMemory(dataclasses.replace(memory.params, second_look=False))
    one_look.load_state_dict(memory.state_dict())
    assert one_look.threshold == memory.threshold  # the live frame's threshold does not depend on the second look
    restored = PatternMemory(memory.params)
    restored.load_state_dict(memory.state_dict())
    for samples in ("nearest", "nearest_views"):  # recomputed from scratch, the same
        np.testing.assert_allclose(getattr(restored, samples), getattr(memory, samples), atol=1e-5)


def test_switching_second_look_retakes_the_nearest_samples():
    world = _world(n=4)
    memory = PatternMemory(_params(second_look=False))
    _learned(memory, world, views=2)
    one_view = memory.nearest.copy()
    assert (memory.nearest_views == -1).all()
    memory.params = dataclasses.replace(memory.params, second_look=True)
    every_entry = PatternMemory(_params(second_look=True))
    every_entry.load_state_dict(memory.state_dict())
    np.testing.assert_allclose(memory.nearest_views, every_entry.nearest_views, atol=1e-6)
    np.testing.assert_allclose(memory.nearest, one_view, atol=1e-6)  # the live frame's samples are the same
    views = memory.nearest_views[:4]
    assert (views >= one_view[:4] - 1e-6).all() and (views > one_view[:4] + 1e-4).any()


def test_views_at_once_are_recognised_as_one_by_one():
    """The loop matches a second look's views at once; the memory node, as they arrive: the same verdict."""
    world = _world()
    at_once, one_by_one = PatternMemory(_params(local_vigilance=0.5)), PatternMemory(_params(local_vigilance=0.5))
    for memory in (at_once, one_by_one):
        _learned(memory, world[:6])
        memory.recall(_shifted(memory, world[3]) * 10, 0.0)
    rng = np.random.default_rng(9)
    views = np.stack([unit(world[3] + t * rng.random(DIM)) for t in (0.8, 0.05, 0.3, 2.0)])
    batch = at_once.recognise_views(views)
    for view in views:
        single = one_by_one.recognise_view(view)
    assert batch.familiar and single.familiar
    assert (batch.memory_id, batch.similarity) == (single.memory_id, pytest.approx(single.similarity, abs=1e-6))
    assert at_once._held == one_by_one._held == 3
    with pytest.raises(ValueError, match="views"):
        at_once.recognise_views(np.zeros(DIM))


def test_a_view_that_arrives_after_its_look_ended_is_not_matched():
    """In the graph the views follow over a few frames; by then another stimulus may be in view."""
    memory = PatternMemory(_params())
    world = _world()
    _learned(memory, world[:6])
    assert memory.recall(_shifted(memory, world[3]) * 10, 0.0).look_again
    memory.recall(np.zeros(DIM), 0.0)  # silence: the look ended
    late = memory.recognise_view(unit(world[3]))
    assert not late.familiar and memory._held == -1
    known = memory.recall(world[2] * 10, 0.0)  # a new look, recognised at once: it asked for nothing
    assert known.familiar and not memory.recognise_view(unit(world[3])).familiar
