"""Rate coding and Poisson spike encoding."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity.encoding import poisson_spikes, rate_code


def test_rate_code_maps_intensity_linearly_between_the_rates():
    rates = rate_code(np.array([0.0, 0.25, 1.0]), r_min_hz=5.0, r_max_hz=45.0)
    np.testing.assert_allclose(rates, [5.0, 15.0, 45.0])
    assert rates.dtype == np.float32
    assert rate_code(np.ones((2, 3))).shape == (2, 3)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: rate_code([0.5, 1.2]), "intensity: value 1.2 at index 1 exceeds 1"),
        (lambda: rate_code([-0.1]), "intensity: negative value -0.1 at index 0"),
        (lambda: rate_code([np.nan]), "intensity: contains NaN at index 0"),
        (lambda: rate_code([]), "intensity: is empty"),
        (lambda: rate_code([0.5], 10.0, 5.0), "r_max_hz: must be >= r_min_hz=10"),
        (lambda: rate_code([0.5], -1.0), "r_min_hz: expected a value in"),
    ],
)
def test_rate_code_rejects_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_poisson_empirical_rate_matches_the_requested_rate():
    rates = np.array([0.0, 5.0, 20.0, 80.0, 200.0])
    dt_s, n_steps = 0.001, 100_000
    spikes = poisson_spikes(rates, dt_s, np.random.default_rng(0), n_steps=n_steps)
    assert spikes.shape == (n_steps, 5) and spikes.dtype == bool
    counts = spikes.sum(axis=0)
    expected = rates * dt_s * n_steps
    spread = np.sqrt(expected * (1 - rates * dt_s))  # binomial standard deviation
    assert np.all(np.abs(counts - expected) <= 4 * spread + 1e-9), (counts, expected)
    assert counts[0] == 0
    np.testing.assert_allclose(counts / (n_steps * dt_s), rates, rtol=0.1)


def test_same_seed_gives_the_same_spikes():
    rates = np.full((4, 6), 50.0)
    first = poisson_spikes(rates, 0.002, np.random.default_rng(42), n_steps=100)
    again = poisson_spikes(rates, 0.002, np.random.default_rng(42), n_steps=100)
    other = poisson_spikes(rates, 0.002, np.random.default_rng(43), n_steps=100)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_single_step_has_the_shape_of_the_rates():
    assert poisson_spikes(np.full((2, 3), 10.0), 0.01, np.random.default_rng(0)).shape == (2, 3)


def test_rate_times_dt_of_one_always_fires():
    assert poisson_spikes([1000.0], 0.001, np.random.default_rng(0), n_steps=1000).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda rng: poisson_spikes([10.0, -1.0], 0.001, rng), "rates_hz: negative rate -1 at index 1"),
        (lambda rng: poisson_spikes([np.inf], 0.001, rng), "rates_hz: contains inf at index 0"),
        (lambda rng: poisson_spikes([10.0, 2000.0], 0.001, rng), "rates_hz: rate 2000 Hz at index 1 gives 2 > 1"),
        (lambda rng: poisson_spikes([10.0], 0.0, rng), "dt_s: expected a value in"),
        (lambda rng: poisson_spikes([10.0], 0.001, 42), "rng: expected numpy.random.Generator, got int"),
        (lambda rng: poisson_spikes([10.0], 0.001, rng, n_steps=0), "n_steps: expected an integer >= 1"),
        (lambda rng: poisson_spikes(np.array([], float), 0.001, rng), "rates_hz: is empty"),
    ],
)
def test_poisson_rejects_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call(np.random.default_rng(0))
