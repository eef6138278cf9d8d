"""Every stabilised rule stays bounded and finite over 10^6 sequential single-sample updates.

Plain Hebb diverges (see ``test_hebb.py``); Oja, Sanger, BCM, competitive learning, STDP and
Hebb with row normalisation must not. Each run is one network updated one sample at a time
through the in-place path (``out=w, validate=False``), with small dimensions so that 10^6
true updates take seconds. The six runs share two worker processes, one per core.
"""

import multiprocessing
import traceback

import numpy as np
import pytest

from hebbian_ros.core.plasticity.bcm import BCMParams, bcm_init_state, bcm_step
from hebbian_ros.core.plasticity.bounds import Bounds, apply_bounds, normalize_rows_l2
from hebbian_ros.core.plasticity.competitive import CompetitiveParams, compete, competitive_step
from hebbian_ros.core.plasticity.hebb import HebbParams, hebb_step
from hebbian_ros.core.plasticity.oja import OjaParams, SangerParams, oja_step, sanger_step
from hebbian_ros.core.plasticity.stdp import STDPParams, stdp_init_state, stdp_step

N_UPDATES = 1_000_000
CHUNK = 100_000  # samples generated at a time; the weights are checked after every chunk
N_IN, N_OUT = 8, 4
WORKER_TIMEOUT_S = 900


def gaussian_chunks(seed):
    """Zero-mean correlated inputs (eigenvalues 0.5 ... 0.005)."""
    rng = np.random.default_rng(seed)
    scales = np.sqrt(np.geomspace(0.5, 0.005, N_IN))
    rotation, _ = np.linalg.qr(rng.standard_normal((N_IN, N_IN)))
    for _ in range(N_UPDATES // CHUNK):
        yield ((rng.standard_normal((CHUNK, N_IN)) * scales) @ rotation.T).astype(np.float32)


def rate_chunks(seed):
    """Non-negative unit-length inputs: two noisy patterns, as a rate layer would see them."""
    rng = np.random.default_rng(seed)
    patterns = np.array([[1, 1, 1, 1, 0.2, 0.2, 0.2, 0.2], [0.2, 0.2, 0.2, 0.2, 1, 1, 1, 1]])
    for _ in range(N_UPDATES // CHUNK):
        chunk = patterns[rng.integers(0, 2, CHUNK)] + rng.uniform(0, 0.3, (CHUNK, N_IN))
        yield normalize_rows_l2(chunk.astype(np.float32))


def summary(w, extremes, updates, **extra):
    return dict(updates=updates, finite=bool(np.isfinite(w).all()), extremes=extremes, final=w.copy(), **extra)


def run_oja():
    w = np.random.default_rng(0).normal(0, 0.3, (N_OUT, N_IN)).astype(np.float32)
    params, updates, extremes = OjaParams(eta=0.01), 0, []
    for chunk in gaussian_chunks(1):
        for x in chunk:
            oja_step(x, w @ x, w, params, out=w, validate=False)
        updates += len(chunk)
        extremes.append(np.linalg.norm(w, axis=1))
    return summary(w, extremes, updates)


def run_sanger():
    w = np.random.default_rng(0).normal(0, 0.3, (N_OUT, N_IN)).astype(np.float32)
    params, updates, extremes = SangerParams(eta=0.01), 0, []
    for chunk in gaussian_chunks(2):
        for x in chunk:
            sanger_step(x, w @ x, w, params, out=w, validate=False)
        updates += len(chunk)
        extremes.append(np.linalg.norm(w, axis=1))
    return summary(w, extremes, updates)


def run_normalised_hebb():
    w = normalize_rows_l2(np.random.default_rng(0).uniform(0, 1, (N_OUT, N_IN)).astype(np.float32))
    params, bounds, updates, extremes = HebbParams(eta=0.01), Bounds("l2"), 0, []
    for chunk in gaussian_chunks(3):
        for x in chunk:
            hebb_step(x, w @ x, w, params, out=w, validate=False)
            apply_bounds(w, bounds, out=w, validate=False)
        updates += len(chunk)
        extremes.append(np.linalg.norm(w, axis=1))
    return summary(w, extremes, updates)


def run_bcm():
    w = np.random.default_rng(0).uniform(0.1, 0.4, (N_OUT, N_IN)).astype(np.float32)
    state, params, updates, extremes = bcm_init_state(N_OUT), BCMParams(eta=0.02, tau_theta=10.0), 0, []
    for chunk in rate_chunks(4):
        for x in chunk:
            y = w @ x
            np.maximum(y, 0, out=y)
            _, state = bcm_step(x, y, w, state, params, out=w, validate=False)
        updates += len(chunk)
        extremes.append(np.abs(w).max(axis=1))
    return summary(w, extremes, updates, theta=state.theta)


def run_competitive():
    w = normalize_rows_l2(np.random.default_rng(0).uniform(0, 1, (N_OUT, N_IN)).astype(np.float32))
    params, updates, extremes = CompetitiveParams(eta=0.05), 0, []
    for chunk in rate_chunks(5):
        for x in chunk:
            competitive_step(x, compete(w @ x, params, validate=False), w, params, out=w, validate=False)
        updates += len(chunk)
        extremes.append(np.linalg.norm(w, axis=1))
    return summary(w, extremes, updates)


def run_stdp():
    rng = np.random.default_rng(6)
    w = rng.uniform(0.25, 0.75, (N_OUT, N_IN)).astype(np.float32)
    state, params, updates, extremes = stdp_init_state(N_IN, N_OUT), STDPParams(), 0, []
    for _ in range(N_UPDATES // CHUNK):
        pre_chunk = rng.random((CHUNK, N_IN)) < 0.02  # 20 Hz at dt = 1 ms
        post_chunk = rng.random((CHUNK, N_OUT)) < 0.02
        for pre, post in zip(pre_chunk, post_chunk):
            _, state = stdp_step(pre, post, w, state, params, out=w, validate=False)
        updates += CHUNK
        extremes.append(np.abs(w).max(axis=1))
    return summary(w, extremes, updates, traces=np.concatenate(state))


RUNS = {
    "hebb+l2": run_normalised_hebb,
    "sanger": run_sanger,
    "oja": run_oja,
    "competitive": run_competitive,
    "bcm": run_bcm,
    "stdp": run_stdp,
}
WORKER_GROUPS = (("hebb+l2", "sanger", "oja"), ("competitive", "bcm", "stdp"))  # similar run times


def run_group(names, sender=None):
    """Run ``names`` one after the other; send the results (or a traceback) if ``sender``."""
    try:
        results = {name: RUNS[name]() for name in names}
    except BaseException:
        if sender is None:
            raise
        results = traceback.format_exc()
    if sender is not None:
        sender.send(results)
        sender.close()
    return results


@pytest.fixture(scope="module")
def long_runs():
    """Results of every run; two forked workers run them in parallel where fork exists."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return run_group(list(RUNS))
    context = multiprocessing.get_context("fork")
    workers = []
    for group in WORKER_GROUPS:
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=run_group, args=(group, sender), daemon=True)
        process.start()
        sender.close()
        workers.append((process, receiver))
    results = {}
    try:
        for process, receiver in workers:
            if not receiver.poll(WORKER_TIMEOUT_S):
                pytest.fail(f"a stability worker gave no result within {WORKER_TIMEOUT_S} s")
            payload = receiver.recv()
            if isinstance(payload, str):
                pytest.fail(f"a stability worker failed:\n{payload}")
            results.update(payload)
    finally:
        for process, _ in workers:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    return results


# Largest row norm (oja, sanger, hebb+l2, competitive) or largest |w| (bcm, stdp) allowed.
LIMITS = {"hebb+l2": 1.0 + 1e-5, "oja": 1.2, "sanger": 1.2, "competitive": 1.0 + 1e-5, "bcm": 1.0, "stdp": 1.0}


@pytest.mark.slow
@pytest.mark.parametrize("rule", list(RUNS))
def test_stabilised_rule_stays_bounded_over_a_million_updates(long_runs, rule):
    result = long_runs[rule]
    assert result["updates"] == N_UPDATES
    assert result["finite"]
    extremes = np.array(result["extremes"])
    assert np.isfinite(extremes).all()
    assert extremes.max() <= LIMITS[rule], extremes.max()
    assert np.abs(result["final"]).max() > 1e-3  # bounded, not collapsed to nothing
    for key in ("theta", "traces"):
        if key in result:
            assert np.isfinite(result[key]).all() and result[key].max() < 100


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["oja", "sanger", "hebb+l2"])
def test_self_normalising_rules_keep_unit_norm_rows(long_runs, rule):
    norms = np.array(long_runs[rule]["extremes"])
    np.testing.assert_allclose(norms, 1.0, atol=0.1 if rule != "hebb+l2" else 1e-5)
