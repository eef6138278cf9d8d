"""Linear layers whose signed outputs travel as ON/OFF pairs of rates, and population-centred input."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity.layer import Layer

PATHS = [pytest.param(True, id="numba"), pytest.param(False, id="numpy")]


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("input_norm", ["l2", "centred", "divisive"])
def test_on_off_rates_are_the_linear_layers_outputs_split_by_sign(compiled, input_norm):
    x = np.random.default_rng(1).uniform(0, 100, 40).astype(np.float32)
    on_off = Layer(
        40, 8, "sanger", {"eta": 0.01}, seed=3, activation="on_off", input_norm=input_norm, compiled=compiled
    )
    linear = Layer(
        40, 8, "sanger", {"eta": 0.01}, seed=3, activation="linear", input_norm=input_norm, compiled=compiled
    )
    assert on_off.n_rates == 16 and linear.n_rates == 8
    for level in (0.0, 1.0, 1.0):  # forward only, then two learning steps: the same weights follow
        rates, signed = on_off.step(x, level), linear.step(x, level)
        assert rates.shape == (16,) and rates.min() >= 0
        np.testing.assert_allclose(rates[:8] - rates[8:], signed, atol=1e-4)
        assert np.all((rates[:8] == 0) | (rates[8:] == 0))  # a unit is ON or OFF, never both
    np.testing.assert_allclose(on_off.weights, linear.weights, atol=1e-6)


def test_learn_takes_the_on_off_rates_forward_gave():
    x = np.random.default_rng(2).uniform(0, 100, 30).astype(np.float32)
    layer = Layer(30, 5, "sanger", {"eta": 0.05}, activation="on_off", compiled=False)
    twin = Layer(30, 5, "sanger", {"eta": 0.05}, activation="on_off", compiled=False)
    twin.step(x, 1.0)
    layer.learn(x, layer.forward(x), 1.0)
    np.testing.assert_allclose(layer.weights, twin.weights, atol=1e-6)
    with pytest.raises(ValueError, match="y: expected 10 values"):
        layer.learn(x, np.ones(5, np.float32))


def test_centred_input_ignores_what_every_unit_shares():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 50, 64).astype(np.float32)
    layer = Layer(64, 16, "sanger", activation="on_off", input_norm="centred", compiled=False)
    np.testing.assert_allclose(layer.forward(x), layer.forward(np.minimum(x + 30, 100)), atol=1e-4)
    assert not layer.forward(np.full(64, 40, np.float32)).any()  # a uniform pattern has no deviation


@pytest.mark.parametrize("rule", ["bcm", "competitive", "stdp"])
def test_on_off_needs_a_rule_with_signed_outputs(rule):
    with pytest.raises(ValueError, match="activation"):
        Layer(10, 4, rule, activation="on_off")
