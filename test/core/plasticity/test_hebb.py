"""Plain Hebb: the exact update, purity, and the runaway growth that motivates every other rule."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity.bounds import apply_bounds, normalize_rows_l2
from hebbian_ros.core.plasticity.hebb import HebbParams, hebb_step


@pytest.fixture
def problem():
    rng = np.random.default_rng(3)
    w = rng.normal(0, 0.1, (3, 5)).astype(np.float32)
    x = rng.normal(0, 1, 5).astype(np.float32)
    return w, x, w @ x


def test_update_is_eta_y_x_transposed(problem):
    w, x, y = problem
    new_w = hebb_step(x, y, w, HebbParams(eta=0.1))
    np.testing.assert_allclose(new_w - w, 0.1 * np.outer(y, x), rtol=1e-5, atol=1e-7)


def test_step_is_pure_and_out_updates_in_place(problem):
    w, x, y = problem
    before = (w.copy(), x.copy(), y.copy())
    pure = hebb_step(x, y, w, HebbParams())
    for array, original in zip((w, x, y), before):
        np.testing.assert_array_equal(array, original)
    result = hebb_step(x, y, w, HebbParams(), out=w)
    assert result is w
    np.testing.assert_array_equal(w, pure)


def test_batch_update_is_the_mean_of_per_sample_updates(problem):
    w, _, _ = problem
    rng = np.random.default_rng(4)
    xs = rng.normal(size=(6, 5)).astype(np.float32)
    ys = xs @ w.T
    batch_delta = hebb_step(xs, ys, w, HebbParams(0.2)) - w
    mean_delta = np.mean([hebb_step(x, y, w, HebbParams(0.2)) - w for x, y in zip(xs, ys)], axis=0)
    np.testing.assert_allclose(batch_delta, mean_delta, rtol=1e-5, atol=1e-7)


def test_float64_weights_stay_float64(problem):
    w, x, _ = problem
    w64 = w.astype(np.float64)
    assert hebb_step(x, w64 @ x, w64, HebbParams()).dtype == np.float64


def test_norm_grows_without_bound(pca_data):
    """dw/dt = η C w: the norm grows like exp(η λ₁ t) until it overflows."""
    samples, _, _ = pca_data
    w = np.full((1, 8), 0.1, dtype=np.float32)
    start = np.linalg.norm(w)
    params = HebbParams(eta=0.01)
    norms = []
    with np.errstate(over="ignore", invalid="ignore"):
        for x in samples[:5000]:
            hebb_step(x, w @ x, w, params, out=w, validate=False)
            norms.append(np.linalg.norm(w.astype(np.float64)))
    norms = np.array(norms)
    assert norms[-1] > 1e6 * start or not np.isfinite(norms[-1])
    finite = norms[np.isfinite(norms)]
    assert finite.max() > 1e6 * start


def test_normalised_hebb_finds_the_leading_direction(pca_data):
    samples, eigenvectors, _ = pca_data
    w = normalize_rows_l2(np.full((1, 8), 0.3, dtype=np.float32))
    for x in samples[:5000]:
        hebb_step(x, w @ x, w, HebbParams(0.002), out=w, validate=False)
        apply_bounds(w, "l2", out=w, validate=False)
    assert abs(w[0] @ eigenvectors[:, 0]) > 0.99
    assert np.linalg.norm(w) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"eta": -0.1}, "HebbParams.eta: expected a value in"),
        ({"eta": float("inf")}, "HebbParams.eta: expected a finite number"),
        ({"eta": "fast"}, "HebbParams.eta: expected a real number"),
    ],
)
def test_bad_params_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HebbParams(**kwargs)


def test_bad_inputs_raise_and_change_nothing(problem):
    w, x, y = problem
    original = w.copy()
    with pytest.raises(ValueError, match="pre: contains NaN at index 2"):
        bad = x.copy()
        bad[2] = np.nan
        hebb_step(bad, y, w, HebbParams(), out=w)
    with pytest.raises(ValueError, match="post: expected 3 values, got 4"):
        hebb_step(x, np.zeros(4), w, HebbParams(), out=w)
    with pytest.raises(ValueError, match="params: expected HebbParams, got dict"):
        hebb_step(x, y, w, {"eta": 0.1}, out=w)
    np.testing.assert_array_equal(w, original)
