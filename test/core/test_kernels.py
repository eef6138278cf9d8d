"""Fused update kernels compute the same rules as the rule modules."""

import numpy as np
import pytest

from hebbian_ros.core import kernels
from hebbian_ros.core.competitive import CompetitiveParams, competitive_step
from hebbian_ros.core.hebb import HebbParams, hebb_step
from hebbian_ros.core.oja import OjaParams, oja_step, sanger_step

PATHS = [False] + ([True] if kernels.HAVE_NUMBA else [])
RULES = {
    "hebb": (kernels.hebb_update, hebb_step, HebbParams(eta=0.05)),
    "oja": (kernels.oja_update, oja_step, OjaParams(eta=0.05)),
    "sanger": (kernels.sanger_update, sanger_step, OjaParams(eta=0.05)),
    "instar": (kernels.instar_update, competitive_step, CompetitiveParams(eta=0.2)),
}


def case(rng, n_in=37, n_out=70):
    w = (rng.standard_normal((n_out, n_in)) * 0.3).astype(np.float32)
    x = rng.uniform(0, 1, n_in).astype(np.float32)
    y = np.clip(w @ x, -1, 1).astype(np.float32)
    win = np.zeros(n_out, np.float32)
    win[[3, 11]] = [1.0, 0.5]
    return w, x, y, win


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("rule", sorted(RULES))
def test_kernel_matches_the_rule_module(rule, compiled):
    kernel, step, params = RULES[rule]
    w, x, y, win = case(np.random.default_rng(0))
    post = win if rule == "instar" else y
    expected = step(x, post, w, params)
    for threads in (None, 1, 2):
        got = w.copy()
        assert kernel(x, post, got, params.eta, compiled=compiled, threads=threads, validate=True) is got
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_instar_touches_only_active_rows():
    w, x, _, win = case(np.random.default_rng(1))
    got = w.copy()
    kernels.instar_update(x, win, got, 0.2)
    untouched = np.setdiff1d(np.arange(w.shape[0]), [3, 11])
    np.testing.assert_array_equal(got[untouched], w[untouched])


@pytest.mark.parametrize("block", [1, 7, 64, 500])
def test_blocked_batch_sanger_matches_the_rule_module(block):
    rng = np.random.default_rng(2)
    w = (rng.standard_normal((50, 20)) * 0.3).astype(np.float32)
    x = rng.uniform(0, 1, (9, 20)).astype(np.float32)
    y = (x @ w.T).astype(np.float32)
    expected = sanger_step(x, y, w, OjaParams(eta=0.05))
    got = kernels.sanger_batch_update(x, y, w.copy(), 0.05, block=block, validate=True)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_sanger_kernel_still_finds_principal_components(pca_data):
    samples, eigenvectors, _ = pca_data
    w = np.random.default_rng(3).standard_normal((3, 8)).astype(np.float32) * 0.1
    for sample in samples[:20_000]:
        kernels.sanger_update(sample, w @ sample, w, 0.002)
    overlap = np.abs(np.sum(w / np.linalg.norm(w, axis=1, keepdims=True) * eigenvectors[:, :3].T, axis=1))
    assert (overlap > 0.95).all()


def test_bad_arguments_name_themselves():
    w, x, y, _ = case(np.random.default_rng(4))
    with pytest.raises(ValueError, match="pre"):
        kernels.oja_update(x[:-1], y, w, 0.1, validate=True)
    with pytest.raises(ValueError, match="eta"):
        kernels.hebb_update(x, y, w, -1.0, validate=True)
    with pytest.raises(ValueError, match="w: expected a writeable C-contiguous"):
        kernels.oja_update(x, y[:37], np.asfortranarray(w[:37, :37]), 0.1, validate=True)
    with pytest.raises(ValueError, match="post"):
        kernels.instar_update(x, np.full(w.shape[0], 2.0, np.float32), w, 0.1, validate=True)
    with pytest.raises(ValueError, match="threads"):
        kernels.oja_update(x, y, w, 0.1, threads=0, validate=True)
    with pytest.raises(ValueError, match="pre: expected a mini-batch"):
        kernels.sanger_batch_update(x, y, w, 0.1, validate=True)
