"""Memory matching through a whitening of its stored entries: crowded objects told apart, nothing stored left behind."""

import numpy as np
import pytest

from hebbian_ros.core.memory.match_whitening import MIN_ENTRIES, MatchWhitening, WhiteningParams
from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory
from hebbian_ros.core.structure.structural import StructuralParams

DIM = 64


def crowded(n: int, seed: int) -> np.ndarray:
    """``n`` objects that share most of their pattern (what every object has in common), rates ~5 Hz."""
    rng = np.random.default_rng(seed)
    shared = np.abs(np.random.default_rng(99).standard_normal(DIM))
    return (5.0 * (shared + 0.45 * np.abs(rng.standard_normal((n, DIM))))).astype(np.float32)


def view(objects: np.ndarray, seed: int) -> np.ndarray:
    """Other looks at the same objects: a little of their own pattern changed."""
    rng = np.random.default_rng(seed)
    return (objects * (1.0 + 0.2 * rng.standard_normal(objects.shape))).clip(0).astype(np.float32)


def memory(whitening: bool, structural: bool = False) -> PatternMemory:
    return PatternMemory(
        MemoryParams(
            dim=DIM,
            capacity=256,
            match_whitening=WhiteningParams(prior_entries=20.0) if whitening else None,
            structural=StructuralParams(copies=4) if structural else None,
        )
    )


def learn(mem: PatternMemory, objects: np.ndarray, seed: int = 1) -> None:
    """One look per object (three frames), silence between objects, as the loop does."""
    for k, obj in enumerate(objects):
        for frame in range(3):
            mem.recall(view(obj[None], 1000 * (seed + k) + frame)[0], 1.0)
        mem.recall(np.zeros(DIM, np.float32), 1.0)


def auroc(known: np.ndarray, novel: np.ndarray) -> float:
    return float((known[:, None] > novel[None, :]).mean() + 0.5 * (known[:, None] == novel[None, :]).mean())


def similarities(mem: PatternMemory, patterns: np.ndarray) -> np.ndarray:
    return np.array([mem.recall(p, 0.0).similarity for p in patterns])


def test_crowded_objects_are_told_apart_better_than_by_a_plain_cosine():
    """60 alike objects learned: their new views against 60 never-seen ones, plain cosine vs whitened matching."""
    learned, novel = crowded(60, seed=1), crowded(60, seed=2)
    result = {}
    for whitening in (False, True):
        mem = memory(whitening)
        learn(mem, learned)
        assert mem.size >= 40  # a few alike objects are one memory from their first look
        known = similarities(mem, view(learned, seed=500))
        unknown = similarities(mem, novel)
        result[whitening] = auroc(known, unknown), np.median(unknown)
    assert result[True][0] >= result[False][0] + 0.05, result
    assert result[True][1] < result[False][1] - 0.05, result  # never-seen objects look less alike their nearest


def test_a_plain_cosine_until_enough_entries_are_stored():
    whitening = MatchWhitening(WhiteningParams(), DIM)
    units = crowded(MIN_ENTRIES - 1, seed=3)
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    assert not whitening.due(len(units))
    np.testing.assert_array_equal(whitening(units), units)
    assert whitening.due(MIN_ENTRIES)


def test_a_strong_prior_keeps_a_plain_cosine():
    """With few entries against its prior the fit stays a plain cosine (a full whitening, or a centre, of a few
    samples loses), and with many it decorrelates: the entries' strongest direction no longer dominates."""
    units = crowded(MIN_ENTRIES, seed=4)
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    strong = MatchWhitening(WhiteningParams(prior_entries=1e9), DIM)
    strong.fit(units)
    np.testing.assert_allclose(strong(units), units, atol=1e-5)
    weak = MatchWhitening(WhiteningParams(prior_entries=0.0), DIM)
    weak.fit(units)
    for whitening in (strong, weak):
        power = np.linalg.eigvalsh(np.cov(whitening(units).T))
        whitening.spread = power[-1] / power.sum()
    assert weak.spread < 0.5 * strong.spread


def test_stored_memories_are_not_left_behind_by_refits():
    """Every refit changes how everything is compared, never what was stored: the first objects' own patterns
    stay at similarity ~1 to their memories after many more objects moved the fit."""
    mem = memory(True)
    learn(mem, crowded(10, seed=6))
    learn(mem, crowded(100, seed=7))
    assert mem.whitening.fitted_on > 1.5 * MIN_ENTRIES  # refitted as the memory grew
    for k in range(10):
        recall = mem.recall(mem.patterns[k] * 5.0, 0.0)
        assert recall.memory_id == k and recall.similarity > 0.999 and recall.familiar


def test_compared_rows_follow_every_change_of_the_stored_ones():
    """The cache of whitened rows equals whitening every stored row afresh, after stores, consolidation and copies."""
    mem = memory(True, structural=True)
    objects = crowded(50, seed=8)
    learn(mem, objects)
    for k in range(5):  # consolidation moves prototypes; a-ha copies fill the pool
        mem.recall(view(objects[k : k + 1], seed=900 + k)[0], 1.0)
        mem.grow_duplicates(mem.recall(objects[k], 1.0).memory_id)
        mem.recall(np.zeros(DIM, np.float32), 1.0)
    patterns, entries = mem._as_compared()
    np.testing.assert_allclose(patterns[mem.used], mem.whitening(mem.patterns[mem.used]), atol=1e-6)
    copies = mem.pool.owner >= 0
    assert copies.any()
    np.testing.assert_allclose(entries[copies], mem.whitening(mem.pool.entries[copies]), atol=1e-6)


def test_a_checkpoint_resumes_matching():
    """The transform and its refit counters are kept: the same verdicts, and the next refit comes when it would."""
    mem = memory(True)
    learn(mem, crowded(45, seed=9))
    mem.recall(crowded(1, seed=10)[0], 0.0)  # a match fits the transform
    resumed = memory(True)
    resumed.load_state_dict(mem.state_dict())
    assert (resumed.whitening.fitted_on, resumed.whitening.added) == (mem.whitening.fitted_on, mem.whitening.added)
    np.testing.assert_array_equal(resumed.whitening.transfer, mem.whitening.transfer)
    probes = np.concatenate([view(crowded(45, seed=9), seed=10), crowded(20, seed=11)])
    a, b = ([m.recall(p, 0.0) for p in probes] for m in (resumed, mem))
    assert [(r.memory_id, r.familiar) for r in a] == [(r.memory_id, r.familiar) for r in b]
    np.testing.assert_allclose([r.similarity for r in a], [r.similarity for r in b], atol=1e-6)


def test_an_older_checkpoint_without_the_whitening_loads_and_refits():
    plain = memory(False)
    learn(plain, crowded(40, seed=13))
    mem = memory(True)
    mem.load_state_dict(plain.state_dict())
    assert mem.whitening.fitted_on == 0
    mem.recall(crowded(1, seed=14)[0], 0.0)
    assert mem.whitening.fitted_on == plain.size >= MIN_ENTRIES


@pytest.mark.parametrize(
    "key, value, problem",
    [
        ("match_transfer", np.full((DIM, DIM), np.nan, np.float32), "NaN"),
        ("match_transfer", np.zeros((3, 3), np.float32), "expected"),
        ("match_counts", np.array([-1, 0]), "counts"),
    ],
)
def test_a_damaged_whitening_state_is_refused_and_nothing_changes(key, value, problem):
    mem = memory(True)
    learn(mem, crowded(40, seed=15))
    state = mem.state_dict()
    before = {k: v.copy() for k, v in mem.state_dict().items()}
    state[key] = value
    with pytest.raises(ValueError, match=problem):
        mem.load_state_dict(state)
    for k, v in mem.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="prior_entries"):
        WhiteningParams(prior_entries=-1.0)
    with pytest.raises(ValueError, match="match_whitening"):
        MemoryParams(dim=DIM, match_whitening={"prior_entries": 1.0})


def test_views_scatter_discounts_what_changes_between_views_of_one_object():
    """Each memory's entries are views that differ along a few shared directions (as a shift changes every
    object alike): whitened by that scatter, two views of a new object are alike and other objects are not."""
    rng = np.random.default_rng(16)
    along = np.abs(rng.standard_normal((3, DIM)))  # how a view changes, the same for every object

    def views(objects: np.ndarray, k: int) -> np.ndarray:
        x = objects[:, None] + 8.0 * rng.random((len(objects), k, 3)) @ along
        return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)

    learned = views(crowded(40, seed=17), 6)
    whitening = MatchWhitening(WhiteningParams(prior_entries=20.0, scatter="views"), DIM)
    whitening.fit(learned.reshape(-1, DIM), np.repeat(np.arange(40), 6))
    fresh = views(crowded(30, seed=18), 2)

    def auroc_of(f) -> float:
        a, b = f(fresh[:, 0]), f(fresh[:, 1])
        same = (a * b).sum(axis=1)
        other = (a @ b.T)[~np.eye(30, dtype=bool)]
        return auroc(same, other)

    total = MatchWhitening(WhiteningParams(prior_entries=20.0, scatter="total"), DIM)
    total.fit(learned.reshape(-1, DIM), np.repeat(np.arange(40), 6))
    plain, whitened, whitened_total = auroc_of(lambda x: x), auroc_of(whitening), auroc_of(total)
    assert whitened >= plain + 0.2 and whitened > whitened_total, (plain, whitened_total, whitened)  # 0.60 0.89 0.94
    with pytest.raises(ValueError, match="scatter"):
        WhiteningParams(scatter="pixels")
