"""BCM: the sliding threshold tracks E[y²] and makes units selective to one pattern."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity.bcm import BCMParams, BCMState, bcm_init_state, bcm_step

# Two overlapping, unit-length input patterns.
PATTERNS = np.array([[1, 1, 1, 0.2, 0.2, 0.2], [0.2, 0.2, 0.2, 1, 1, 1]], dtype=np.float32)
PATTERNS /= np.linalg.norm(PATTERNS, axis=1, keepdims=True)


def train(seed, n_steps=20_000, n_units=3):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.2, 0.4, (n_units, PATTERNS.shape[1])).astype(np.float32)
    state = bcm_init_state(n_units)
    params = BCMParams(eta=0.02, tau_theta=10.0, w_max=2.0)
    for pattern in rng.integers(0, 2, n_steps):
        x = PATTERNS[pattern]
        w, state = bcm_step(x, np.maximum(w @ x, 0), w, state, params, out=w, validate=False)
    return w, state


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_units_become_selective_to_one_of_two_patterns(seed):
    w, _ = train(seed)
    responses = np.maximum(PATTERNS @ w.T, 0)  # (pattern, unit)
    strong, weak = responses.max(axis=0), responses.min(axis=0)
    assert np.all(strong > 1.0), responses
    assert np.all(weak < 0.3 * strong), responses


def test_threshold_tracks_the_mean_squared_activity():
    w = np.zeros((2, 3), np.float32)
    state = bcm_init_state(2)
    params = BCMParams(eta=0.0, tau_theta=5.0)
    y = np.array([0.5, 2.0], np.float32)
    for _ in range(200):
        w, state = bcm_step(np.ones(3), y, w, state, params)
    np.testing.assert_allclose(state.theta, y**2, rtol=1e-4)


def test_update_potentiates_above_and_depresses_below_threshold():
    w = np.full((2, 3), 0.5)
    state = BCMState(theta=np.array([1.0, 1.0]))
    x = np.array([1.0, 0.0, 1.0])
    new_w, _ = bcm_step(x, np.array([2.0, 0.5]), w, state, BCMParams(eta=0.1))
    expected = w + 0.1 * np.outer([2.0 * (2.0 - 1.0), 0.5 * (0.5 - 1.0)], x)
    np.testing.assert_allclose(new_w, np.clip(expected, 0, 1))
    assert new_w[0, 0] > 0.5 and new_w[1, 0] < 0.5 and new_w[0, 1] == 0.5


def test_batch_update_is_the_mean_of_per_sample_updates():
    rng = np.random.default_rng(2)
    w = rng.uniform(0.2, 0.6, (3, 4))
    xs = rng.uniform(0, 1, (5, 4))
    ys = xs @ w.T
    state = BCMState(theta=np.full(3, 0.5))
    params = BCMParams(eta=0.01, tau_theta=4.0)
    batch_w, batch_state = bcm_step(xs, ys, w, state, params)
    deltas = [bcm_step(x, y, w, state, params)[0] - w for x, y in zip(xs, ys)]
    np.testing.assert_allclose(batch_w - w, np.mean(deltas, axis=0), rtol=1e-10)
    np.testing.assert_allclose(batch_state.theta, 0.5 + (np.mean(ys**2, axis=0) - 0.5) / 4.0)


def test_decay_and_clip_keep_weights_inside_the_limits():
    w = np.full((1, 2), 0.9, np.float32)
    state = bcm_init_state(1)
    params = BCMParams(eta=1.0, decay=0.1, w_min=-0.5, w_max=1.0)
    new_w, _ = bcm_step(np.ones(2), np.array([5.0]), w, state, params)
    np.testing.assert_array_equal(new_w, 1.0)
    new_w, _ = bcm_step(np.ones(2), np.array([0.5]), w, BCMState(np.array([100.0], np.float32)), params)
    np.testing.assert_array_equal(new_w, -0.5)


def test_step_is_pure():
    w = np.full((2, 2), 0.3, np.float32)
    theta = np.array([0.1, 0.2], np.float32)
    before = (w.copy(), theta.copy())
    new_w, new_state = bcm_step(np.ones(2), np.ones(2), w, BCMState(theta), BCMParams())
    np.testing.assert_array_equal(w, before[0])
    np.testing.assert_array_equal(theta, before[1])
    assert not np.array_equal(new_w, w) and not np.array_equal(new_state.theta, theta)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"eta": -1.0}, "BCMParams.eta"),
        ({"tau_theta": 0.5}, "BCMParams.tau_theta"),
        ({"decay": -0.1}, "BCMParams.decay"),
        ({"w_min": 1.0, "w_max": 1.0}, "BCMParams.w_max: must be > w_min=1"),
    ],
)
def test_bad_params_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BCMParams(**kwargs)


def test_bad_state_raises():
    w = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="state.theta: expected 2 values, got 3"):
        bcm_step(np.ones(3), np.ones(2), w, BCMState(np.zeros(3)), BCMParams())
    with pytest.raises(ValueError, match="state.theta: negative value"):
        bcm_step(np.ones(3), np.ones(2), w, BCMState(np.array([0.0, -1.0])), BCMParams())
    with pytest.raises(ValueError, match="state: expected BCMState, got tuple"):
        bcm_step(np.ones(3), np.ones(2), w, (np.zeros(2),), BCMParams())
