import numpy as np
import pytest

from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory


def patterns(n, dim=16, seed=0):
    return np.random.default_rng(seed).random((n, dim)).astype(np.float32) ** 4 * 50


def test_novel_pattern_is_stored_only_while_learning():
    memory = PatternMemory(MemoryParams(dim=16))
    p = patterns(1)[0]
    recall = memory.recall(p, learning_level=0.0)
    assert not recall.familiar and not recall.stored and recall.unpropagated == pytest.approx(p.mean())
    assert memory.size == 0
    assert memory.recall(p, learning_level=1.0).stored
    again = memory.recall(p * 0.2, learning_level=0.0)  # habituated: weaker, same direction
    assert again.familiar and again.memory_id == 0 and again.unpropagated == 0.0


def test_distinct_patterns_get_distinct_memories():
    memory = PatternMemory(MemoryParams(dim=16))
    ps = patterns(5)
    ids = [memory.recall(p, 1.0).memory_id for p in ps]
    assert sorted(ids) == list(range(5))
    assert [memory.recall(p, 0.0).memory_id for p in ps] == ids


def test_a_replay_consolidates_but_never_becomes_a_new_memory():
    """A replay re-presents a confirmed stimulus; after its episode ended, memory must not store it again."""
    memory = PatternMemory(MemoryParams(dim=16, familiarity_threshold=0.99))
    first, other = patterns(2)
    memory.recall(first, 1.0)
    memory.recall(np.zeros(16), 1.0)  # silence: the episode is over
    drifted = first + other * 0.5  # the stimulus as the replay sees it: below the threshold
    before = memory.patterns.copy()
    replayed = memory.recall(drifted, 1.0, replay=True)
    assert not replayed.stored and memory.size == 1 and np.array_equal(memory.patterns, before)
    assert memory.recall(first * 1.01, 1.0, replay=True).familiar  # a replay memory knows still consolidates
    memory.recall(np.zeros(16), 1.0)
    assert memory.recall(drifted, 1.0).stored  # live input, in an episode of its own, is stored as before


def test_learning_off_leaves_memory_bit_identical():
    memory = PatternMemory(MemoryParams(dim=16))
    for p in patterns(3):
        memory.recall(p, 1.0)
    before = {k: v.tobytes() for k, v in memory.state_dict().items() if k != "hits"}
    for p in patterns(20, seed=1):
        memory.recall(p, 0.0)
    assert before == {k: v.tobytes() for k, v in memory.state_dict().items() if k != "hits"}


def test_full_memory_recycles_the_least_used():
    memory = PatternMemory(MemoryParams(dim=16, capacity=2))
    a, b, c = patterns(3)
    memory.recall(a, 1.0)
    memory.recall(b, 1.0)
    memory.recall(a, 0.0)
    assert memory.recall(c, 1.0).memory_id == 1


def test_state_round_trip():
    memory = PatternMemory(MemoryParams(dim=16))
    memory.recall(patterns(1)[0], 1.0)
    other = PatternMemory(MemoryParams(dim=16))
    other.load_state_dict(memory.state_dict())
    assert other.match(patterns(1)[0]) == memory.match(patterns(1)[0])


@pytest.mark.parametrize(
    "bad, problem",
    [
        (np.ones(15, np.float32), "expected 16"),
        (np.full(16, np.inf, np.float32), "NaN or inf"),
        (-np.ones(16, np.float32), ">= 0"),
    ],
)
def test_bad_patterns_are_refused_and_change_nothing(bad, problem):
    memory = PatternMemory(MemoryParams(dim=16))
    with pytest.raises(ValueError, match=problem):
        memory.recall(bad, 1.0)
    assert memory.size == 0


def test_silence_is_neither_recognised_nor_stored():
    memory = PatternMemory(MemoryParams(dim=16, min_activity=0.5))
    p = patterns(1)[0]
    memory.recall(p, 1.0)
    faint = p / p.mean() * 0.1
    recall = memory.recall(faint, 1.0)
    assert not recall.familiar and not recall.stored and memory.size == 1


def view_at(base: np.ndarray, cosine: float, seed: int = 1) -> np.ndarray:
    """A non-negative pattern whose cosine similarity to ``base`` is ``cosine`` (same norm)."""
    unit = base / np.linalg.norm(base)
    other = np.zeros_like(unit)
    other[np.argsort(unit)[: unit.size // 2]] = 1.0  # on the weak half of base
    other -= (other @ unit) * unit
    other /= np.linalg.norm(other)
    view = (cosine * unit + np.sqrt(1 - cosine**2) * other) * np.linalg.norm(base)
    assert view.min() >= 0 and np.isclose(view @ base / np.linalg.norm(view) / np.linalg.norm(base), cosine)
    return view.astype(np.float32)


def test_the_episodes_stimulus_drifting_is_consolidated_not_stored_anew():
    """Onset transient, habituation or a late frame shift the view below familiarity within one episode:
    it stays the episode's memory (consolidated towards the view), so one stimulus gets one memory."""
    memory = PatternMemory(MemoryParams(dim=16, familiarity_threshold=0.93, drift_similarity=0.85))
    first = patterns(1)[0]
    assert memory.recall(first, 1.0).stored
    before = memory.patterns[0].copy()
    drifted = view_at(first, 0.89)
    recall = memory.recall(drifted, 1.0)
    assert (recall.memory_id, recall.familiar, recall.stored) == (0, False, False)
    assert recall.similarity == pytest.approx(0.89, abs=1e-4) and recall.unpropagated > 0
    assert memory.size == 1
    unit = drifted / np.linalg.norm(drifted)
    assert memory.patterns[0] @ unit > before @ unit  # moved towards the view
    # a different stimulus in the same episode is still a new memory
    assert memory.recall(view_at(first, 0.6), 1.0).stored and memory.size == 2


@pytest.mark.parametrize("between", ["episode_ends", "silence"])
def test_drift_is_bound_to_one_episode(between):
    memory = PatternMemory(MemoryParams(dim=16, familiarity_threshold=0.93, drift_similarity=0.85))
    first = patterns(1)[0]
    memory.recall(first, 1.0)
    if between == "episode_ends":
        memory.recall(first, 0.0)
    else:
        memory.recall(np.zeros(16, np.float32), 1.0)
    assert memory.recall(view_at(first, 0.89), 1.0).stored and memory.size == 2


def test_drift_similarity_at_the_familiarity_threshold_switches_drift_off():
    memory = PatternMemory(MemoryParams(dim=16, familiarity_threshold=0.93, drift_similarity=0.93))
    first = patterns(1)[0]
    memory.recall(first, 1.0)
    assert memory.recall(view_at(first, 0.89), 1.0).stored and memory.size == 2


@pytest.mark.parametrize("value", [0.0, -0.1, 1.5, float("nan")])
def test_drift_similarity_out_of_range_is_refused(value):
    with pytest.raises(ValueError, match="drift_similarity"):
        MemoryParams(dim=4, drift_similarity=value)


def test_only_the_episodes_own_memory_consolidates():
    """A new stimulus briefly resembling an old memory while it is learned (within its look: no onset) does not pull
    that memory towards it (which would leave the old stimulus recognised as the new one's memory, or not at all)."""
    memory = PatternMemory(
        MemoryParams(dim=16, familiarity_threshold=0.93, drift_similarity=0.93, onset_similarity=0.01)
    )
    old, new = patterns(2, seed=3)
    assert memory.recall(old, 1.0).stored
    memory.recall(old, 0.0)  # the episode ends
    kept = memory.patterns[0].copy()
    assert memory.recall(new, 1.0).stored  # the next episode is about the new stimulus
    resembling = view_at(old, 0.95)
    recall = memory.recall(resembling, 1.0)
    assert recall.familiar and recall.memory_id == 0
    np.testing.assert_array_equal(memory.patterns[0], kept)
    before = memory.patterns[1].copy()
    unit = view_at(new, 0.95) / np.linalg.norm(view_at(new, 0.95))
    assert memory.recall(view_at(new, 0.95), 1.0).memory_id == 1
    assert memory.patterns[1] @ unit > before @ unit  # the episode's own memory still learns its views


def test_an_episode_that_starts_on_a_known_stimulus_consolidates_it():
    memory = PatternMemory(MemoryParams(dim=16, familiarity_threshold=0.93, drift_similarity=0.93))
    first = patterns(1, seed=4)[0]
    memory.recall(first, 1.0)
    memory.recall(first, 0.0)
    before = memory.patterns[0].copy()
    view = view_at(first, 0.95)
    unit = view / np.linalg.norm(view)
    assert memory.recall(view, 1.0).familiar
    assert memory.patterns[0] @ unit > before @ unit


def test_an_onset_ends_the_episode_so_its_memory_does_not_absorb_the_next_stimulus():
    """A robot never sees silence between objects: while the learning mode lasts, the next thing in view (the
    ground, the next object) arrives within drift_similarity of the episode's memory. Before an onset ended the
    episode, memory consolidated it into that memory, and different objects ended up as one (RESULTS 5v)."""
    params = MemoryParams(dim=16, familiarity_threshold=0.99, drift_similarity=0.5, onset_similarity=0.9)
    first = patterns(1, seed=5)[0]
    second = view_at(first, 0.7)  # within drift of the first, an onset after it
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    memory = PatternMemory(params)
    assert memory.recall(first, 1.0).stored
    kept = memory.patterns[0].copy()
    recall = memory.recall(second, 1.0)  # straight after, learning mode still on
    assert recall.stored and recall.memory_id == 1
    np.testing.assert_array_equal(memory.patterns[0], kept)
    # without the onset (the look continues) the same frame is the episode's stimulus drifting
    continuing = PatternMemory(
        MemoryParams(dim=16, familiarity_threshold=0.99, drift_similarity=0.5, onset_similarity=0.1)
    )
    continuing.recall(first, 1.0)
    assert not continuing.recall(second, 1.0).stored
    assert continuing.size == 1 and continuing.patterns[0] @ unit(second) > kept @ unit(second)


@pytest.mark.parametrize("steady", [0, 3])
def test_a_new_memory_is_stored_only_once_its_look_is_steady(steady):
    params = MemoryParams(dim=16, familiarity_threshold=0.99, onset_similarity=0.9, steady_frames=steady)
    memory = PatternMemory(params)
    first, second = patterns(2, seed=5)
    stored = [memory.recall(first, 1.0).stored for _ in range(steady + 1)]
    assert stored == [False] * steady + [True]  # the look's first frames are not stored ...
    assert memory.recall(first, 0.0).familiar  # ... and recognition is as before
    memory.recall(second, 1.0)  # an onset: a new look, counted afresh
    assert memory.size == 1 + (steady == 0)
    silence = np.zeros(16, np.float32)
    memory.recall(silence, 1.0)
    assert not memory.recall(second, 1.0).stored or steady == 0


def test_steady_frames_is_validated():
    with pytest.raises(ValueError, match="steady_frames"):
        MemoryParams(dim=16, steady_frames=-1)
