"""A recognition holds against the distortion its own feedback causes (``recognition_hold``), until an onset."""

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


def _turned(degrees: float) -> np.ndarray:
    """Rates at an angle of ``degrees`` from a uniform pattern, within one plane (all rates stay positive)."""
    uniform, alternating = np.full(DIM, 1 / 8), np.where(np.arange(DIM) % 2, 1 / 8, -1 / 8)
    angle = np.radians(degrees)
    return 100.0 * (np.cos(angle) * uniform + np.sin(angle) * alternating)


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


@pytest.mark.parametrize("hold", [0.0, 5.0])
def test_a_neighbour_made_nearer_by_the_feedback_does_not_end_a_recognition(hold):
    memory = _memory(hold)
    for degrees in (0.0, 30.0):  # two memories, cosine 0.87
        memory.recall(_turned(degrees), 1.0)
        memory.recall(np.zeros(DIM), 1.0)
    assert memory.recall(_turned(0.0), 0.0).memory_id == 0
    distorted = memory.recall(_turned(16.0), 0.0)  # cosine 0.96 to memory 0, 0.97 to memory 1: neither recognised
    assert distorted.familiar is (hold > 0)
    assert distorted.memory_id == (0 if hold > 0 else 1)


def _window(shift: int, width: int = 20) -> np.ndarray:
    """Rates on ``width`` units from unit ``20 + shift``: two windows ``k`` units apart have cosine 1 - k / width."""
    rates = np.zeros(DIM)
    rates[20 + shift : 20 + shift + width] = 100.0
    return rates


def test_an_onset_ends_a_held_recognition():
    """The same frame is held when the feedback's distortion led to it, judged afresh after a jump to it."""
    memory = _memory(15.0)  # threshold 0.98: the hold reaches down to 1 - 15 x 0.02 = 0.7
    memory.recall(_window(0), 1.0)
    verdicts = {}
    for name, shifts in {"gradual": (0, -4), "onset": (0, 4, -4)}.items():
        memory.recall(np.zeros(DIM), 0.0)
        verdicts[name] = [memory.recall(_window(k), 0.0).familiar for k in shifts]
    assert verdicts["gradual"] == [True, True]  # cosine 0.8 to the memory and to the last frame: held
    assert verdicts["onset"] == [True, True, False]  # cosine 0.8 to the memory, but 0.6 to the last frame
    assert memory.recall(_window(-4), 0.0).familiar is False  # a hold never starts a recognition


def test_a_gradual_drift_does_not_carry_a_recognition_beyond_the_onset_similarity():
    memory = _memory(5.0, threshold=0.9)  # the hold would reach down to 0.5; onset_similarity 0.7 bounds it
    memory.recall(_window(0), 1.0)
    memory.recall(np.zeros(DIM), 1.0)
    verdicts = [memory.recall(_window(k), 0.0) for k in (0, 2, 4, 5, 7)]  # cosine 1, 0.9, 0.8, 0.75, 0.65
    assert [v.familiar for v in verdicts] == [True, True, True, True, False]
    assert verdicts[-1].unpropagated > 0


def test_the_hold_is_validated():
    with pytest.raises(ValueError, match="recognition_hold"):
        MemoryParams(dim=DIM, recognition_hold=-1.0)
    with pytest.raises(ValueError, match="onset_similarity"):
        MemoryParams(dim=DIM, onset_similarity=0.0)
