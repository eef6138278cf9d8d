"""Event-driven pair-based STDP over whole spike trains, one call per simulated interval.

Same rule and the same arithmetic, step by step, as :func:`hebbian_ros.core.plasticity.stdp.stdp_step`
(traces decay; LTP of the rows of post-synaptic neurons that fired and LTD of the columns of
pre-synaptic neurons that fired, both from the weights before the step; clipping; then the
traces of this step's spikes jump by 1), but a whole spike train is processed in one call and
only the weights of neurons that spiked are touched: ``O(spikes · fan)`` plus ``O(n_in + n_out)``
per step for the traces, not ``O(n_in · n_out)`` per step. Results are bit-identical to
``stdp_step``.

With numba installed (:data:`HAVE_NUMBA`) the run is compiled and walks the weights row by row:
a weight ``w[i, j]`` only depends on the time order of the spikes of pre neuron ``j`` and post
neuron ``i``, so the train is cut into blocks of steps, the pre traces of a block are stored,
and each group of 8 rows (kept in L1) replays the block's pre spikes (LTD, one column index
for 8 weights) and its own post spikes (LTP of the row) in order. The strided column walk of
a per-step LTD (one cache line per weight) is gone; rows are split across threads. Without
numba it falls back to calling ``stdp_step`` once per step.

Spike trains are given as events in compressed sparse rows over time steps:
``indptr`` ``(n_steps + 1,)`` and ``indices``, the neurons that fire in step ``t`` being
``indices[indptr[t]:indptr[t + 1]]``, each neuron at most once per step (:func:`poisson_events`
draws them, :func:`events_from_raster` converts a boolean raster).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.plasticity.stdp import STDPParams, STDPState, stdp_step

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


def poisson_events(rates_hz: np.ndarray, dt_s: float, n_steps: int, rng: np.random.Generator) -> SpikeEvents:
    """Bernoulli-per-step Poisson spikes (as :func:`~hebbian_ros.core.plasticity.encoding.poisson_spikes`) as events.

    Instead of one random number per neuron and step it draws the gaps between spikes, geometric
    with success probability ``rate·dt`` (from float32 standard exponentials), so the cost grows
    with the number of spikes. With numba the events are sorted by a compiled counting sort; the
    numpy path gives the same events from the same generator state.

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
    if not firing.size:
        return SpikeEvents(np.zeros(n_steps + 1, dtype=np.int64), np.zeros(0, dtype=np.int32), int(rates.shape[0]))
    # gap = ceil(E / −ln(1 − p)) with E standard exponential is geometric on {1, 2, ...} with success p
    with np.errstate(divide="ignore"):
        scale = -1.0 / np.log1p(-probability[firing])
    # enough gaps for all but a vanishing fraction of trains; the rest are topped up below
    expected = n_steps * probability[firing]
    n_gaps = int(np.ceil((expected + 6 * np.sqrt(expected) + 6).max()))
    draws = rng.standard_exponential((firing.size, n_gaps), dtype=np.float32)
    compiled = _walk_trains is not None
    while True:
        if compiled:
            steps, trains, ends = _walk_trains(draws, scale, n_steps)
        else:
            ends = _gap_times(draws, scale, n_steps)[:, -1]
        short = ends < n_steps
        if not short.any():
            break
        more = np.zeros((firing.size, n_gaps), dtype=np.float32)  # rows that are done never read theirs
        more[short] = rng.standard_exponential((int(short.sum()), n_gaps), dtype=np.float32)
        draws = np.concatenate([draws, more], axis=1)
    if compiled:
        indptr, indices = _counting_sort(steps, firing.astype(np.int32)[trains], n_steps)
        return SpikeEvents(indptr, indices, int(rates.shape[0]))
    times = _gap_times(draws, scale, n_steps)
    keep = times < n_steps
    steps = times[keep]
    order = np.argsort(steps, kind="stable")
    indices = np.broadcast_to(firing[:, None], times.shape)[keep][order].astype(np.int32)
    indptr = np.zeros(n_steps + 1, dtype=np.int64)
    np.cumsum(np.bincount(steps, minlength=n_steps), out=indptr[1:])
    return SpikeEvents(indptr, indices, int(rates.shape[0]))


def _gap_times(draws, scale, n_steps):
    """Spike steps of every train (numpy): cumulated gaps ``clip(ceil(E·scale), 1, n_steps + 1)``, minus 1."""
    gaps = np.clip(np.ceil(draws * scale[:, None]), 1, n_steps + 1).astype(np.int64)
    return np.cumsum(gaps, axis=1) - 1


def _next_spike(t, draw, scale, n_steps):
    """The next spike step of a train after ``t``: the gap of :func:`_gap_times` added."""
    return t + int(min(max(np.ceil(draw * scale), 1.0), n_steps + 1.0))


def _walk_trains_py(draws, scale, n_steps):
    """Compiled :func:`_gap_times`: every train's spike steps below ``n_steps``, flat in train order, with
    their train, and per train where its walk ended (``>= n_steps`` unless it ran out of gaps)."""
    n_trains, n_gaps = draws.shape
    steps = np.empty(n_trains * n_gaps, dtype=np.int64)
    trains = np.empty(n_trains * n_gaps, dtype=np.int64)
    ends = np.empty(n_trains, dtype=np.int64)
    count = 0
    for i in range(n_trains):
        t = -1
        for c in range(n_gaps):
            t = _next_spike(t, draws[i, c], scale[i], n_steps)
            if t >= n_steps:
                break
            steps[count] = t
            trains[count] = i
            count += 1
        ends[i] = t
    return steps[:count], trains[:count], ends


def _counting_sort_py(keys, values, n_keys):
    """``values`` grouped by ``keys`` in ``[0, n_keys)``, CSR ``(indptr, grouped)``; stable (given order kept)."""
    indptr = np.zeros(n_keys + 1, dtype=np.int64)
    for k in range(keys.shape[0]):
        indptr[keys[k] + 1] += 1
    for key in range(n_keys):
        indptr[key + 1] += indptr[key]
    fill = indptr[:-1].copy()
    grouped = np.empty(keys.shape[0], dtype=values.dtype)
    for k in range(keys.shape[0]):
        grouped[fill[keys[k]]] = values[k]
        fill[keys[k]] += 1
    return indptr, grouped


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


#: Rows walked together by the compiled path (8 rows of a 784-input layer: 25 KiB, in L1).
_GROUP = 8


def _ltd_rows(wf, start, n_in, nq, pre_idx, f0, f1, e0, offset, loss, lstart, soft, clip_high, w_min, w_max):
    """LTD, then clip, of ``nq`` consecutive rows (flat ``wf`` from ``start``) for the events ``f0..f1``.

    The loss of row ``q`` at event ``f`` is ``loss[lstart + offset[f - e0] + q]``. Unsigned
    indices spare numba's negative-index checks; with ``nq`` a constant the row loop unrolls, so
    one event's column index serves ``nq`` weights.
    """
    stride = np.uint64(n_in)
    f, end, first = np.uint64(f0), np.uint64(f1), np.uint64(e0)
    while f < end:
        at = start + np.uint64(pre_idx[f])
        b = lstart + np.uint64(offset[f - first])
        if soft:
            for q in range(nq):
                x = wf[at] - loss[b + np.uint64(q)] * (wf[at] - w_min)
                wf[at] = min(max(x, w_min), w_max)
                at += stride
        elif clip_high:
            for q in range(nq):
                wf[at] = min(max(wf[at] - loss[b + np.uint64(q)], w_min), w_max)
                at += stride
        else:  # every weight starts in bounds and LTD only lowers it: min(·, w_max) changes nothing
            for q in range(nq):
                wf[at] = max(wf[at] - loss[b + np.uint64(q)], w_min)
                at += stride
        f += np.uint64(1)


def _fire_step(row, g, potentiation, pre_idx, f0, f1, loss_i, soft, w_min, w_max):
    """One row in a step where its post neuron fires: LTP from the weights before the step, the
    step's LTD, then clip (the order of ``stdp_step``)."""
    if soft:
        for j in range(row.shape[0]):
            potentiation[j] = g[j] * (w_max - row[j])
        for f in range(f0, f1):
            j = pre_idx[f]
            row[j] -= loss_i * (row[j] - w_min)
        for j in range(row.shape[0]):
            row[j] = min(max(row[j] + potentiation[j], w_min), w_max)
    else:
        for f in range(f0, f1):
            row[pre_idx[f]] -= loss_i
        for j in range(row.shape[0]):
            row[j] = min(max(row[j] + g[j], w_min), w_max)


def _run_rows(
    w,
    r0,
    r1,
    pre_ptr,
    pre_idx,
    post_ptr,
    post_idx,
    fire_ptr,
    fire_steps,
    pre_trace0,
    post_trace,
    coefficients,
    soft,
    clip_high,
    block,
    pre_out,
):
    """Compiled path for the rows ``r0..r1``, ``block`` steps at a time.

    A weight ``w[i, j]`` only sees the events of pre neuron ``j`` and post neuron ``i`` in time
    order, so each group of ``_GROUP`` rows walks the block's pre events on its own while it sits
    in L1 (LTD, one column index for the whole group), and stops at the steps where one of its
    post neurons fires for LTP of that row from the stored pre traces. The arithmetic and its
    order per weight are those of ``stdp_step``; every thread recomputes the (cheap) pre traces.
    """
    a_plus, a_minus, pre_decay, post_decay, w_min, w_max = coefficients
    dtype = w.dtype.type
    a_plus, a_minus = dtype(a_plus), dtype(a_minus)
    pre_decay, post_decay = dtype(pre_decay), dtype(post_decay)
    w_min, w_max = dtype(w_min), dtype(w_max)
    n_in = w.shape[1]
    n_rows = r1 - r0
    n_steps = pre_ptr.shape[0] - 1
    wf = w.reshape(w.size)
    pre_trace = pre_trace0.copy()
    trace = post_trace[r0:r1].copy()
    gain = np.empty((block, n_in), dtype=w.dtype)
    loss = np.empty(block * n_rows, dtype=w.dtype)
    max_events = 0
    for b0 in range(0, n_steps, block):
        max_events = max(max_events, pre_ptr[min(b0 + block, n_steps)] - pre_ptr[b0])
    offset = np.empty(max(max_events, 1), dtype=np.int32)
    potentiation = np.empty(n_in, dtype=w.dtype)
    max_step = 1
    for step in range(n_steps):
        max_step = max(max_step, pre_ptr[step + 1] - pre_ptr[step])
    kept = np.empty((_GROUP, max_step), dtype=w.dtype)
    cursor = fire_ptr[r0:r1].copy()
    for b0 in range(0, n_steps, block):
        b1 = min(b0 + block, n_steps)
        e0 = pre_ptr[b0]
        # traces of the block as in stdp_step: decay, read (gain, loss), then jump at the step's spikes
        for step in range(b0, b1):
            g = gain[step - b0]
            for j in range(n_in):
                pre_trace[j] *= pre_decay
                g[j] = a_plus * pre_trace[j]
            for k in range(pre_ptr[step], pre_ptr[step + 1]):
                pre_trace[pre_idx[k]] += 1
                offset[k - e0] = (step - b0) * n_rows
            base = (step - b0) * n_rows
            for r in range(n_rows):
                trace[r] *= post_decay
                loss[base + r] = a_minus * trace[r]
            for k in range(post_ptr[step], post_ptr[step + 1]):
                if r0 <= post_idx[k] < r1:
                    trace[post_idx[k] - r0] += 1
        for g0 in range(0, n_rows, _GROUP):
            nq = min(_GROUP, n_rows - g0)
            start = np.uint64((r0 + g0) * n_in)
            lstart = np.uint64(g0)
            k = e0
            while True:
                # the next step in this block where one of the group's post neurons fires
                fire = b1
                for q in range(nq):
                    c = cursor[g0 + q]
                    if c < fire_ptr[r0 + g0 + q + 1] and fire_steps[c] < fire:
                        fire = fire_steps[c]
                stop = pre_ptr[fire]
                if nq == _GROUP:
                    _ltd_rows(
                        wf,
                        start,
                        n_in,
                        _GROUP,
                        pre_idx,
                        k,
                        stop,
                        e0,
                        offset,
                        loss,
                        lstart,
                        soft,
                        clip_high,
                        w_min,
                        w_max,
                    )
                else:
                    _ltd_rows(
                        wf, start, n_in, nq, pre_idx, k, stop, e0, offset, loss, lstart, soft, clip_high, w_min, w_max
                    )
                if fire == b1:
                    break
                # the step where some rows fire: keep those rows' weights before the step, run the
                # group's (clipped) LTD of the step, then redo LTD and LTP of the firing rows from them
                k = max(stop, pre_ptr[fire + 1])
                for q in range(nq):
                    c = cursor[g0 + q]
                    if c < fire_ptr[r0 + g0 + q + 1] and fire_steps[c] == fire:
                        row = w[r0 + g0 + q]
                        for f in range(stop, k):
                            kept[q, f - stop] = row[pre_idx[f]]
                _ltd_rows(
                    wf, start, n_in, nq, pre_idx, stop, k, e0, offset, loss, lstart, soft, clip_high, w_min, w_max
                )
                for q in range(nq):
                    c = cursor[g0 + q]
                    if c < fire_ptr[r0 + g0 + q + 1] and fire_steps[c] == fire:
                        row = w[r0 + g0 + q]
                        for f in range(stop, k):
                            row[pre_idx[f]] = kept[q, f - stop]
                        loss_i = loss[(fire - b0) * n_rows + g0 + q]
                        _fire_step(row, gain[fire - b0], potentiation, pre_idx, stop, k, loss_i, soft, w_min, w_max)
                        while c < fire_ptr[r0 + g0 + q + 1] and fire_steps[c] == fire:
                            c += 1  # a repeated event (invalid input) must not replay the step
                        cursor[g0 + q] = c
    post_trace[r0:r1] = trace
    if r0 == 0:
        pre_out[:] = pre_trace


def _run_kernel(
    w,
    pre_ptr,
    pre_idx,
    post_ptr,
    post_idx,
    fire_ptr,
    fire_steps,
    pre_trace,
    post_trace,
    coefficients,
    soft,
    clip_high,
    block,
    n_chunks,
):
    """Rows split into ``n_chunks <= ceil(n_out / _GROUP)`` chunks of whole groups, one thread each."""
    n_out = w.shape[0]
    n_groups = (n_out + _GROUP - 1) // _GROUP
    pre_out = np.empty_like(pre_trace)
    for chunk in _prange(n_chunks):
        r0 = min(n_out, chunk * n_groups // n_chunks * _GROUP)
        r1 = min(n_out, (chunk + 1) * n_groups // n_chunks * _GROUP)
        _run_rows(
            w,
            r0,
            r1,
            pre_ptr,
            pre_idx,
            post_ptr,
            post_idx,
            fire_ptr,
            fire_steps,
            pre_trace,
            post_trace,
            coefficients,
            soft,
            clip_high,
            block,
            pre_out,
        )
    pre_trace[:] = pre_out


if HAVE_NUMBA:
    _prange = _numba.prange
    _next_spike = _numba.njit(cache=True, nogil=True, inline="always")(_next_spike)
    _ltd_rows = _numba.njit(cache=True, nogil=True)(_ltd_rows)
    _walk_trains = _numba.njit(cache=True, nogil=True)(_walk_trains_py)
    _counting_sort = _numba.njit(cache=True, nogil=True)(_counting_sort_py)
    _fire_step = _numba.njit(cache=True, nogil=True)(_fire_step)
    _run_rows = _numba.njit(cache=True, nogil=True)(_run_rows)
    _compiled = _numba.njit(cache=True, nogil=True, parallel=True)(_run_kernel)
else:  # pragma: no cover
    _prange = range
    _compiled = _walk_trains = _counting_sort = None


def _default_block(n_in: int, itemsize: int) -> int:
    """Steps per block: the block's stored pre traces (``block × n_in``) take about 600 KiB (L2)."""
    return int(min(256, max(16, (600 * 1024) // (n_in * itemsize))))


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
    block_steps: int | None = None,
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
    :param threads: compiled path only: number of row chunks run in parallel (``None`` =
        numba's thread count); results do not depend on it.
    :param block_steps: compiled path only: steps per time block (``None`` = sized so that the
        block's stored pre traces fit in L2, 195 steps for 784 float32 inputs); results do not
        depend on it.
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
        if block_steps is not None:
            block_steps = check.as_int("block_steps", block_steps, minimum=1)
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
    threads = max(1, min(int(threads), -(-w.shape[0] // _GROUP)))  # chunks of whole row groups
    if block_steps is None:
        block_steps = _default_block(w.shape[1], w.dtype.itemsize)
    post_ptr = post_events.indptr  # the post events by neuron: the steps at which each one fires
    fire_ptr, fire_steps = _counting_sort(
        post_events.indices, np.repeat(np.arange(post_ptr.shape[0] - 1, dtype=np.int64), np.diff(post_ptr)), w.shape[0]
    )
    # LTD never raises a weight, so its clip at w_max is needed only for weights that start above it
    clip_high = not (
        target.max() <= params.w_max and target.min() >= params.w_min and pre_trace.min() >= 0 and post_trace.min() >= 0
    )
    _compiled(
        *arrays,
        fire_ptr,
        fire_steps,
        pre_trace,
        post_trace,
        coefficients,
        params.soft_bounds,
        clip_high,
        block_steps,
        threads,
    )
    return target, STDPState(pre_trace, post_trace)
