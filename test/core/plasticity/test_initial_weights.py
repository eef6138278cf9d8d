"""``initial_weights='push_pull'``: a layer above an ON/OFF layer starts as a copy of its signed units."""

from __future__ import annotations

import numpy as np
import pytest

from hebbian_ros.core.plasticity.layer import Layer, layer_from_parameters


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_push_pull_start_reproduces_the_layer_below_where_a_random_start_does_not():
    rng = np.random.default_rng(0)
    below = Layer(60, 16, "sanger", seed=1, activation="on_off")  # 32 rates
    x = rng.uniform(0, 100, (200, 60)).astype(np.float32)
    rates = below.forward(x)
    copy = Layer(32, 16, "sanger", initial_weights="push_pull", input_norm="scale", activation="on_off")
    random = Layer(32, 16, "sanger", seed=2, input_norm="scale", activation="on_off")
    out = copy.forward(rates)
    np.testing.assert_allclose(cosine_rows(out, rates), 1.0, atol=1e-5)  # the same pattern, scaled
    # pairwise geometry (what memory compares) kept exactly by the copy, not by a random projection
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    np.testing.assert_allclose(unit(out) @ unit(out).T, unit(rates) @ unit(rates).T, atol=1e-5)
    shuffled = random.forward(rates)
    assert np.abs(unit(shuffled) @ unit(shuffled).T - unit(rates) @ unit(rates).T).max() > 0.05


def test_push_pull_start_is_a_set_of_unit_rows_that_learning_then_changes():
    layer = Layer(8, 4, "sanger", initial_weights="push_pull", params=None)
    w = layer.weights
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(w[:, :4], np.eye(4) / np.sqrt(2), rtol=1e-6)
    np.testing.assert_allclose(w[:, 4:], -np.eye(4) / np.sqrt(2), rtol=1e-6)
    fast = layer_from_parameters({"n_in": 8, "n_out": 4, "initial_weights": "push_pull", "learning_rate": 0.05})
    rng = np.random.default_rng(3)
    for x in rng.uniform(0, 100, (50, 8)).astype(np.float32):
        fast.step(x)
    assert not np.allclose(fast.weights, w)


@pytest.mark.parametrize(("n_in", "n_out"), [(10, 4), (8, 8)])
def test_push_pull_needs_twice_as_many_inputs_as_units(n_in, n_out):
    with pytest.raises(ValueError, match="initial_weights"):
        Layer(n_in, n_out, "sanger", initial_weights="push_pull")


def test_unknown_initial_weights_are_refused():
    with pytest.raises(ValueError, match="initial_weights"):
        layer_from_parameters({"n_in": 8, "n_out": 4, "initial_weights": "identity"})
