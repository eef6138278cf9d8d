"""Views from moved gazes kept as copies of a memory (PatternMemory.learn_view), and the threshold they shift."""

import numpy as np
import pytest

from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory
from hebbian_ros.core.structure.structural import StructuralKind, StructuralParams

DIM = 32


def memory(structural=True, budget=0, threshold_quantile=0.0, capacity=16, **kwargs) -> PatternMemory:
    return PatternMemory(
        MemoryParams(
            dim=DIM,
            capacity=capacity,
            min_activity=0.0,
            familiarity_threshold=0.9,
            threshold_quantile=threshold_quantile,
            adaptive_after=2,
            structural=StructuralParams(copies=2, synapse_budget=budget) if structural else None,
            **kwargs,
        )
    )


def sparse(seed: int, active: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros(DIM, np.float32)
    x[rng.choice(DIM, active, replace=False)] = rng.uniform(20, 60, active)
    return x


def store(mem: PatternMemory, pattern: np.ndarray) -> int:
    """One learning episode on ``pattern`` (a silent sample ends it); its memory id."""
    recall = mem.recall(pattern, 1.0)
    mem.recall(np.zeros(DIM, np.float32), 1.0)
    assert recall.stored
    return recall.memory_id


def test_a_view_becomes_a_copy_and_is_then_recognised_as_that_memory():
    mem = memory()
    a = store(mem, sparse(0))
    view = sparse(1)  # unlike a: the object from a far moved gaze
    assert mem.recall(view, 0.0).familiar is False
    assert mem.learn_view(a, view)
    assert mem.copies[a] == 1 and mem.size == 1  # a copy, not a memory of its own
    assert [e.kind for e in mem.pop_events()] == [StructuralKind.GROW_DUPLICATE]
    recall = mem.recall(view * 1.01, 0.0)
    assert recall.familiar and recall.memory_id == a and recall.similarity == pytest.approx(1.0, abs=1e-5)


def test_views_are_not_limited_by_copies_only_by_the_budget():
    mem = memory(budget=4 * DIM, capacity=2)  # room for one prototype and 3 copies
    a = store(mem, sparse(0))
    grown = [mem.learn_view(a, sparse(10 + k)) for k in range(5)]
    assert grown == [True, True, True, False, False]  # copies=2 does not bound views; the budget does
    assert mem.synapses == 4 * DIM


def test_a_view_that_adds_nothing_is_not_kept():
    mem = memory()
    a = store(mem, sparse(0))
    assert not mem.learn_view(a, sparse(0) * 3)  # the prototype itself
    assert mem.learn_view(a, sparse(1))
    assert not mem.learn_view(a, sparse(1))  # already a copy
    assert mem.copies[a] == 1


def test_views_of_unknown_memories_or_without_structure_change_nothing():
    mem = memory()
    store(mem, sparse(0))
    before = mem.state_dict()
    assert not mem.learn_view(5, sparse(1))  # not in use
    assert not mem.learn_view(-1, sparse(1))
    assert not mem.learn_view(0, np.zeros(DIM, np.float32))  # silence is no view
    for key, value in mem.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    plain = memory(structural=False)
    store(plain, sparse(0))
    assert not plain.learn_view(0, sparse(1))


@pytest.mark.parametrize(
    ("bad", "problem"), [(np.full(DIM, np.nan), "NaN"), (-np.ones(DIM), ">= 0"), (np.ones(3), "32")]
)
def test_a_bad_view_is_refused_and_changes_nothing(bad, problem):
    mem = memory()
    a = store(mem, sparse(0))
    with pytest.raises(ValueError, match=problem):
        mem.learn_view(a, bad)
    assert mem.copies[a] == 0


def test_the_adaptive_threshold_counts_other_memories_views():
    """A never-seen pattern is matched against every entry: the threshold's samples must be too."""
    mem = memory(threshold_quantile=0.9)
    a, b, c = (store(mem, sparse(seed)) for seed in (0, 1, 2))
    before = mem.threshold
    near_b = 0.5 * sparse(1) + 0.5 * sparse(0)  # a view of a that looks much like b's prototype
    assert mem.learn_view(a, near_b)
    assert mem.nearest[b] >= float(mem.patterns[b] @ (near_b / np.linalg.norm(near_b))) - 1e-6
    assert mem.threshold > before
    restored = memory(threshold_quantile=0.9)
    restored.load_state_dict(mem.state_dict())  # a restart derives the same threshold, copies included
    assert restored.threshold == pytest.approx(mem.threshold)
    np.testing.assert_allclose(restored.nearest[[a, b, c]], mem.nearest[[a, b, c]], atol=1e-6)


def turning(steps: int) -> list[np.ndarray]:
    """A stimulus turning in view: frames from one side (``sparse(0)``) to another (``sparse(1)``), a little each."""
    first, last = sparse(0), sparse(1)
    return [(1 - t) * first + t * last for t in np.linspace(0.0, 1.0, steps)]


def answer(mem: PatternMemory, recall, frames: list[np.ndarray], k: int) -> None:
    """What the sensor does with frame ``k``'s verdict: sends back, as first seen, the look's frames before a store
    (``look_frames``) or the frame memory wants kept (``keep_view``). Here the frames are already as first seen."""
    if recall.stored:
        for frame in frames[k - recall.look_frames : k]:
            mem.learn_view(recall.memory_id, frame)
    if recall.keep_view:
        mem.learn_view(recall.memory_id, frames[k])


def learn_turning(mem: PatternMemory, frames: list[np.ndarray], level: float = 1.0) -> list:
    recalls = []
    for k, frame in enumerate(frames):
        recalls.append(mem.recall(frame, level))
        answer(mem, recalls[-1], frames, k)
    mem.recall(np.zeros(DIM, np.float32), level)  # the episode ends
    return recalls


@pytest.mark.parametrize("episode_views", [False, True])
def test_a_turning_stimulus_keeps_each_side_it_showed_only_with_episode_views(episode_views):
    mem = memory(episode_views=episode_views)
    frames = turning(25)
    recalls = learn_turning(mem, frames)
    assert recalls[0].stored and mem.size == 1  # one stimulus, one memory, however far it turned
    assert any(r.keep_view for r in recalls) is episode_views
    first, last = mem.recall(frames[0], 0.0), mem.recall(frames[-1], 0.0)
    assert last.familiar and last.memory_id == recalls[0].memory_id
    if episode_views:
        assert first.familiar and first.memory_id == recalls[0].memory_id
        assert mem.copies[recalls[0].memory_id] >= 2  # the sides between were kept, not blended
        assert all(mem.recall(f, 0.0).similarity > 0.95 for f in frames)
    else:  # consolidation dragged the prototype to the last side: the first is forgotten
        assert not first.familiar


def adapted(pattern: np.ndarray) -> np.ndarray:
    """``pattern`` as a sensor adapted to it and inhibited by memory's feedback sends it: its strongest units slowed."""
    return pattern / (1.0 + pattern / 20.0)


def test_memory_keeps_a_new_side_as_seen_live_and_then_as_first_seen():
    """The live frame is the sensor adapted and inhibited, as a revisit's later frames are; the frame as first seen
    is what a fresh look shows. Memory keeps the first at once and asks the sensor for the second."""
    mem = memory(episode_views=True)
    frames = turning(25)
    a = mem.recall(adapted(frames[0]), 1.0).memory_id
    recall = mem.recall(adapted(frames[8]), 1.0)
    assert recall.keep_view and recall.memory_id == a
    assert mem.copies[a] == 1  # the side as seen live
    assert mem.learn_view(a, frames[8])  # the sensor's answer: the side as first seen
    assert mem.copies[a] == 2
    assert mem.match(frames[8]) == (a, pytest.approx(1.0))
    assert not mem.recall(adapted(frames[8]), 1.0).keep_view  # that side is held now


def test_episode_views_ask_nothing_for_a_replay_or_without_learning():
    mem = memory(episode_views=True)
    frames = turning(25)
    mem.recall(frames[0], 1.0)
    assert not mem.recall(frames[6], 0.0).keep_view  # learning off: no plasticity spent
    assert not mem.recall(frames[6], 1.0, replay=True).keep_view  # a replay shows no new side
    assert mem.recall(frames[6], 1.0).keep_view


@pytest.mark.parametrize("episode_views", [False, True])
def test_the_store_keeps_the_sides_a_look_showed_as_seen_and_asks_for_them_as_first_seen(episode_views):
    mem = memory(episode_views=episode_views)
    frames = turning(25)
    for frame in frames[:12]:  # learning mode not yet on: nothing stored, no plasticity; the sensor adapting
        assert not mem.recall(adapted(frame), 0.0).stored
    assert mem.size == 0
    recall = mem.recall(adapted(frames[12]), 1.0)
    assert recall.stored
    assert recall.look_frames == (12 if episode_views else 0)  # the look's frames before the store
    seen = mem.recall(adapted(frames[0]), 0.0)
    assert seen.familiar is episode_views  # the first side, seen before the store, is kept only with episode_views
    assert mem.match(frames[0])[1] < 0.99  # ... as the adapting sensor sent it
    answer(mem, recall, frames, 12)  # the sensor sends the frames as first seen
    if episode_views:
        assert mem.match(frames[0]) == (recall.memory_id, pytest.approx(1.0))
    assert mem.copies[recall.memory_id] >= (4 if episode_views else 0)


def test_a_store_asks_only_for_its_own_look():
    mem = memory(episode_views=True)
    for frame in turning(12):
        mem.recall(frame, 0.0)
    mem.recall(np.zeros(DIM, np.float32), 0.0)  # silence: that look ended
    recall = mem.recall(sparse(7), 1.0)  # another stimulus is stored at its first frame
    assert recall.stored and recall.look_frames == 0
