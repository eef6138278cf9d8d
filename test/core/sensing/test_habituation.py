import numpy as np
import pytest

from hebbian_ros.core.sensing.habituation import HabituationParams, inhibit, initial_state, sense

PARAMS = HabituationParams()


def present(intensity, frames, state, dt=1 / 30, inhibition=0.0):
    rates = []
    for _ in range(frames):
        r, state = sense(intensity, dt, state, PARAMS)
        rates.append(float(r.mean()))
        if inhibition:
            state = inhibit(state, inhibition, None, PARAMS)
    return rates, state


def test_new_stimulus_fires_fast_then_adapts_without_feedback():
    stimulus = np.full((4,), 0.6, np.float32)
    rates, _ = present(stimulus, 60, initial_state((4,)))
    assert rates[0] == pytest.approx(PARAMS.max_rate * min(1.0, 0.6 * 1.5))
    # intrinsic adaptation alone leaves the sustained part: it cannot habituate by 70 %
    assert rates[-1] == pytest.approx(PARAMS.max_rate * 0.6 * 0.5, rel=0.05)
    assert rates[-1] > 0.3 * rates[0]


def test_a_stimulus_that_goes_away_leaves_no_after_image():
    rates, state = present(np.full((4,), 0.6, np.float32), 30, initial_state((4,)))
    gone, _ = present(np.zeros(4, np.float32), 1, state)
    assert gone[0] == 0.0


def test_inhibition_habituates_and_gain_recovers_after_the_stimulus_goes_away():
    stimulus = np.full((4,), 0.6, np.float32)
    rates, state = present(stimulus, 10, initial_state((4,)), inhibition=0.35)
    assert rates[-1] < 0.3 * rates[0]
    _, state = present(np.zeros(4, np.float32), 150, state)  # 5 s of nothing
    again, _ = present(stimulus, 1, state)
    assert again[0] > 0.9 * rates[0]


def test_per_unit_gain_inhibits_only_selected_units():
    state = inhibit(initial_state((2,)), 0.5, np.array([1.0, 0.0], np.float32), PARAMS)
    np.testing.assert_allclose(state.gain, [0.5, 1.0])


def test_gain_never_falls_below_the_floor():
    state = initial_state((3,))
    for _ in range(100):
        state = inhibit(state, 1.0, None, PARAMS)
    assert np.all(state.gain >= PARAMS.gain_floor)


@pytest.mark.parametrize(
    "intensity, problem",
    [
        (np.full(4, np.nan, np.float32), "NaN"),
        (np.full(4, 2.0, np.float32), "within"),
        (np.zeros(5, np.float32), "shape"),
    ],
)
def test_bad_intensity_is_refused(intensity, problem):
    with pytest.raises(ValueError, match=problem):
        sense(intensity, 0.1, initial_state((4,)), PARAMS)


def test_bad_inhibition_is_refused():
    with pytest.raises(ValueError, match="strength"):
        inhibit(initial_state((2,)), 1.5, None, PARAMS)
    with pytest.raises(ValueError, match="gain"):
        inhibit(initial_state((2,)), 0.5, np.ones(3, np.float32), PARAMS)


def test_unchecked_sense_is_the_same_for_valid_input():
    """The sensor node's per-frame call skips the checks; for valid input nothing else differs."""
    params = HabituationParams()
    intensity = np.random.default_rng(2).uniform(0, 1, (4, 4, 6)).astype(np.float32)
    state = initial_state(intensity.shape)
    for dt in (0.0, 0.03, 0.5):
        checked, state_checked = sense(intensity, dt, state, params)
        unchecked, state_unchecked = sense(intensity, dt, state, params, validate=False)
        np.testing.assert_array_equal(unchecked, checked)
        for a, b in zip(state_unchecked, state_checked):
            np.testing.assert_array_equal(a, b)
        state = state_checked
