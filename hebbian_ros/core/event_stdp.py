"""Event-driven pair-based STDP over whole spike trains, one call per simulated interval.

Same rule and the same arithmetic, step by step, as :func:`hebbian_ros.core.stdp.stdp_step`
(traces decay; LTP of the rows of post-synaptic neurons that fired and LTD of the columns of
pre-synaptic neurons that fired, both from the weights before the step; clipping; then the
traces of this step's spikes jump by 1), but
a whole spike train is processed in one call and only the rows and columns of neurons that
spiked are touched, so the cost is ``O(spikes · fan)`` plus ``O(n_in + n_out)`` per step for the
trace decay, not ``O(n_in · n_out)`` per step. With numba installed the loop is compiled
(:data:`HAVE_NUMBA`); otherwise it falls back to calling ``stdp_step`` once per step.

Spike trains are given as events in compressed sparse rows over time steps:
``indptr`` ``(n_steps + 1,)`` and ``indices``, the neurons that fire in step ``t`` being
``indices[indptr[t]:indptr[t + 1]]`` (:func:`poisson_events` draws them, :func:`events_from_raster`
converts a boolean raster).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.stdp import STDPParams, STDPState, stdp_step

try:  # numba is optional: compiled loops when present, the same arithmetic in numpy otherwise
    import numba as _numba
except ImportError:  # pragma: no cover - exercised on machines without numba
    _numba = None

#: Whether the compiled (numba) kernel is available.
HAVE_NUMBA = _numba is not None


class SpikeEvents(NamedTuple):
    """Spikes of ``n_neurons`` neurons over ``n_steps`` steps in CSR form (see module docstring)."""

    indptr: np.ndarray
    indices: np.ndarray
    n_neurons: int

    @property
    def n_steps(self) -> int:
        """Number of time steps covered."""
        return self.indptr.shape[0] - 1


def poisson_events(
    rates_hz: np.ndarray, dt_s: float, n_steps: int, rng: np.random.Generator
) -> SpikeEvents:
    """Bernoulli-per-step Poisson spikes (as :func:`~hebbian_ros.core.encoding.poisson_spikes`) as events.

    Instead of one random number per neuron and step it draws the gaps between spikes, geometric
    with success probability ``rate·dt``, so the cost grows with the number of spikes.

    :param rates_hz: ``(n_neurons,)`` non-negative rates, ``rate·dt <= 1``.
    :param dt_s: step in seconds (``> 0``).
    :param n_steps: number of steps (``>= 1``).
    :param rng: generator to draw from.
    """
    dt_s = check.positive("dt_s", dt_s)
    n_steps = check.as_int("n_steps", n_steps, minimum=1)
    rates = check.as_activity("rates_hz", rates_hz, None, np.float64, batch=False, low=0.0, what="rate")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected numpy.random.Generator, got {type(rng).__name__}")
    probability = rates * dt_s
    if (probability > 1).any():
        index = int(np.flatnonzero(probability > 1)[0])
        raise ValueError(f"rates_hz: rate {rates[index]:g} Hz at index {index} gives more than one spike per step")
    firing = np.flatnonzero(probability > 0)
    steps_list, neurons_list = [], []
    if firing.size:
        p = probability[firing]
        # enough gaps for all but a vanishing fraction of trains; the rest are topped up below
        expected = n_steps * p
        n_gaps = int(np.ceil((expected + 6 * np.sqrt(expected) + 6).max()))
        gaps = rng.geometric(p[:, None], size=(firing.size, n_gaps))
        times = np.cumsum(gaps, axis=1) - 1
        while True:
            short = times[:, -1] < n_steps
            if not short.any():
                break
            more = rng.geometric(p[short, None], size=(int(short.sum()), n_gaps))
            extra = np.full((firing.size, n_gaps), n_steps, dtype=times.dtype)
            extra[short] = times[short, -1:] + np.cumsum(more, axis=1)
            times = np.concatenate([times, extra], axis=1)
        keep = times < n_steps
        steps_list = times[keep]
        neurons_list = np.broadcast_to(firing[:, None], times.shape)[keep]
    steps = np.asarray(steps_list, dtype=np.int64)
    neurons = np.asarray(neurons_list, dtype=np.int64)
    order = np.argsort(steps, kind="stable")
    indices = neurons[order].astype(np.int32)
    indptr = np.zeros(n_steps + 1, dtype=np.int64)
    np.cumsum(np.bincount(steps, minlength=n_steps), out=indptr[1:])
    return SpikeEvents(indptr, indices, int(rates.shape[0]))


def events_from_raster(raster: np.ndarray) -> SpikeEvents:
    """Events of a ``(n_steps, n_neurons)`` boolean (or 0/1) spike raster."""
    raster = check.as_array("raster", raster, kinds=check.SPIKE_KINDS)
    if raster.ndim != 2:
        raise ValueError(f"raster: expected shape (n_steps, n_neurons), got {raster.shape}")
    spikes = raster.astype(bool)
    steps, neurons = np.nonzero(spikes)
    indptr = np.zeros(raster.shape[0] + 1, dtype=np.int64)
    np.cumsum(spikes.sum(axis=1), out=indptr[1:])
    return SpikeEvents(indptr, neurons.astype(np.int32), int(raster.shape[1]))


def _run_numpy(w, pre_ptr, pre_idx, post_ptr, post_idx, pre_trace, post_trace, params):
    """Reference path: the core's :func:`stdp_step` once per step (what the package does)."""
    pre_spikes = np.zeros(pre_trace.shape[0], dtype=bool)
    post_spikes = np.zeros(post_trace.shape[0], dtype=bool)
    state = STDPState(pre_trace, post_trace)
    for step in range(pre_ptr.shape[0] - 1):
        fired_in = pre_idx[pre_ptr[step] : pre_ptr[step + 1]]
        fired_out = post_idx[post_ptr[step] : post_ptr[step + 1]]
        pre_spikes[fired_in] = True
        post_spikes[fired_out] = True
        _, state = stdp_step(pre_spikes, post_spikes, w, state, params, out=w, validate=False)
        pre_spikes[fired_in] = False
        post_spikes[fired_out] = False
    return state


def _run_block(w, c0, c1, pre_ptr, pre_idx, post_ptr, post_idx, pre_trace, post_trace0, coefficients,
               soft, post_out):
    """Compiled path for the columns ``c0..c1``; per step the arithmetic of ``stdp_step``.

    Both LTP and LTD are computed from the weights before the step: LTP rows go to a buffer,
    LTD is subtracted from the spiking columns, the buffered LTP is added to the spiking rows,
    then rows and columns are clipped. Column blocks never share a weight, so blocks run in
    parallel; each block decays its own copy of the post-synaptic traces.
    """
    a_plus, a_minus, pre_decay, post_decay, w_min, w_max = coefficients
    dtype = w.dtype.type
    a_plus, a_minus = dtype(a_plus), dtype(a_minus)
    pre_decay, post_decay = dtype(pre_decay), dtype(post_decay)
    w_min, w_max = dtype(w_min), dtype(w_max)
    n_out = w.shape[0]
    post_trace = post_trace0.copy()
    gain = np.empty(c1 - c0, dtype=w.dtype)
    loss = np.empty(n_out, dtype=w.dtype)
    max_rows = 1
    for step in range(post_ptr.shape[0] - 1):
        max_rows = max(max_rows, post_ptr[step + 1] - post_ptr[step])
    potentiation = np.empty((max_rows, c1 - c0), dtype=w.dtype)
    for step in range(pre_ptr.shape[0] - 1):
        for j in range(c0, c1):
            pre_trace[j] *= pre_decay
            gain[j - c0] = a_plus * pre_trace[j]
        for i in range(n_out):
            post_trace[i] *= post_decay
            loss[i] = a_minus * post_trace[i]
        first_out, last_out = post_ptr[step], post_ptr[step + 1]
        first_in, last_in = pre_ptr[step], pre_ptr[step + 1]
        for e in range(first_out, last_out):
            row = w[post_idx[e]]
            buffer = potentiation[e - first_out]
            for j in range(c0, c1):
                buffer[j - c0] = gain[j - c0] * (w_max - row[j]) if soft else gain[j - c0]
        for f in range(first_in, last_in):
            j = pre_idx[f]
            if c0 <= j < c1:
                for i in range(n_out):
                    w[i, j] -= loss[i] * (w[i, j] - w_min) if soft else loss[i]
        for e in range(first_out, last_out):
            row = w[post_idx[e]]
            buffer = potentiation[e - first_out]
            for j in range(c0, c1):
                row[j] = min(max(row[j] + buffer[j - c0], w_min), w_max)
        for f in range(first_in, last_in):
            j = pre_idx[f]
            if c0 <= j < c1:
                for i in range(n_out):
                    w[i, j] = min(max(w[i, j], w_min), w_max)
                pre_trace[j] += 1
        for e in range(first_out, last_out):
            post_trace[post_idx[e]] += 1
    if c0 == 0:
        post_out[:] = post_trace


def _run_kernel(w, pre_ptr, pre_idx, post_ptr, post_idx, pre_trace, post_trace, coefficients, soft, n_blocks):
    """Columns split into ``n_blocks`` independent blocks, one thread each (``prange``)."""
    n_in = w.shape[1]
    post_out = np.empty_like(post_trace)
    for block in _prange(n_blocks):
        c0 = block * n_in // n_blocks
        c1 = (block + 1) * n_in // n_blocks
        _run_block(w, c0, c1, pre_ptr, pre_idx, post_ptr, post_idx, pre_trace, post_trace, coefficients,
                   soft, post_out)
    post_trace[:] = post_out


if HAVE_NUMBA:
    _prange = _numba.prange
    _run_block = _numba.njit(cache=True, nogil=True)(_run_block)
    _compiled = _numba.njit(cache=True, nogil=True, parallel=True)(_run_kernel)
else:  # pragma: no cover
    _prange = range
    _compiled = None


def _check_events(name: str, events, n_neurons: int, n_steps: int | None) -> SpikeEvents:
    check.check_instance(name, events, SpikeEvents)
    if events.n_neurons != n_neurons:
        raise ValueError(f"{name}: expected events of {n_neurons} neurons, got {events.n_neurons}")
    indptr = check.as_array(f"{name}.indptr", events.indptr, kinds="iu").astype(np.int64, copy=False)
    indices = np.asarray(events.indices)
    if indices.size and indices.dtype.kind not in "iu":
        raise ValueError(f"{name}.indices: expected integers, got dtype {indices.dtype}")
    if indptr.ndim != 1 or indptr[0] != 0 or (np.diff(indptr) < 0).any() or indptr[-1] != indices.size:
        raise ValueError(f"{name}.indptr: expected non-decreasing offsets from 0 to {indices.size}")
    if n_steps is not None and indptr.shape[0] - 1 != n_steps:
        raise ValueError(f"{name}: expected {n_steps} steps to match pre_events, got {indptr.shape[0] - 1}")
    if indices.size and (indices.min() < 0 or indices.max() >= n_neurons):
        raise ValueError(f"{name}.indices: neuron index out of range 0..{n_neurons - 1}")
    return SpikeEvents(indptr, indices.astype(np.int32, copy=False), n_neurons)


def stdp_run(
    pre_events: SpikeEvents,
    post_events: SpikeEvents,
    w: np.ndarray,
    state: STDPState,
    params: STDPParams,
    *,
    out: np.ndarray | None = None,
    compiled: bool | None = None,
    threads: int | None = None,
    validate: bool = True,
) -> tuple[np.ndarray, STDPState]:
    """Apply STDP for every step of the given spike trains; equals repeated ``stdp_step`` calls.

    :param pre_events: :class:`SpikeEvents` of the ``n_in`` pre-synaptic neurons.
    :param post_events: :class:`SpikeEvents` of the ``n_out`` post-synaptic neurons, same steps.
    :param w: weights ``(n_out, n_in)``, float32 or float64 (kept).
    :param state: :class:`STDPState` traces before the first step.
    :param params: :class:`STDPParams`.
    :param out: write the weights here (``out=w`` updates in place).
    :param compiled: ``True`` requires numba, ``False`` forces the numpy loop, ``None`` picks numba
        when installed.
    :param threads: compiled path only: number of column blocks run in parallel (``None`` =
        numba's thread count); results do not depend on it.
    :param validate: ``False`` skips input checks for trusted hot loops.
    :returns: new weights and the traces after the last step; inputs are not modified.
    """
    if validate:
        check.check_instance("params", params, STDPParams)
        check.check_instance("state", state, STDPState)
        w = check.as_weights("w", w)
        if not w.flags.c_contiguous:
            raise ValueError("w: expected a C-contiguous matrix")
        n_out, n_in = w.shape
        pre_events = _check_events("pre_events", pre_events, n_in, None)
        post_events = _check_events("post_events", post_events, n_out, pre_events.n_steps)
        state = STDPState(
            check.as_activity("state.pre_trace", state.pre_trace, n_in, w.dtype, batch=False, low=0.0),
            check.as_activity("state.post_trace", state.post_trace, n_out, w.dtype, batch=False, low=0.0),
        )
        if compiled and not HAVE_NUMBA:
            raise ValueError("compiled: numba is not installed")
        if threads is not None:
            threads = check.as_int("threads", threads, minimum=1)
    use_numba = HAVE_NUMBA if compiled is None else bool(compiled)
    target = check.prepare_output(out, w, validate=validate)
    pre_trace = np.array(state.pre_trace, dtype=w.dtype)
    post_trace = np.array(state.post_trace, dtype=w.dtype)
    coefficients = (
        params.a_plus,
        params.a_minus,
        params.pre_decay,
        params.post_decay,
        params.w_min,
        params.w_max,
    )
    arrays = (target, pre_events.indptr, pre_events.indices, post_events.indptr, post_events.indices)
    if not use_numba:
        return target, _run_numpy(*arrays, pre_trace, post_trace, params)
    if threads is None:
        threads = _numba.get_num_threads()
    threads = max(1, min(int(threads), w.shape[1]))
    _compiled(*arrays, pre_trace, post_trace, coefficients, params.soft_bounds, threads)
    return target, STDPState(pre_trace, post_trace)
