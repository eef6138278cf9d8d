"""Pair-based STDP: spike order sets the sign, spike distance the size, bounds the range."""

import math

import numpy as np
import pytest

from hebbian_ros.core.plasticity.stdp import STDPParams, STDPState, stdp_init_state, stdp_step

PARAMS = STDPParams(a_plus=0.01, a_minus=0.012, tau_plus_ms=16.8, tau_minus_ms=33.7, dt_ms=0.5)


def weight_change(lag_ms, params=PARAMS, w0=0.5):
    """Δw of a single synapse after one pre and one post spike; ``lag_ms = t_post − t_pre``."""
    lag_steps = round(abs(lag_ms) / params.dt_ms)
    n_steps = lag_steps + 3
    pre_step, post_step = (1, 1 + lag_steps) if lag_ms >= 0 else (1 + lag_steps, 1)
    w = np.full((1, 1), w0)
    state = stdp_init_state(1, 1, np.float64)
    for t in range(n_steps):
        w, state = stdp_step([t == pre_step], [t == post_step], w, state, params)
    return float(w[0, 0] - w0)


@pytest.mark.parametrize("lag_ms", [0.5, 2.0, 10.0, 40.0])
def test_pre_before_post_potentiates_and_post_before_pre_depresses(lag_ms):
    assert weight_change(+lag_ms) > 0
    assert weight_change(-lag_ms) < 0


@pytest.mark.parametrize("lag_ms", [1.0, 5.0, 20.0, 50.0])
def test_change_decays_exponentially_with_the_spike_distance(lag_ms):
    reference_ms = 0.5
    ltp_ratio = weight_change(lag_ms) / weight_change(reference_ms)
    ltd_ratio = weight_change(-lag_ms) / weight_change(-reference_ms)
    assert ltp_ratio == pytest.approx(math.exp(-(lag_ms - reference_ms) / PARAMS.tau_plus_ms), rel=1e-9)
    assert ltd_ratio == pytest.approx(math.exp(-(lag_ms - reference_ms) / PARAMS.tau_minus_ms), rel=1e-9)


def test_amplitudes_are_the_configured_ones():
    one_step = PARAMS.dt_ms
    assert weight_change(one_step) == pytest.approx(PARAMS.a_plus * math.exp(-one_step / PARAMS.tau_plus_ms))
    assert weight_change(-one_step) == pytest.approx(-PARAMS.a_minus * math.exp(-one_step / PARAMS.tau_minus_ms))


def test_spikes_in_the_same_step_do_not_pair():
    assert weight_change(0.0) == 0.0


def test_only_synapses_of_spiking_neurons_change():
    w = np.full((3, 4), 0.5)
    state = STDPState(np.array([1.0, 0.0, 0.5, 0.0]), np.array([0.0, 1.0, 0.0]))
    new_w, new_state = stdp_step([0, 0, 0, 1], [1, 0, 0], w, state, PARAMS)
    decay_pre, decay_post = PARAMS.pre_decay, PARAMS.post_decay
    expected = w.copy()
    expected[0] += PARAMS.a_plus * state.pre_trace * decay_pre  # post unit 0 fired: LTP row
    expected[:, 3] -= PARAMS.a_minus * state.post_trace * decay_post  # input 3 fired: LTD column
    np.testing.assert_allclose(new_w, expected)
    np.testing.assert_allclose(new_state.pre_trace, state.pre_trace * decay_pre + [0, 0, 0, 1])
    np.testing.assert_allclose(new_state.post_trace, state.post_trace * decay_post + [1, 0, 0])


def test_hard_bounds_clip_and_soft_bounds_scale_by_distance_to_bound():
    state = STDPState(np.array([1.0, 1.0]), np.zeros(1))
    hard = STDPParams(a_plus=0.5, w_max=1.0)
    new_w, _ = stdp_step([0, 0], [1], np.array([[0.2, 0.9]]), state, hard)
    np.testing.assert_allclose(new_w, [[0.2 + 0.5 * math.exp(-1 / 20), 1.0]])
    soft = STDPParams(a_plus=0.5, w_max=1.0, soft_bounds=True)
    new_w, _ = stdp_step([0, 0], [1], np.array([[0.2, 0.9]]), state, soft)
    np.testing.assert_allclose(new_w, [[0.2, 0.9]] + 0.5 * math.exp(-1 / 20) * np.array([[0.8, 0.1]]))
    depress = STDPState(np.zeros(2), np.array([1.0]))
    new_w, _ = stdp_step([1, 1], [0], np.array([[0.2, 0.9]]), depress, STDPParams(a_minus=0.5, soft_bounds=True))
    np.testing.assert_allclose(new_w, [[0.2, 0.9]] - 0.5 * math.exp(-1 / 20) * np.array([[0.2, 0.9]]))


def test_step_is_pure_and_out_updates_in_place():
    rng = np.random.default_rng(0)
    w = rng.uniform(0.2, 0.8, (3, 5)).astype(np.float32)
    state = STDPState(rng.uniform(0, 1, 5).astype(np.float32), rng.uniform(0, 1, 3).astype(np.float32))
    before = (w.copy(), state.pre_trace.copy(), state.post_trace.copy())
    pre, post = [1, 0, 1, 0, 0], [0, 1, 1]
    pure_w, pure_state = stdp_step(pre, post, w, state, PARAMS)
    for array, original in zip((w, *state), before):
        np.testing.assert_array_equal(array, original)
    in_place_w, _ = stdp_step(pre, post, w, state, PARAMS, out=w)
    assert in_place_w is w
    np.testing.assert_array_equal(w, pure_w)
    assert pure_state.pre_trace is not state.pre_trace


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"a_plus": -0.1}, "STDPParams.a_plus"),
        ({"a_minus": 2.0}, "STDPParams.a_minus"),
        ({"tau_plus_ms": 0.0}, "STDPParams.tau_plus_ms"),
        ({"dt_ms": -1.0}, "STDPParams.dt_ms"),
        ({"w_min": 1.0, "w_max": 0.5}, "STDPParams.w_max: must be > w_min=1"),
        ({"soft_bounds": 1}, "STDPParams.soft_bounds: expected a bool"),
    ],
)
def test_bad_params_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        STDPParams(**kwargs)


def test_bad_spikes_and_state_raise():
    w = np.full((2, 3), 0.5)
    state = stdp_init_state(3, 2)
    with pytest.raises(ValueError, match="pre_spikes: expected spikes as 0/1, got 0.5 at index 1"):
        stdp_step([0, 0.5, 0], [0, 0], w, state, PARAMS)
    with pytest.raises(ValueError, match="post_spikes: expected 2 values, got 3"):
        stdp_step([0, 0, 0], [0, 0, 1], w, state, PARAMS)
    with pytest.raises(ValueError, match="state.pre_trace: negative value"):
        stdp_step([0, 0, 0], [0, 0], w, STDPState(np.array([0, -1.0, 0]), np.zeros(2)), PARAMS)
    with pytest.raises(ValueError, match="n_in: expected an integer >= 1"):
        stdp_init_state(0, 2)
