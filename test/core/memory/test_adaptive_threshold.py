"""Memory's familiarity threshold adapts to how close different stored things look."""

import numpy as np
import pytest

from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory

DIM = 64


def _patterns(n: int, rng: np.random.Generator, shared: float) -> np.ndarray:
    """``n`` non-negative patterns sharing ``shared`` of a common direction (crowding)."""
    common = rng.uniform(0, 1, DIM)
    return shared * common + (1 - shared) * rng.uniform(0, 1, (n, DIM))


def _learn_each(memory: PatternMemory, patterns: np.ndarray) -> None:
    for pattern in patterns:  # one learning episode each: a silent frame ends the episode
        memory.recall(pattern * 10, 1.0)
        memory.recall(np.zeros(DIM), 1.0)


@pytest.mark.parametrize("shared", [0.3, 0.6, 0.8])
def test_never_seen_patterns_are_rarely_familiar_however_crowded(shared):
    rng = np.random.default_rng(0)
    params = MemoryParams(dim=DIM, capacity=400, familiarity_threshold=0.9999, threshold_quantile=0.95)
    memory = PatternMemory(params)
    learned, never_seen = _patterns(300, rng, shared), _patterns(300, rng, shared)
    _learn_each(memory, learned)
    assert memory.size >= 270  # the adaptive threshold keeps storing what is new
    false_familiar = np.mean([memory.recall(p * 10, 0.0).familiar for p in never_seen])
    noisy = learned + rng.normal(0, 0.02, learned.shape)
    hits = np.mean([memory.recall(np.maximum(p, 0) * 10, 0.0).familiar for p in noisy])
    assert false_familiar <= 0.1 and hits >= 0.9, (false_familiar, hits, memory.threshold)
    fixed = PatternMemory(MemoryParams(dim=DIM, capacity=400, threshold_quantile=0.0, familiarity_threshold=0.9))
    _learn_each(fixed, learned)
    if shared >= 0.8:  # crowded: a fixed cosine calls most new things familiar and stops storing them
        assert fixed.size < memory.size / 2, (fixed.size, memory.size)


def test_the_fixed_threshold_holds_until_enough_memories_and_the_threshold_is_derived_state():
    rng = np.random.default_rng(1)
    memory = PatternMemory(MemoryParams(dim=DIM, capacity=64, familiarity_threshold=0.9999, adaptive_after=8))
    _learn_each(memory, _patterns(7, rng, 0.3))
    assert memory.size == 7 and memory.threshold == 0.9999
    _learn_each(memory, _patterns(20, rng, 0.3))
    adaptive = memory.threshold
    assert memory.size > 8 and adaptive < 0.99
    restored = PatternMemory(memory.params)
    restored.load_state_dict(memory.state_dict())
    assert restored.threshold == pytest.approx(adaptive, abs=0.01)  # recomputed; live updates only raise it


def test_views_stored_in_one_episode_do_not_raise_the_threshold():
    rng = np.random.default_rng(2)
    params = MemoryParams(dim=DIM, capacity=128, adaptive_after=8, drift_similarity=1.0, familiarity_threshold=0.999)
    memory = PatternMemory(params)
    base = _patterns(20, rng, 0.3)
    _learn_each(memory, base)
    before = memory.threshold
    for pattern in base[:5]:  # one episode: the stimulus and four near views of it, each stored
        memory.recall(pattern * 10, 1.0)
        for _ in range(4):
            memory.recall(np.maximum(pattern + rng.normal(0, 0.3, DIM), 0) * 10, 1.0)
        memory.recall(np.zeros(DIM), 1.0)
    assert memory.size > 25
    assert memory.threshold <= before + 0.02


def test_memories_of_one_episode_leave_the_fixed_threshold_in_place():
    """With no memory of another episode to compare with, nothing says how close different things look: the
    threshold stays the fixed one instead of falling to -1 (everything familiar, nothing learned again)."""
    rng = np.random.default_rng(1)
    params = MemoryParams(dim=DIM, capacity=64, familiarity_threshold=0.95, adaptive_after=4, onset_similarity=0.4)
    memory = PatternMemory(params)
    sparse = rng.random((60, DIM)) ** 6  # different stimuli: cosine ~0.3, below drift and familiarity
    # one stimulus changing through one long episode (no silence, no level 0, no onset): each frame is the sum of
    # two sparse patterns, one replaced per frame, ~0.6 like the last (above onset_similarity), below drift_similarity
    turning = [sparse[k : k + 2].sum(axis=0) for k in range(30)]
    for pattern in turning:
        memory.recall(pattern * 50, 1.0)
    assert memory.size >= 4
    assert memory.threshold == 0.95
    assert not any(memory.recall(p * 50, 0.0).familiar for p in sparse[40:])


def test_the_default_fixed_threshold_lets_a_young_memory_store_things_that_look_alike():
    """Different things at cosine ~0.92 (handwritten digits look like that after the layers): at the default
    fixed threshold a young memory stores them and reaches adaptive_after; at 0.9, the former default, it called
    everything after the first familiar, stored nothing more and never adapted (RESULTS 5e)."""
    rng = np.random.default_rng(4)
    alike = _patterns(30, rng, 0.45)
    unit = alike / np.linalg.norm(alike, axis=1, keepdims=True)
    assert np.median((unit @ unit.T)[np.triu_indices(30, 1)]) > 0.9
    memory = PatternMemory(MemoryParams(dim=DIM, capacity=64))
    _learn_each(memory, alike)
    assert memory.size >= memory.params.adaptive_after and memory.threshold > memory.params.familiarity_threshold
    former = PatternMemory(MemoryParams(dim=DIM, capacity=64, familiarity_threshold=0.9))
    _learn_each(former, alike)
    assert former.size == 1


def _episode_with_views(memory: PatternMemory, pattern: np.ndarray, rng: np.random.Generator, views: int) -> None:
    """One learning episode: the stimulus (stored), ``views`` slightly different later views of it, silence."""
    memory.recall(pattern * 10, 1.0)
    for _ in range(views):
        memory.recall(np.maximum(pattern + rng.normal(0, 0.02, DIM), 0) * 10, 1.0)
    memory.recall(np.zeros(DIM), 1.0)


def _alike(pattern: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Another stimulus at cosine 0.95-0.97 to ``pattern`` (different things that look alike)."""
    other = np.maximum(pattern + rng.normal(0, 0.17, DIM), 0)
    cosine = other @ pattern / np.linalg.norm(other) / np.linalg.norm(pattern)
    assert 0.95 < cosine < 0.97, cosine
    return other


def test_a_young_memory_can_take_its_threshold_from_its_own_views():
    """young_threshold own_views: before adaptive_after memories exist, how close a learned stimulus's own later
    views came to its memory says what familiar means in this representation. A different stimulus at cosine 0.96
    is then new (stored), where the fixed 0.95 (the default) called it familiar and never learned it."""
    rng = np.random.default_rng(5)
    first = rng.uniform(0, 1, DIM)
    other = _alike(first, np.random.default_rng(6))
    memory = PatternMemory(MemoryParams(dim=DIM, capacity=64, young_threshold="own_views"))
    assert memory.threshold == memory.params.familiarity_threshold == 0.95
    _episode_with_views(memory, first, rng, views=12)
    assert len(memory.own_views) == 12 and memory.threshold > 0.98
    recall = memory.recall(other * 10, 1.0)
    assert recall.stored and not recall.familiar
    fixed = PatternMemory(MemoryParams(dim=DIM, capacity=64))  # the default young threshold: fixed
    _episode_with_views(fixed, first, np.random.default_rng(5), views=12)
    assert len(fixed.own_views) == 12 and fixed.threshold == 0.95
    assert fixed.recall(other * 10, 1.0).familiar and fixed.size == 1


def test_a_young_threshold_needs_views_and_gives_way_to_the_adaptive_one():
    rng = np.random.default_rng(7)
    memory = PatternMemory(MemoryParams(dim=DIM, capacity=64, adaptive_after=4, young_threshold="own_views"))
    _episode_with_views(memory, rng.uniform(0, 1, DIM), rng, views=5)  # fewer than needed: still the fixed one
    assert len(memory.own_views) == 5 and memory.threshold == 0.95
    patterns = rng.random((6, DIM)) ** 6  # unlike each other (cosine ~0.3)
    for pattern in patterns:
        _episode_with_views(memory, pattern, rng, views=3)
    nearest = memory.nearest[memory.used]
    assert memory.threshold == pytest.approx(np.quantile(nearest[nearest > -1], 0.9))  # adaptive from here
    assert memory.threshold < 0.9


def test_own_views_survive_a_checkpoint_and_older_checkpoints_load():
    rng = np.random.default_rng(8)
    memory = PatternMemory(MemoryParams(dim=DIM, capacity=64, young_threshold="own_views"))
    _episode_with_views(memory, rng.uniform(0, 1, DIM), rng, views=12)
    state = memory.state_dict()
    restored = PatternMemory(memory.params)
    restored.load_state_dict(state)
    assert restored.threshold == memory.threshold > 0.95
    older = PatternMemory(memory.params)
    older.load_state_dict({k: v for k, v in state.items() if k != "own_views"})
    assert older.size == 1 and older.threshold == 0.95  # none seen yet: the fixed one
    for bad in (np.array([0.5, np.nan], np.float32), np.array([1.5], np.float32), np.zeros((2, 2), np.float32)):
        with pytest.raises(ValueError, match="own_views"):
            restored.load_state_dict({**state, "own_views": bad})
        assert restored.threshold == memory.threshold  # nothing changed


def test_a_cosine_rounded_above_one_stays_a_similarity_and_its_checkpoint_loads():
    """float32 cosines of a pattern to itself can come out 1.0000001: kept and reported as 1, and a checkpoint
    written with such a value (before they were clipped) still loads."""
    memory = PatternMemory(MemoryParams(dim=DIM, capacity=64, young_threshold="own_views"))
    rng = np.random.default_rng(9)
    _episode_with_views(memory, rng.uniform(0, 1, DIM), rng, views=12)
    assert max(memory.own_views) <= 1.0
    assert memory.recall(memory.patterns[0] * 3.0, 0.0).similarity <= 1.0
    state = memory.state_dict()
    state["own_views"] = np.append(state["own_views"], 1.0000001)
    restored = PatternMemory(memory.params)
    restored.load_state_dict(state)
    assert max(restored.own_views) == 1.0


def test_an_unknown_young_threshold_is_refused():
    with pytest.raises(ValueError, match="young_threshold"):
        MemoryParams(dim=DIM, young_threshold="own")


def test_a_floor_young_threshold_stays_the_least_the_adaptive_one_may_be():
    """``young_threshold: floor``: once adaptive, the threshold is the quantile or ``familiarity_threshold``, whichever
    is higher, so a near twin of a memory that the first memories' few samples would let pass is stored as new."""
    rng = np.random.default_rng(4)
    patterns = _patterns(12, rng, 0.3)
    twin = np.maximum(patterns[0] + 0.7 * (np.random.default_rng(6).uniform(0, 1, DIM) - 0.5), 0)
    cosine = twin @ patterns[0] / np.linalg.norm(twin) / np.linalg.norm(patterns[0])
    thresholds = {}
    for young in ("fixed", "floor"):
        for floor in (0.95, 0.92):
            params = MemoryParams(
                dim=DIM, capacity=64, adaptive_after=8, young_threshold=young, familiarity_threshold=floor
            )
            memory = PatternMemory(params)
            _learn_each(memory, patterns)
            thresholds[young, floor] = memory.threshold
            if floor == 0.95:
                assert memory.recall(twin * 10, 1.0).stored == (young == "floor"), (young, cosine, memory.threshold)
    assert thresholds["fixed", 0.95] < cosine < 0.95 == thresholds["floor", 0.95]  # measured: 0.926 < 0.94
    assert min(thresholds["floor", 0.92], thresholds["fixed", 0.92]) > 0.92  # adaptive above its floor: 0.926, 0.930
