"""Event-driven STDP runs equal the core's step-by-step STDP."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity.stdp import STDPParams, stdp_init_state, stdp_step
from hebbian_ros.experiments import event_stdp
from hebbian_ros.experiments.event_stdp import (
    HAVE_NUMBA,
    SpikeEvents,
    events_from_raster,
    poisson_events,
    stdp_run,
)

# Both paths always, by name: numba is a main requirement, so without it the numba cases fail
# ("compiled: numba is not installed") instead of dropping out at collection or being skipped.
PATHS = [pytest.param(True, id="numba"), pytest.param(False, id="numpy")]
NUMBA_ONLY = PATHS[:1]


def rasters(seed: int, n_in: int, n_out: int, steps: int, p: float):
    """A seeded generator and the pre and post spike rasters it drew, each spike with probability ``p``."""
    rng = np.random.default_rng(seed)
    return rng, rng.random((steps, n_in)) < p, rng.random((steps, n_out)) < p


def reference(raster_pre, raster_post, w, params):
    w = w.copy()
    state = stdp_init_state(w.shape[1], w.shape[0])
    for pre, post in zip(raster_pre, raster_post):
        w, state = stdp_step(pre, post, w, state, params)
    return w, state


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("soft", [False, True])
def test_run_equals_repeated_stdp_steps(compiled, soft):
    n_in, n_out, steps = 23, 17, 400
    rng, pre, post = rasters(0, n_in, n_out, steps, 0.08)
    w0 = rng.uniform(0.0, 0.3, (n_out, n_in)).astype(np.float32)  # near w_min: clipping matters
    params = STDPParams(a_plus=0.05, a_minus=0.05, w_max=0.4, soft_bounds=soft)
    expected, expected_state = reference(pre, post, w0, params)
    for threads in [None, 1, 3] if compiled else [None]:
        got, state = stdp_run(
            events_from_raster(pre),
            events_from_raster(post),
            w0,
            stdp_init_state(n_in, n_out),
            params,
            compiled=compiled,
            threads=threads,
        )
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
    with pytest.raises(ValueError, match="block_steps"):
        stdp_run(good_in, good_out, w, state, STDPParams(), block_steps=0)


def check_against_steps(pre, post, w0, params, **kwargs):
    """``stdp_run`` (compiled, every given option) equals ``stdp_step`` step by step, bit for bit."""
    expected, expected_state = reference(pre, post, w0, params)
    got, state = stdp_run(
        events_from_raster(pre),
        events_from_raster(post),
        w0,
        stdp_init_state(w0.shape[1], w0.shape[0]),
        params,
        **kwargs,
    )
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(state.pre_trace, expected_state.pre_trace)
    np.testing.assert_array_equal(state.post_trace, expected_state.post_trace)
    return expected


@pytest.mark.parametrize("compiled", NUMBA_ONLY)
@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("block_steps", [1, 2, 7, 16, 64, 1000, None])
def test_time_blocks_do_not_change_the_result(soft, block_steps, compiled):
    # 203 steps: no block size here divides it; silent stretches leave whole blocks without events
    n_in, n_out, steps = 29, 21, 203
    rng, pre, post = rasters(4, n_in, n_out, steps, 0.15)
    pre[40:90] = False
    post[40:90] = False
    post[120:140] = False
    w0 = rng.uniform(0.0, 0.4, (n_out, n_in)).astype(np.float32)
    params = STDPParams(a_plus=0.05, a_minus=0.06, w_max=0.4, soft_bounds=soft)
    for threads in (1, 2, 5):
        check_against_steps(pre, post, w0, params, compiled=compiled, threads=threads, block_steps=block_steps)


@pytest.mark.parametrize("compiled", NUMBA_ONLY)
def test_neurons_that_fire_often_and_together(compiled):
    # rate 0.5 per step: most neurons fire several times per block and pre/post often coincide;
    # one post neuron fires every step, one pre neuron too
    n_in, n_out, steps = 13, 19, 120
    rng, pre, post = rasters(5, n_in, n_out, steps, 0.5)
    pre[:, 3] = True
    post[:, 7] = True
    w0 = rng.uniform(0.0, 1.0, (n_out, n_in)).astype(np.float32)
    for soft in (False, True):
        params = STDPParams(a_plus=0.02, a_minus=0.03, soft_bounds=soft)
        for block_steps in (1, 5, 32):
            check_against_steps(pre, post, w0, params, compiled=compiled, threads=1, block_steps=block_steps)


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weights_outside_the_bounds_are_clipped_as_stdp_step_does(dtype, compiled):
    # weights start above w_max and below w_min: the LTD clip at w_max is then needed
    n_in, n_out, steps = 17, 11, 150
    rng, pre, post = rasters(6, n_in, n_out, steps, 0.1)
    pre[:, :2] = False
    post[:, 0] = False
    w0 = rng.uniform(-0.2, 0.7, (n_out, n_in)).astype(dtype)
    w0[0, :2] = 0.7, -0.1
    params = STDPParams(a_plus=0.01, a_minus=0.01, w_min=0.0, w_max=0.5)
    out = check_against_steps(pre, post, w0, params, compiled=compiled, threads=2, block_steps=32)
    np.testing.assert_array_equal(out[0, :2], w0[0, :2])  # weights of silent neurons are left alone
    assert out.max() == np.array(0.7, dtype) and ((out[:, 2:] >= 0) & (out[:, 2:] <= 0.5)).all()


@pytest.mark.parametrize("compiled", PATHS)
def test_traces_carry_over_between_runs(compiled):
    n_in, n_out, steps = 10, 9, 100
    rng, pre, post = rasters(7, n_in, n_out, steps, 0.2)
    w0 = rng.uniform(0.2, 0.8, (n_out, n_in)).astype(np.float32)
    params = STDPParams(a_plus=0.02, a_minus=0.02)
    expected, expected_state = reference(pre, post, w0, params)
    w, state = w0.copy(), stdp_init_state(n_in, n_out)
    for t0, t1 in ((0, 37), (37, 38), (38, 100)):
        w, state = stdp_run(
            events_from_raster(pre[t0:t1]),
            events_from_raster(post[t0:t1]),
            w,
            state,
            params,
            block_steps=8,
            compiled=compiled,
        )
    np.testing.assert_array_equal(w, expected)
    np.testing.assert_array_equal(state.post_trace, expected_state.post_trace)


def test_without_numba_the_numpy_loop_runs(monkeypatch):
    monkeypatch.setattr(event_stdp, "HAVE_NUMBA", False)
    rng, pre, post = rasters(8, 6, 5, 60, 0.2)
    w0 = rng.uniform(0.2, 0.8, (5, 6)).astype(np.float32)
    check_against_steps(pre, post, w0, STDPParams(a_plus=0.02, a_minus=0.02))
    with pytest.raises(ValueError, match="compiled: numba is not installed"):
        stdp_run(
            events_from_raster(pre), events_from_raster(post), w0, stdp_init_state(6, 5), STDPParams(), compiled=True
        )


def test_numba_is_installed():
    """numba is in requirements.txt: the compiled event loop and counting sort are what runs by default."""
    assert HAVE_NUMBA and event_stdp._walk_trains is not None and event_stdp._counting_sort is not None


def test_poisson_events_are_the_same_with_and_without_numba(monkeypatch):
    assert event_stdp._walk_trains is not None, "numba is not installed"
    rates = np.array([0.0, 10.0, 50.0, 1000.0, 1e-9, 500.0])
    compiled = poisson_events(rates, 1e-3, 3000, np.random.default_rng(9))
    monkeypatch.setattr(event_stdp, "_walk_trains", None)
    monkeypatch.setattr(event_stdp, "_counting_sort", None)
    plain = poisson_events(rates, 1e-3, 3000, np.random.default_rng(9))
    np.testing.assert_array_equal(compiled.indptr, plain.indptr)
    np.testing.assert_array_equal(compiled.indices, plain.indices)


class ShortFirstDraw(np.random.Generator):
    """A generator whose first exponential draw is all zeros: every train is too short at first."""

    def standard_exponential(self, *args, **kwargs):
        out = super().standard_exponential(*args, **kwargs)
        self.calls = getattr(self, "calls", 0) + 1
        return out * 0 if self.calls == 1 else out


@pytest.mark.parametrize("compiled", PATHS)
def test_poisson_trains_that_run_short_are_topped_up(monkeypatch, compiled):
    if compiled:
        assert event_stdp._walk_trains is not None, "numba is not installed"
    else:
        monkeypatch.setattr(event_stdp, "_walk_trains", None)
        monkeypatch.setattr(event_stdp, "_counting_sort", None)
    events = poisson_events(np.array([20.0, 0.0, 50.0]), 1e-3, 2000, ShortFirstDraw(np.random.PCG64(10)))
    counts = np.bincount(events.indices, minlength=3)
    n_gaps = int(np.ceil(100 + 6 * 10 + 6))  # the first draw's width for the 50 Hz train
    assert counts[1] == 0 and counts[0] > n_gaps and counts[2] > n_gaps  # the zero draws made spikes 1 step apart
    steps = np.repeat(np.arange(events.n_steps), np.diff(events.indptr))
    assert steps.max() > 1500  # and later draws carried the trains to the end
