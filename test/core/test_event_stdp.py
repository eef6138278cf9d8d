"""Event-driven STDP runs equal the core's step-by-step STDP."""

import numpy as np
import pytest

from hebbian_ros.core.event_stdp import (
    HAVE_NUMBA,
    SpikeEvents,
    events_from_raster,
    poisson_events,
    stdp_run,
)
from hebbian_ros.core.stdp import STDPParams, stdp_init_state, stdp_step

PATHS = [False] + ([True] if HAVE_NUMBA else [])


def reference(raster_pre, raster_post, w, params):
    w = w.copy()
    state = stdp_init_state(w.shape[1], w.shape[0])
    for pre, post in zip(raster_pre, raster_post):
        w, state = stdp_step(pre, post, w, state, params)
    return w, state


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("soft", [False, True])
def test_run_equals_repeated_stdp_steps(compiled, soft):
    rng = np.random.default_rng(0)
    n_in, n_out, steps = 23, 17, 400
    pre = rng.random((steps, n_in)) < 0.08
    post = rng.random((steps, n_out)) < 0.08
    w0 = rng.uniform(0.0, 0.3, (n_out, n_in)).astype(np.float32)  # near w_min: clipping matters
    params = STDPParams(a_plus=0.05, a_minus=0.05, w_max=0.4, soft_bounds=soft)
    expected, expected_state = reference(pre, post, w0, params)
    for threads in [None, 1, 3] if compiled else [None]:
        got, state = stdp_run(events_from_raster(pre), events_from_raster(post), w0, stdp_init_state(n_in, n_out), params, compiled=compiled, threads=threads)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(state.pre_trace, expected_state.pre_trace)
        np.testing.assert_array_equal(state.post_trace, expected_state.post_trace)
    if not soft:  # the case did exercise both bounds
        assert (expected == 0).any() and (expected == np.float32(0.4)).any()


def test_run_is_pure_unless_out_is_given():
    rng = np.random.default_rng(1)
    w0 = rng.uniform(0.2, 0.8, (3, 4)).astype(np.float32)
    events_in = events_from_raster(rng.random((50, 4)) < 0.3)
    events_out = events_from_raster(rng.random((50, 3)) < 0.3)
    original = w0.copy()
    new, _ = stdp_run(events_in, events_out, w0, stdp_init_state(4, 3), STDPParams())
    np.testing.assert_array_equal(w0, original)
    same, _ = stdp_run(events_in, events_out, w0, stdp_init_state(4, 3), STDPParams(), out=w0)
    assert same is w0
    np.testing.assert_array_equal(w0, new)


def test_poisson_events_have_the_asked_rates():
    rng = np.random.default_rng(2)
    rates = np.array([0.0, 10.0, 50.0, 1000.0])
    events = poisson_events(rates, 1e-3, 20_000, rng)
    counts = np.bincount(events.indices, minlength=4)
    np.testing.assert_allclose(counts / 20.0, rates, rtol=0.08)
    assert counts[3] == 20_000  # rate·dt = 1: a spike every step
    steps = np.repeat(np.arange(events.n_steps), np.diff(events.indptr))
    assert (np.diff(steps) >= 0).all()
    # at most one spike per neuron and step
    assert len(set(zip(steps.tolist(), events.indices.tolist()))) == events.indices.size


def test_bad_arguments_name_themselves():
    rng = np.random.default_rng(3)
    w = np.full((2, 3), 0.5, dtype=np.float32)
    good_in = events_from_raster(np.zeros((5, 3), bool))
    good_out = events_from_raster(np.zeros((5, 2), bool))
    state = stdp_init_state(3, 2)
    with pytest.raises(ValueError, match="pre_events: expected events of 3 neurons"):
        stdp_run(good_out, good_out, w, state, STDPParams())
    with pytest.raises(ValueError, match="post_events: expected 5 steps"):
        stdp_run(good_in, events_from_raster(np.zeros((4, 2), bool)), w, state, STDPParams())
    bad = SpikeEvents(np.array([0, 1]), np.array([7]), 3)
    with pytest.raises(ValueError, match="pre_events.indices"):
        stdp_run(bad, events_from_raster(np.zeros((1, 2), bool)), w, state, STDPParams())
    with pytest.raises(ValueError, match="rates_hz"):
        poisson_events(np.array([2000.0]), 1e-3, 10, rng)
    with pytest.raises(ValueError, match="threads"):
        stdp_run(good_in, good_out, w, state, STDPParams(), threads=0)
