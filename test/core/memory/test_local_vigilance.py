"""Each memory's own vigilance: one among look-alikes asks more, an isolated one accepts a farther view."""

from dataclasses import replace

import numpy as np
import pytest
from unit_patterns import at_cosine, unit

from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory, memory_params

DIM = 64


def _world(rng: np.random.Generator, isolated: int = 10, pairs: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Isolated patterns (sparse: nearest other below 0.7) and pairs of look-alikes (twins above 0.95)."""
    lone = rng.random((isolated, DIM)) ** 6
    centres = rng.random((pairs, DIM))
    alike = np.concatenate([centres + rng.random((pairs, DIM)) * 0.15, centres + rng.random((pairs, DIM)) * 0.15])
    return lone, alike


def _memory(patterns: np.ndarray, **params) -> PatternMemory:
    """A memory of ``patterns`` (one learning episode each, every one stored), restored under ``params``."""
    learner = PatternMemory(MemoryParams(dim=DIM, capacity=64, threshold_quantile=0.0, familiarity_threshold=0.9999))
    for pattern in patterns:  # a silent frame ends each episode
        learner.recall(pattern * 10, 1.0)
        learner.recall(np.zeros(DIM), 1.0)
    assert learner.size == len(patterns)
    memory = PatternMemory(MemoryParams(dim=DIM, capacity=64, **params))
    memory.load_state_dict(learner.state_dict())
    return memory


@pytest.mark.parametrize("vigilance", [0.0, 0.5])
def test_an_isolated_memory_accepts_a_farther_view_and_a_crowded_one_refuses_a_look_alike(vigilance):
    rng = np.random.default_rng(0)
    isolated, alike = _world(rng)
    memory = _memory(
        np.concatenate([isolated, alike]), threshold_quantile=0.0, familiarity_threshold=0.92, local_vigilance=vigilance
    )
    nearest = memory.nearest[memory.used]
    assert nearest[:10].max() < 0.7 < 0.95 < nearest[10:].min()  # the world is as built
    other = rng.random(DIM)
    farther_view = at_cosine(isolated[3], other, 0.9)  # below the threshold, far above any other memory
    look_alike = at_cosine(alike[2], other, 0.93)  # above the threshold; alike[2]'s twin is nearer still
    view, stranger = memory.recall(farther_view * 10, 0.0), memory.recall(look_alike * 10, 0.0)
    assert view.memory_id == 3 and stranger.memory_id in (12, 17)
    if vigilance == 0.0:  # one threshold: the view is missed, the never-seen look-alike is taken for its twin
        assert not view.familiar and stranger.familiar
        assert view.similarity == pytest.approx(0.9, abs=1e-4)
    else:
        assert view.familiar and not stranger.familiar
        distance = 1 - np.minimum(nearest, 0.92)  # a nearest other above the threshold counts as at it
        factor = (np.median(distance) / distance[3]) ** vigilance  # below 1: its distance shrinks
        assert view.similarity == pytest.approx(1 - 0.1 * factor, abs=1e-4)


def test_an_isolated_memory_never_accepts_a_view_below_the_floor():
    rng = np.random.default_rng(1)
    # most memories have a twin: the lone ones' distances shrink most
    isolated, alike = _world(rng, isolated=6, pairs=7)
    params = dict(threshold_quantile=0.9, adaptive_after=4, young_threshold="floor", familiarity_threshold=0.85)
    plain = _memory(np.concatenate([isolated, alike]), **params)
    vigilant = _memory(np.concatenate([isolated, alike]), local_vigilance=1.0, **params)
    assert plain.threshold > 0.95  # the adaptive threshold follows the twins, far above the floor
    other = rng.random(DIM)
    for cosine, familiar in ((0.9, True), (0.82, False)):  # above the floor: accepted; below it: never
        view = at_cosine(isolated[5], other, cosine)
        assert not plain.recall(view * 10, 0.0).familiar
        assert vigilant.recall(view * 10, 0.0).familiar is familiar, cosine


def test_a_memory_among_look_alikes_still_knows_its_own_pattern():
    """However near its twin, a memory's own pattern is a perfect match (the twin may be that memory's own view
    stored on a visit it missed; a vigilance that made it unrecognisable stored every later visit anew)."""
    rng = np.random.default_rng(3)
    isolated, alike = _world(rng)
    memory = _memory(
        np.concatenate([isolated, alike]), threshold_quantile=0.0, familiarity_threshold=0.99, local_vigilance=1.0
    )
    assert memory.nearest[memory.used][10:].min() > 0.99  # twins nearer than the threshold
    for k in range(10, 20):
        recall = memory.recall(np.concatenate([isolated, alike])[k] * 10, 0.0)
        assert recall.familiar and recall.memory_id == k and recall.similarity == pytest.approx(1.0, abs=1e-5)


def test_a_memory_that_gains_a_look_alike_asks_more_of_the_next_view():
    rng = np.random.default_rng(4)
    isolated, alike = _world(rng)
    memory = _memory(
        np.concatenate([isolated, alike]), threshold_quantile=0.0, familiarity_threshold=0.98, local_vigilance=0.5
    )
    view = at_cosine(isolated[3], rng.random(DIM) ** 6, 0.95)
    before = memory.recall(view * 10, 0.0)
    memory.recall(np.zeros(DIM), 1.0)
    memory.recall(at_cosine(isolated[3], rng.random(DIM) ** 6, 0.96) * 10, 1.0)  # a never-seen look-alike, learned
    assert memory.size == 21
    after = memory.recall(view * 10, 0.0)
    assert before.memory_id == after.memory_id == 3
    assert after.similarity < before.similarity - 0.01, (before.similarity, after.similarity)


def test_a_new_vigilance_applies_to_the_next_pattern():
    """The memory node changes ``params`` at run time: the cached factors must follow."""
    rng = np.random.default_rng(5)
    isolated, alike = _world(rng)
    memory = _memory(np.concatenate([isolated, alike]), threshold_quantile=0.0, familiarity_threshold=0.92)
    view = at_cosine(isolated[3], rng.random(DIM) ** 6, 0.9) * 10
    plain = memory.recall(view, 0.0).similarity
    memory.params = replace(memory.params, local_vigilance=0.5)
    vigilant = memory.recall(view, 0.0).similarity
    memory.params = replace(memory.params, local_vigilance=1.0)
    assert plain == pytest.approx(0.9, abs=1e-4)
    assert plain < vigilant < memory.recall(view, 0.0).similarity  # an isolated memory: its distance shrinks


def test_vigilance_changes_nothing_until_two_memories_have_a_nearest_other():
    rng = np.random.default_rng(2)
    stored, probe = rng.random(DIM), rng.random(DIM)
    memory = _memory(stored[None], local_vigilance=1.0, threshold_quantile=0.0)
    assert memory._vigilance(memory.threshold) is None
    assert memory.recall(probe, 0.0).similarity == pytest.approx(float(unit(stored) @ unit(probe)), abs=1e-5)


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_a_vigilance_outside_0_to_1_is_refused(value):
    with pytest.raises(ValueError, match="local_vigilance"):
        MemoryParams(dim=DIM, local_vigilance=value)
    with pytest.raises(ValueError, match="local_vigilance"):
        memory_params({"dim": DIM, "local_vigilance": value})
