"""Oja's rule finds the first principal component; Sanger's rule the first k, in order."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity.oja import OjaParams, SangerParams, oja_step, sanger_step


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_oja_converges_to_the_first_principal_component_with_unit_norm(pca_data):
    samples, eigenvectors, _ = pca_data
    w = np.random.default_rng(0).normal(0, 0.1, (1, 8)).astype(np.float32)
    params = OjaParams(eta=0.001)
    for x in samples[:30_000]:
        oja_step(x, w @ x, w, params, out=w)
    assert abs(cosine(w[0], eigenvectors[:, 0])) > 0.99
    assert abs(np.linalg.norm(w) - 1.0) < 0.05


def test_sanger_recovers_the_leading_components_in_order(pca_data):
    samples, eigenvectors, _ = pca_data
    w = np.random.default_rng(0).normal(0, 0.1, (3, 8)).astype(np.float32)
    params = SangerParams(eta=0.001)
    for x in samples:
        sanger_step(x, w @ x, w, params, out=w, validate=False)
    for component in range(3):
        assert abs(cosine(w[component], eigenvectors[:, component])) > 0.95, component
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), 1.0, atol=0.05)


def test_batched_sanger_recovers_the_same_components(pca_data):
    samples, eigenvectors, _ = pca_data
    w = np.random.default_rng(0).normal(0, 0.1, (3, 8)).astype(np.float32)
    params = SangerParams(eta=0.01)
    for batch in samples.reshape(-1, 20, 8):
        sanger_step(batch, batch @ w.T, w, params, out=w)
    for component in range(3):
        assert abs(cosine(w[component], eigenvectors[:, component])) > 0.95, component


@pytest.mark.parametrize("n_out", [1, 5, 70])  # 70 units exercises the blocked prefix sum
def test_single_sample_updates_match_the_matrix_formulas(n_out):
    rng = np.random.default_rng(n_out)
    w = rng.normal(0, 0.3, (n_out, 9))
    x = rng.normal(size=9)
    y = w @ x
    eta = 0.05
    oja_expected = w + eta * (np.outer(y, x) - (y**2)[:, None] * w)
    sanger_expected = w + eta * (np.outer(y, x) - np.tril(np.outer(y, y)) @ w)
    np.testing.assert_allclose(oja_step(x, y, w, OjaParams(eta)), oja_expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sanger_step(x, y, w, SangerParams(eta)), sanger_expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("step", [oja_step, sanger_step])
def test_batch_update_is_the_mean_of_per_sample_updates(step):
    rng = np.random.default_rng(7)
    w = rng.normal(0, 0.3, (4, 6))
    xs = rng.normal(size=(5, 6))
    ys = xs @ w.T
    params = OjaParams(0.1)
    batch_delta = step(xs, ys, w, params) - w
    mean_delta = np.mean([step(x, y, w, params) - w for x, y in zip(xs, ys)], axis=0)
    np.testing.assert_allclose(batch_delta, mean_delta, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("step", [oja_step, sanger_step])
def test_steps_are_pure_and_out_updates_in_place(step):
    rng = np.random.default_rng(8)
    w = rng.normal(0, 0.3, (3, 4)).astype(np.float32)
    x = rng.normal(size=4).astype(np.float32)
    y = w @ x
    before = (w.copy(), x.copy(), y.copy())
    pure = step(x, y, w, OjaParams(0.1))
    for array, original in zip((w, x, y), before):
        np.testing.assert_array_equal(array, original)
    assert step(x, y, w, OjaParams(0.1), out=w) is w
    np.testing.assert_array_equal(w, pure)


@pytest.mark.parametrize("params_type", [OjaParams, SangerParams])
@pytest.mark.parametrize("eta", [-0.01, 1.5, float("nan")])
def test_learning_rate_outside_zero_one_is_rejected(params_type, eta):
    with pytest.raises(ValueError, match=f"{params_type.__name__}.eta"):
        params_type(eta=eta)


def test_bad_inputs_raise_and_change_nothing():
    w = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="pre: expected 3 values, got 2"):
        oja_step(np.ones(2), np.ones(2), w, OjaParams(), out=w)
    with pytest.raises(ValueError, match="w: contains NaN"):
        sanger_step(np.ones(3), np.ones(2), np.full((2, 3), np.nan, np.float32), SangerParams())
    np.testing.assert_array_equal(w, 1.0)
