"""Layer on the fused kernels computes what the rule modules compute (numba and numpy paths)."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity import kernels
from hebbian_ros.core.plasticity.bounds import Bounds, BoundsMode, apply_bounds
from hebbian_ros.core.plasticity.competitive import compete, competitive_step
from hebbian_ros.core.plasticity.hebb import hebb_step
from hebbian_ros.core.plasticity.layer import RULES, Layer
from hebbian_ros.core.plasticity.oja import oja_step, sanger_step

# Both paths always, by name: without numba (a main requirement) the numba cases fail loudly.
PATHS = [pytest.param(True, id="numba"), pytest.param(False, id="numpy")]
N_IN, N_OUT = 23, 18  # 18 rows: Sanger's four-row blocks end with a remainder of two
STEPS = {"hebb": hebb_step, "oja": oja_step, "sanger": sanger_step, "competitive": competitive_step}
SETUPS = {
    "hebb": {},
    "oja": {"params": {"eta": 0.05}},
    "sanger": {"params": {"eta": 0.05}},
    "competitive": {"params": {"eta": 0.2, "k": 2}},
    "competitive-soft-leak": {"params": {"eta": 0.2, "soft": True, "leak": 0.1}},
}
BOUNDS = ["none", "l2", "l1", Bounds("clip", w_min=-0.2, w_max=0.3)]


def bounds_id(bounds):
    return bounds if isinstance(bounds, str) else bounds.mode.value


def reference_step(layer, w, x, level):
    """``Layer.step`` as the rule modules do it: forward, rule step, bounds on every row."""
    x_hat = x / np.linalg.norm(x, axis=-1, keepdims=True).astype(np.float32)
    drive = x_hat @ w.T
    params = layer.params.scaled(level)
    if layer.rule == "competitive":
        activity = compete(drive, params, validate=False) * (drive > 0)
        if params.soft:
            activity = compete(drive, params, validate=False)
    else:
        activity = np.clip(drive, 0.0 if layer.activation == "relu" else -1.0, 1.0)
    y = (activity * np.float32(layer.max_rate_hz)).astype(np.float32)
    STEPS[layer.rule](x_hat, y / np.float32(layer.max_rate_hz), w, params, out=w, validate=False)
    apply_bounds(w, layer.bounds, out=w)
    return y


def make(setup, bounds, compiled, n_in=N_IN, n_out=N_OUT):
    rule = setup.split("-")[0]
    return Layer(n_in, n_out, rule, seed=3, bounds=bounds, compiled=compiled, **SETUPS[setup])


def mixed_sign_weights(layer, rng):
    """Weights with negative entries, so rectified units are sometimes silent (``y_j = 0``)."""
    state = layer.state_dict()
    state["weights"] = (rng.standard_normal(state["weights"].shape) * 0.3).astype(np.float32)
    layer.load_state_dict(state)


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("bounds", BOUNDS, ids=bounds_id)
@pytest.mark.parametrize("setup", sorted(SETUPS))
@pytest.mark.parametrize("level", [1.0, 0.4])
def test_step_and_learn_match_the_rule_modules(setup, bounds, compiled, level):
    rng = np.random.default_rng(0)
    layer = make(setup, bounds, compiled)
    mixed_sign_weights(layer, rng)
    w = layer.weights.copy()
    for t, x in enumerate(rng.uniform(0.0, 100.0, (12, N_IN)).astype(np.float32)):
        if t % 3 == 2:  # learn with the layer's own output, the other path into the kernels
            layer.learn(x, layer.forward(x), level)
            reference_step(layer, w, x, level)
        else:
            np.testing.assert_allclose(layer.step(x, level), reference_step(layer, w, x, level), rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(layer.weights, w, rtol=2e-5, atol=1e-6)
    assert layer.n_updates == 12


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("bounds", BOUNDS, ids=bounds_id)
@pytest.mark.parametrize("setup", sorted(SETUPS))
def test_batches_match_the_rule_modules(setup, bounds, compiled, monkeypatch):
    monkeypatch.setattr(kernels, "BATCH_BLOCK", 5)  # several row blocks, the last one short
    rng = np.random.default_rng(1)
    layer = make(setup, bounds, compiled)
    mixed_sign_weights(layer, rng)
    w = layer.weights.copy()
    for _ in range(3):
        batch = rng.uniform(0.0, 100.0, (7, N_IN)).astype(np.float32)
        np.testing.assert_allclose(layer.step(batch, 0.7), reference_step(layer, w, batch, 0.7), rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(layer.weights, w, rtol=2e-5, atol=1e-6)
        layer.learn(batch, layer.forward(batch))
        reference_step(layer, w, batch, 1.0)
        np.testing.assert_allclose(layer.weights, w, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("rule", ["hebb", "oja", "sanger", "competitive"])
def test_compiled_and_numpy_layers_agree_over_many_steps(rule):
    rng = np.random.default_rng(2)
    numpy_layer, numba_layer = (Layer(64, 40, rule, seed=1, compiled=compiled) for compiled in (False, True))
    for x in rng.uniform(0.0, 100.0, (300, 64)).astype(np.float32):
        numpy_layer.step(x)
        numba_layer.step(x)
    np.testing.assert_allclose(numba_layer.weights, numpy_layer.weights, rtol=1e-3, atol=1e-5)


def test_silent_units_keep_their_rows_once_bounded():
    rng = np.random.default_rng(3)
    layer = Layer(N_IN, N_OUT, "hebb", seed=0)
    mixed_sign_weights(layer, rng)
    layer.step(rng.uniform(0.0, 100.0, N_IN))  # first update: every row is normalised
    before = layer.weights.copy()
    y = layer.step(rng.uniform(0.0, 100.0, N_IN))
    assert (y == 0).any() and (y > 0).any()
    np.testing.assert_array_equal(layer.weights[y == 0], before[y == 0])
    np.testing.assert_allclose(np.linalg.norm(layer.weights, axis=1), 1.0, rtol=1e-5)


def test_layer_runs_numba_by_default_and_numpy_when_asked():
    assert Layer(N_IN, N_OUT)._compiled is True  # numba is a main requirement
    assert Layer(N_IN, N_OUT, compiled=False)._compiled is False


def test_layer_falls_back_to_numpy_without_numba(monkeypatch):
    monkeypatch.setattr(kernels, "HAVE_NUMBA", False)
    with pytest.raises(ValueError, match="compiled: numba is not installed"):
        Layer(N_IN, N_OUT, "oja", compiled=True)
    rng = np.random.default_rng(4)
    layer = Layer(N_IN, N_OUT, "oja", params={"eta": 0.05})
    w = layer.weights.copy()
    for x in rng.uniform(0.0, 100.0, (5, N_IN)).astype(np.float32):
        layer.step(x)
        reference_step(layer, w, x, 1.0)
    np.testing.assert_allclose(layer.weights, w, rtol=1e-5, atol=1e-6)


def test_compiled_must_be_a_bool():
    with pytest.raises(ValueError, match="compiled: expected None or a bool"):
        Layer(N_IN, N_OUT, compiled="yes")


@pytest.mark.parametrize("rule", ["hebb", "oja", "sanger", "bcm", "competitive", "stdp"])
def test_warm_up_leaves_the_layer_exactly_as_it_was(rule):
    """A node warms its layer up before subscribing: nothing it learned or will draw may change."""
    layer, twin = (Layer(N_IN, N_OUT, rule, seed=5) for _ in range(2))
    x = np.random.default_rng(0).uniform(0, 100, N_IN).astype(np.float32)
    layer.step(x, 0.5)
    twin.step(x, 0.5)
    layer.warm_up()
    for key, value in twin.state_dict().items():
        np.testing.assert_array_equal(layer.state_dict()[key], value, err_msg=key)
    np.testing.assert_array_equal(layer.step(x, 1.0), twin.step(x, 1.0))
    np.testing.assert_array_equal(layer.weights, twin.weights)


# --- a silent sample (blank scene) is a no-op, never an error -------------------------------

SILENT_BOUNDS = [None, "none", "clip", "l2", "l1"]


def assert_bounded(layer):
    w, bounds = layer.weights, layer.bounds
    assert np.isfinite(w).all()
    if bounds.mode is BoundsMode.CLIP:
        assert w.min() >= bounds.w_min and w.max() <= bounds.w_max
    elif bounds.mode is not BoundsMode.NONE:
        norms = np.linalg.norm(w, axis=1) if bounds.mode is BoundsMode.L2 else np.abs(w).sum(axis=1)
        assert np.all((norms == 0) | np.isclose(norms, bounds.norm, rtol=1e-5)), norms


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("bounds", SILENT_BOUNDS, ids=lambda b: f"bounds={b}")
@pytest.mark.parametrize("rule", RULES)
def test_a_silent_sample_is_a_no_op(rule, bounds, compiled):
    """An all-zero input (a blank scene while learning) once raised ``zero-size array`` on the
    numpy path of every L2-bounded layer (no active row, and the bounds took the max of none)."""
    layer = Layer(10, 4, rule, bounds=bounds, compiled=compiled)
    zeros = np.zeros(10, np.float32)
    np.testing.assert_array_equal(layer.step(zeros, level=1.0), 0)
    assert_bounded(layer)  # the first update bounds every row (the initial ones may not satisfy them)
    before = layer.weights.copy()
    np.testing.assert_array_equal(layer.step(zeros, level=1.0), 0)
    layer.learn(zeros, np.zeros(4, np.float32), level=1.0)
    assert_bounded(layer)
    if rule in ("bcm", "stdp"):  # rule modules + apply_bounds: rows re-normalised to float rounding
        np.testing.assert_allclose(layer.weights, before, rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(layer.weights, before)
    if rule != "stdp":  # a silent mini-batch too
        np.testing.assert_array_equal(layer.step(np.zeros((3, 10), np.float32), level=1.0), 0)
        assert_bounded(layer)


@pytest.mark.parametrize("compiled", PATHS)
@pytest.mark.parametrize("bounds", SILENT_BOUNDS, ids=lambda b: f"bounds={b}")
@pytest.mark.parametrize("rule", ["hebb", "bcm", "competitive"])
def test_a_sample_no_unit_responds_to_is_a_no_op(rule, bounds, compiled):
    """Input present but every rectified unit silent (all drives <= 0): the same no-op."""
    layer = Layer(10, 4, rule, bounds=bounds, compiled=compiled)
    layer.step(np.zeros(10, np.float32))  # bound every row first
    state = layer.state_dict()
    state["weights"] = -np.abs(state["weights"])
    layer.load_state_dict(state)
    before = layer.weights.copy()
    x = np.full(10, 50.0, np.float32)
    np.testing.assert_array_equal(layer.step(x, level=1.0), 0)
    assert np.isfinite(layer.weights).all()
    if rule != "bcm" and bounds != "clip":  # (BCM clips at w_min = 0, and so do these bounds)
        np.testing.assert_array_equal(layer.weights, before)
