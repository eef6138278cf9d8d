"""Fused update kernels compute the same rules as the rule modules."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity import kernels
from hebbian_ros.core.plasticity.bounds import Bounds, apply_bounds
from hebbian_ros.core.plasticity.competitive import CompetitiveParams, competitive_step
from hebbian_ros.core.plasticity.hebb import HebbParams, hebb_step
from hebbian_ros.core.plasticity.oja import OjaParams, oja_step, sanger_step

# Both paths always, by name: numba is a main requirement, so without it the numba cases fail
# ("compiled: numba is not installed") instead of dropping out at collection.
PATHS = [pytest.param(True, id="numba"), pytest.param(False, id="numpy")]
NUMBA_ONLY = PATHS[:1]
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


# --- fused update / fused step: rule + bounds in one pass ----------------------------------

FUSED_BOUNDS = [None, "l2", "l1", Bounds("clip", w_min=-0.25, w_max=0.3), Bounds("l2", norm=2.0)]


def fused_reference(rule, x, y, w, eta, bounds):
    """The rule module's update, then the bounds on every row."""
    kernel, step, _ = RULES[rule]
    params = CompetitiveParams(eta=eta) if rule == "instar" else OjaParams(eta=eta)
    if rule == "hebb":
        params = HebbParams(eta=eta)
    out = step(x, y, w, params)
    return apply_bounds(out, bounds)


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize(
    "bounds", FUSED_BOUNDS, ids=lambda b: str(b if b is None or isinstance(b, str) else f"{b.mode.value}{b.norm:g}")
)
@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("n_out", [1, 3, 4, 70])
def test_fused_update_matches_rule_then_bounds(rule, bounds, compiled, n_out):
    rng = np.random.default_rng(5)
    w = (rng.standard_normal((n_out, 37)) * 0.3).astype(np.float32)
    x = rng.uniform(0, 1, 37).astype(np.float32)
    post = np.clip(w @ x, 0 if rule == "instar" else -1, 1).astype(np.float32)
    expected = fused_reference(rule, x, post, w, 0.05, bounds)
    for threads in (None, 1, 2):
        got = w.copy()
        assert (
            kernels.fused_update(
                rule, x, post, got, 0.05, bounds=bounds, compiled=compiled, threads=threads, validate=True
            )
            is got
        )
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("bounds", FUSED_BOUNDS[:3], ids=str)
@pytest.mark.parametrize("rule", ["hebb", "oja", "sanger"])
@pytest.mark.parametrize("low", [-1.0, 0.0])
def test_fused_step_is_forward_then_update(rule, bounds, compiled, low):
    w, x, _, _ = case(np.random.default_rng(6), n_out=19)
    expected_y = np.clip(w @ x, low, 1.0)
    expected = fused_reference(rule, x, expected_y, w, 0.05, bounds)
    for threads in (None, 1, 2):
        got = w.copy()
        y = kernels.fused_step(
            rule, x, got, 0.05, low=low, high=1.0, bounds=bounds, compiled=compiled, threads=threads, validate=True
        )
        np.testing.assert_allclose(y, expected_y, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("forward", [False, True])
@pytest.mark.parametrize("bounds", FUSED_BOUNDS[:4], ids=str)
@pytest.mark.parametrize("rule", sorted(RULES))
def test_fused_batches_match_the_rule_modules(rule, bounds, forward):
    rng = np.random.default_rng(7)
    w = (rng.standard_normal((50, 20)) * 0.3).astype(np.float32)
    x = rng.uniform(0, 1, (9, 20)).astype(np.float32)
    y = np.clip(x @ w.T, 0 if rule == "instar" else -1, 1).astype(np.float32)
    expected = fused_reference(rule, x, y, w, 0.05, bounds)
    for block in (1, 7, 64):
        got = w.copy()
        if forward and rule != "instar":
            out = kernels.fused_step(rule, x, got, 0.05, low=-1.0, high=1.0, bounds=bounds, block=block, validate=True)
            np.testing.assert_allclose(out, y, rtol=1e-5, atol=1e-6)
        else:
            kernels.fused_update(rule, x, y, got, 0.05, bounds=bounds, block=block, validate=True)
        np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("rule", ["hebb", "oja", "instar"])
def test_only_active_leaves_silent_rows_untouched(rule, compiled):
    w, x, _, win = case(np.random.default_rng(8))
    got = w.copy()
    kernels.fused_update(rule, x, win, got, 0.2, bounds="l2", only_active=True, compiled=compiled)
    silent = win == 0
    np.testing.assert_array_equal(got[silent], w[silent])
    np.testing.assert_allclose(np.linalg.norm(got[~silent], axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("compiled", PATHS)
def test_fused_l2_survives_huge_weights_cancellation_and_zero_rows(compiled):
    rng = np.random.default_rng(9)
    x = rng.uniform(0.5, 1, 16).astype(np.float32)
    w = rng.uniform(0, 1, (4, 16)).astype(np.float32)
    w[0] *= 1e37  # the float32 sum of squares overflows
    w[1] = -x  # w + 1·x cancels to (almost) nothing: norm from the new values
    w[1, 0] += 1e-3
    w[2] = 0  # zero row gains exactly η y x
    y = np.array([1e-30, 1.0, 0.5, 0.0], np.float32)
    for mode in ("l2", "l1"):
        expected = fused_reference("hebb", x, y, w, 1.0, mode)
        got = kernels.fused_update("hebb", x, y, w.copy(), 1.0, bounds=mode, compiled=compiled)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    zero = np.zeros((2, 16), np.float32)
    kernels.fused_update("oja", x, np.zeros(2, np.float32), zero, 0.1, bounds="l2", compiled=compiled)
    assert not zero.any()


@pytest.mark.parametrize("compiled", NUMBA_ONLY)
def test_sanger_four_row_kernel_equals_row_by_row_bit_for_bit(compiled):
    rng = np.random.default_rng(10)
    w = (rng.standard_normal((13, 40)) * 0.3).astype(np.float32)
    x = rng.uniform(0, 1, 40).astype(np.float32)
    y = np.clip(w @ x, -1, 1).astype(np.float32)
    expected = w.copy()
    explained = np.zeros(40, np.float32)
    for i in range(13):  # the defining loop, one row at a time (old weights in the running sum)
        explained += y[i] * expected[i]
        expected[i] += np.float32(0.05) * y[i] * (x - explained)
    got = kernels.sanger_update(x, y, w.copy(), 0.05, compiled=compiled, threads=1, validate=True)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_numba_is_installed():
    """numba is in requirements.txt: a fresh install runs the compiled kernels by default."""
    assert kernels.HAVE_NUMBA, "numba is not importable: pip install -r requirements.txt (scripts/setup.sh)"


@pytest.mark.parametrize("compiled", PATHS)
def test_compiled_flag_chooses_the_path(compiled, monkeypatch):
    """``compiled=False`` runs the numpy loops and never the numba ones, ``compiled=True`` the numba ones."""
    calls = []
    real = kernels._compiled_sample
    monkeypatch.setattr(kernels, "_compiled_sample", lambda *args: calls.append(args[0]) or real(*args))
    numpy_calls = []
    real_numpy = dict(kernels._NUMPY)
    for name, function in real_numpy.items():
        monkeypatch.setitem(
            kernels._NUMPY, name, lambda *args, _n=name, _f=function: numpy_calls.append(_n) or _f(*args)
        )
    w, x, y, _ = case(np.random.default_rng(12))
    for rule in ("hebb", "oja", "sanger"):
        kernels.fused_step(rule, x, w, 0.05, bounds="l2", compiled=compiled)
    kernels.fused_update("instar", x, np.clip(y, 0, 1), w, 0.05, bounds="l2", compiled=compiled)
    expected = ["hebb", "oja", "sanger", "instar"]
    assert (calls, numpy_calls) == ((expected, []) if compiled else ([], expected))


def test_fused_arguments_name_themselves():
    w, x, y, _ = case(np.random.default_rng(11))
    with pytest.raises(ValueError, match="rule"):
        kernels.fused_update("bcm", x, y, w, 0.1, validate=True)
    with pytest.raises(ValueError, match="rule"):
        kernels.fused_step("instar", x, w, 0.1, validate=True)
    with pytest.raises(ValueError, match="bounds"):
        kernels.fused_update("hebb", x, y, w, 0.1, bounds="l3", validate=True)
    with pytest.raises(ValueError, match="high"):
        kernels.fused_step("oja", x, w, 0.1, low=1.0, high=0.0, validate=True)
    with pytest.raises(ValueError, match="block"):
        kernels.fused_update("oja", x, y, w, 0.1, block=0, validate=True)
    with pytest.raises(ValueError, match="pre"):
        kernels.fused_step("oja", x[:-1], w, 0.1, validate=True)


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize(
    "bounds", FUSED_BOUNDS, ids=lambda b: str(b if b is None or isinstance(b, str) else b.mode.value)
)
@pytest.mark.parametrize("rule", sorted(RULES))
def test_no_active_row_is_a_no_op(rule, bounds, compiled):
    """``only_active`` with every ``y_j = 0`` (a silent sample): W unchanged, no error (numpy took
    the max of an empty array for L2 bounds)."""
    w, x, _, _ = case(np.random.default_rng(13))
    w = apply_bounds(w, bounds)
    got = w.copy()
    kernels.fused_update(
        rule, x, np.zeros(w.shape[0], np.float32), got, 0.1, bounds=bounds, only_active=True, compiled=compiled
    )
    np.testing.assert_array_equal(got, w)
    if rule != "instar":
        y = kernels.fused_step(rule, np.zeros_like(x), got, 0.1, bounds=bounds, only_active=True, compiled=compiled)
        np.testing.assert_array_equal(y, 0)
        np.testing.assert_array_equal(got, w)


def test_bounds_of_no_rows_are_no_rows():
    for mode in ("none", "clip", "l2", "l1"):
        assert apply_bounds(np.zeros((0, 5), np.float32), mode, validate=False).shape == (0, 5)
