"""A recognition holds against the distortion its own feedback causes (``recognition_hold``)."""

import numpy as np
import pytest

from hebbian_ros.core.memory.pattern_memory import MemoryParams, PatternMemory
from hebbian_ros.core.sensing.retina import selective_gain

DIM = 64


def _memory(hold: float, threshold: float = 0.98) -> PatternMemory:
    return PatternMemory(
        MemoryParams(
            dim=DIM, capacity=16, familiarity_threshold=threshold, threshold_quantile=0.0, recognition_hold=hold
        )
    )


def _inhibited(pattern: np.ndarray, strength: float = 0.65) -> np.ndarray:
    """``pattern`` after one feedback message of the sensor's selective inhibition: the strongest units drop most."""
    return pattern * (1.0 - strength * selective_gain(pattern))


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.fixture
def stimuli():
    rng = np.random.default_rng(0)
    patterns = rng.gamma(0.5, 10.0, (3, DIM))
    # the feedback's distortion is what a crowded representation confuses: below a 0.98 threshold
    assert _cosine(_inhibited(patterns[0]), patterns[0]) < 0.98
    return patterns


@pytest.mark.parametrize("hold", [0.0, 5.0])
def test_the_feedbacks_distortion_breaks_a_recognition_only_without_the_hold(stimuli, hold):
    memory = _memory(hold)
    memory.recall(stimuli[0], 1.0)  # stored
    memory.recall(np.zeros(DIM), 1.0)  # silence ends the episode
    onset = memory.recall(stimuli[0], 0.0)
    assert onset.familiar and onset.similarity == pytest.approx(1.0, abs=1e-5)
    inhibited = memory.recall(_inhibited(stimuli[0]), 0.0)
    assert inhibited.familiar is (hold > 0)
    if hold > 0:  # the recognition as it began, from the same memory, nothing propagated lost
        assert inhibited.memory_id == onset.memory_id and inhibited.similarity == pytest.approx(onset.similarity)
        assert inhibited.unpropagated == 0.0
    else:
        assert inhibited.similarity < 0.98 and inhibited.unpropagated > 0


def test_a_held_frame_below_the_threshold_spends_no_plasticity(stimuli):
    memory = _memory(5.0)
    memory.recall(stimuli[0], 1.0)
    prototype = memory.patterns[0].copy()
    assert memory.recall(stimuli[0], 1.0).familiar  # above the threshold: consolidates (towards itself)
    held = memory.recall(_inhibited(stimuli[0]), 1.0)
    assert held.familiar and not held.stored and memory.size == 1
    np.testing.assert_allclose(memory.patterns[0], prototype, atol=1e-6)  # not moved towards the distortion


def test_a_hold_never_starts_a_recognition(stimuli):
    memory = _memory(5.0)
    memory.recall(stimuli[0], 1.0)
    memory.recall(np.zeros(DIM), 1.0)
    distorted = _inhibited(stimuli[0])  # near enough to be held, but first seen like this
    assert not memory.recall(distorted, 0.0).familiar


def test_a_hold_ends_with_silence_another_memory_or_beyond_its_reach(stimuli):
    memory = _memory(5.0)
    for pattern in stimuli[:2]:
        memory.recall(pattern, 1.0)
        memory.recall(np.zeros(DIM), 1.0)
    distorted = _inhibited(stimuli[0])

    assert memory.recall(stimuli[0], 0.0).familiar
    memory.recall(np.zeros(DIM), 0.0)  # silence
    assert not memory.recall(distorted, 0.0).familiar

    assert memory.recall(stimuli[0], 0.0).familiar
    assert memory.recall(stimuli[1], 0.0).memory_id == 1  # another memory is recognised
    assert not memory.recall(distorted, 0.0).familiar

    assert memory.recall(stimuli[0], 0.0).familiar
    far = memory.recall(stimuli[2], 0.0)  # a new stimulus: farther than 5 x (1 - 0.98) from every memory
    assert not far.familiar and far.unpropagated > 0


def test_the_hold_is_validated():
    with pytest.raises(ValueError, match="recognition_hold"):
        MemoryParams(dim=DIM, recognition_hold=-1.0)
