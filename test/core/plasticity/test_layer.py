"""Layer: forward pass, rule dispatch, plasticity gate, input validation and checkpoints."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hebbian_ros.core.plasticity.layer import RULES, Layer

N_IN, N_OUT = 6, 3
REPO = Path(__file__).resolve().parents[2]


def rates(rng, *shape, high=100.0):
    return rng.uniform(0.0, high, shape or (N_IN,)).astype(np.float32)


def snapshot(layer):
    """Everything a layer can change, in a form compared bit for bit."""
    return {
        key: (value.dtype.str, value.shape, value.tobytes()) if isinstance(value, np.ndarray) else value
        for key, value in layer.state_dict().items()
    }


# Settings that keep every rule's update linear in the gate level for one step: no
# normalisation after the update, and no weight clipping in reach.
LINEAR_SETUPS = {
    "hebb": dict(bounds="none"),
    "oja": dict(),
    "sanger": dict(),
    "bcm": dict(params={"w_min": -10.0, "w_max": 10.0}),
    "competitive": dict(bounds="none", params={"soft": True}),
    "stdp": dict(params={"soft_bounds": True}, max_rate_hz=1000.0),
}


def test_core_imports_without_ros():
    code = "import sys, hebbian_ros.core; assert not [m for m in sys.modules if m.startswith('rclpy')]"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


@pytest.mark.parametrize("rule", RULES)
def test_forward_gives_rates_for_samples_and_batches(rule):
    layer = Layer(N_IN, N_OUT, rule)
    rng = np.random.default_rng(0)
    y = layer.forward(rates(rng))
    batch = layer.forward(rates(rng, 5, N_IN))
    assert y.shape == (N_OUT,) and batch.shape == (5, N_OUT)
    assert y.dtype == batch.dtype == np.float32
    low = -layer.max_rate_hz if layer.activation == "linear" else 0.0
    assert np.all((batch >= low) & (batch <= layer.max_rate_hz))
    np.testing.assert_array_equal(layer.forward(np.zeros(N_IN)), 0.0)
    assert layer.n_updates == 0


def test_oja_and_sanger_are_signed_the_other_rules_rectified():
    rng = np.random.default_rng(1)
    x = rates(rng, 200, N_IN)
    assert (Layer(N_IN, N_OUT, "sanger").forward(x) < 0).any()
    for rule in ("hebb", "bcm", "competitive", "stdp"):
        assert (Layer(N_IN, N_OUT, rule).forward(x) >= 0).all()


@pytest.mark.parametrize("rule", RULES)
def test_learning_is_deterministic_given_the_seed(rule):
    rng = np.random.default_rng(2)
    inputs = rates(rng, 30, N_IN)
    first, second = Layer(N_IN, N_OUT, rule, seed=7), Layer(N_IN, N_OUT, rule, seed=7)
    other = Layer(N_IN, N_OUT, rule, seed=8)
    assert not np.array_equal(first.weights, other.weights)
    for x in inputs:
        np.testing.assert_array_equal(first.step(x), second.step(x))
    assert snapshot(first) == snapshot(second)
    assert first.n_updates == 30


@pytest.mark.parametrize("rule", RULES)
def test_gate_off_leaves_the_layer_bit_identical(rule):
    layer = Layer(N_IN, N_OUT, rule)
    rng = np.random.default_rng(3)
    for x in rates(rng, 5, N_IN):
        layer.step(x)
    before = snapshot(layer)
    for x in rates(rng, 20, N_IN):
        layer.step(x, level=0.0)
        layer.learn(x, layer.forward(x), level=0)
    if rule != "stdp":
        batch = rates(rng, 4, N_IN)
        layer.learn(batch, layer.forward(batch), 0.0)
    assert snapshot(layer) == before


@pytest.mark.parametrize("rule", RULES)
def test_gate_level_scales_the_weight_change(rule):
    setup = LINEAR_SETUPS[rule]
    full = Layer(N_IN, N_OUT, rule, **setup)
    rng = np.random.default_rng(4)
    for x in rates(rng, 20, N_IN, high=full.max_rate_hz):
        full.step(x)  # build up traces / thresholds
    half = Layer(N_IN, N_OUT, rule, seed=99, **setup)
    half.load_state_dict(full.state_dict())
    start = full.weights.copy()
    x = rates(rng, high=0.9 * full.max_rate_hz)
    y = full.forward(x)
    full.learn(x, y, level=1.0)
    half.learn(x, y, level=0.5)
    full_change, half_change = full.weights - start, half.weights - start
    assert np.abs(full_change).max() > 1e-4
    np.testing.assert_allclose(half_change, 0.5 * full_change, rtol=1e-3, atol=1e-6)
    assert full.n_updates == half.n_updates == 21


def bad_calls(rule):
    """(description, call(layer, x, y), expected message) for invalid input."""
    x_nan = np.full(N_IN, 10.0)
    x_nan[2] = np.nan
    calls = [
        ("x size", lambda layer, x, y: layer.step(np.ones(N_IN - 1)), f"x: expected {N_IN} values, got {N_IN - 1}"),
        ("x NaN", lambda layer, x, y: layer.step(x_nan), "x: contains NaN at index 2"),
        ("x inf", lambda layer, x, y: layer.learn(np.full(N_IN, np.inf), y), "x: contains inf at index 0"),
        ("x empty", lambda layer, x, y: layer.step([]), "x: is empty"),
        ("x negative", lambda layer, x, y: layer.step(-x), "x: negative rate"),
        ("x too fast", lambda layer, x, y: layer.step(x + 1e4), "exceeds 100"),
        ("x complex", lambda layer, x, y: layer.step(x.astype(complex)), "x: expected a real numeric array"),
        ("x 3-D", lambda layer, x, y: layer.step(np.ones((2, 2, N_IN))), "x: expected shape"),
        ("x text", lambda layer, x, y: layer.forward("fast"), "x: expected a real numeric array"),
        ("level high", lambda layer, x, y: layer.step(x, 1.5), r"level: expected a value in \[0, 1\], got 1.5"),
        ("level NaN", lambda layer, x, y: layer.learn(x, y, float("nan")), "level: expected a finite number"),
        ("level text", lambda layer, x, y: layer.step(x, "on"), "level: expected a real number, got str"),
        (
            "y size",
            lambda layer, x, y: layer.learn(x, np.ones(N_OUT + 1)),
            f"y: expected {N_OUT} values, got {N_OUT + 1}",
        ),
        ("y NaN", lambda layer, x, y: layer.learn(x, np.full(N_OUT, np.nan)), "y: contains NaN at index 0"),
        ("y batch", lambda layer, x, y: layer.learn(x, np.ones((2, N_OUT))), "y: expected a single sample to match x"),
        ("y too fast", lambda layer, x, y: layer.learn(x, np.full(N_OUT, 1e3)), "y: rate 1000 at index 0 exceeds 100"),
    ]
    if rule not in ("oja", "sanger"):
        calls.append(
            ("y negative", lambda layer, x, y: layer.learn(x, -np.ones(N_OUT)), "y: negative rate -1 at index 0")
        )
    if rule == "stdp":
        stdp_batch = "x: rule 'stdp' learns one time step"
        calls.append(("stdp batch", lambda layer, x, y: layer.step(np.ones((2, N_IN))), stdp_batch))
    return calls


@pytest.mark.parametrize(
    "rule, description, call, message",
    [(rule, *case) for rule in RULES for case in bad_calls(rule)],
    ids=[f"{rule}-{case[0]}" for rule in RULES for case in bad_calls(rule)],
)
def test_bad_input_raises_and_leaves_the_layer_unchanged(rule, description, call, message):
    layer = Layer(N_IN, N_OUT, rule)
    rng = np.random.default_rng(5)
    for x in rates(rng, 3, N_IN):
        layer.step(x)
    x = rates(rng)
    y = layer.forward(x)
    before = snapshot(layer)
    with pytest.raises(ValueError, match=message):
        call(layer, x, y)
    assert snapshot(layer) == before


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Layer(0, 3), "n_in: expected an integer >= 1, got 0"),
        (lambda: Layer(3, 2.5), "n_out: expected an integer, got float"),
        (lambda: Layer(3, 2, "backprop"), "rule: expected one of 'hebb', 'oja'"),
        (lambda: Layer(3, 2, "oja", params=3), "params: expected OjaParams for rule 'oja', got int"),
        (lambda: Layer(3, 2, "bcm", params={"speed": 1}), "params: invalid fields for BCMParams"),
        (lambda: Layer(3, 2, "oja", params={"eta": 5.0}), "OjaParams.eta: expected a value in"),
        (lambda: Layer(3, 2, "hebb", bounds="l3"), "bounds: expected one of"),
        (lambda: Layer(3, 2, "hebb", activation="tanh"), "activation: expected one of"),
        (lambda: Layer(3, 2, "competitive", activation="linear"), "activation: rule 'competitive' needs 'relu'"),
        (lambda: Layer(3, 2, "oja", input_norm="max"), "input_norm: expected one of"),
        (lambda: Layer(3, 2, "oja", max_rate_hz=0.0), "max_rate_hz: expected a value in"),
        (lambda: Layer(3, 2, "stdp", max_rate_hz=5000.0), "max_rate_hz: 5000 Hz gives more than one spike"),
        (lambda: Layer(3, 2, "competitive", params={"k": 3}), "params: k=3 winners exceed n_out=2"),
        (lambda: Layer(3, 2, seed=-1), "seed: expected an integer >= 0"),
    ],
)
def test_bad_construction_raises(make, message):
    with pytest.raises(ValueError, match=message):
        make()


any_dtype = st.one_of(
    hnp.floating_dtypes(),
    hnp.integer_dtypes(),
    hnp.unsigned_integer_dtypes(),
    hnp.boolean_dtypes(),
    hnp.complex_number_dtypes(),
)
arbitrary_arrays = hnp.arrays(any_dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=N_IN + 1))
sample_shapes = st.sampled_from([(N_IN,), (1, N_IN), (3, N_IN)])
plausible_rates = st.one_of(
    hnp.arrays(st.sampled_from([np.float32, np.float64]), sample_shapes, elements=st.floats(-1.0, 120.0, width=32)),
    hnp.arrays(np.int64, sample_shapes, elements=st.integers(-1, 120)),
)
extreme_rates = hnp.arrays(np.float64, (N_IN,), elements=st.floats(allow_nan=True, allow_infinity=True))
levels = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, 0.5, 1.0]), st.integers(-2, 2))


@pytest.mark.parametrize("rule", RULES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_step_on_arbitrary_arrays_raises_only_value_error_and_stays_finite(rule, data):
    layer = Layer(N_IN, N_OUT, rule)
    for _ in range(data.draw(st.integers(1, 6), label="calls")):
        x = data.draw(st.one_of(plausible_rates, extreme_rates, arbitrary_arrays), label="x")
        level = data.draw(levels, label="level")
        before = snapshot(layer)
        try:
            y = layer.step(x, level)
        except ValueError:
            assert snapshot(layer) == before
        else:
            assert np.isfinite(y).all()
            assert np.isfinite(layer.weights).all()


@pytest.mark.parametrize("rule", RULES)
def test_state_dict_round_trips_through_npz_and_continues_identically(rule, tmp_path):
    rng = np.random.default_rng(6)
    original = Layer(N_IN, N_OUT, rule, seed=1)
    for x in rates(rng, 10, N_IN):
        original.step(x)
    np.savez(tmp_path / "layer.npz", **original.state_dict())
    with np.load(tmp_path / "layer.npz", allow_pickle=False) as stored:
        state = {key: stored[key] for key in stored.files}
    restored = Layer(N_IN, N_OUT, rule, seed=2)
    restored.load_state_dict(state)
    assert restored.n_updates == original.n_updates == 10
    for x in rates(rng, 10, N_IN):
        np.testing.assert_array_equal(restored.step(x), original.step(x))
    assert snapshot(restored) == snapshot(original)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("weights"), "state: missing keys weights"),
        (lambda d: d.update(rule="oja"), "rule: state is for rule 'oja'"),
        (lambda d: d.update(n_in=N_IN + 1), f"n_in: state has {N_IN + 1}"),
        (lambda d: d.update(weights=np.zeros((2, 2))), r"weights: expected shape \(3, 6\)"),
        (lambda d: d["weights"].__setitem__((0, 0), np.nan), r"weights: contains NaN at index \(0, 0\)"),
        (lambda d: d.update(n_updates=-1), "n_updates: expected an integer >= 0"),
        (lambda d: d.update(rng_state=np.zeros(5, np.uint64)), "rng_state: expected 6 non-negative integers"),
        (lambda d: d.update(theta=np.full(N_OUT, -1.0)), "theta: negative value"),
    ],
)
def test_bad_state_dict_raises_and_leaves_the_layer_unchanged(change, message):
    layer = Layer(N_IN, N_OUT, "bcm")
    layer.step(rates(np.random.default_rng(7)))
    state = layer.state_dict()
    before = snapshot(layer)
    change(state)
    with pytest.raises(ValueError, match=message):
        layer.load_state_dict(state)
    assert snapshot(layer) == before


def test_k_wta_layer_activates_exactly_k_units():
    layer = Layer(N_IN, 5, "competitive", params={"k": 2})
    outputs = layer.forward(rates(np.random.default_rng(8), 50, N_IN, high=99.0) + 1.0)
    np.testing.assert_array_equal(np.count_nonzero(outputs, axis=1), 2)
    np.testing.assert_array_equal(outputs[outputs > 0], layer.max_rate_hz)


def test_soft_wta_layer_shares_the_maximum_rate():
    layer = Layer(N_IN, 5, "competitive", params={"soft": True})
    outputs = layer.forward(rates(np.random.default_rng(9), 20, N_IN, high=99.0) + 1.0)
    np.testing.assert_allclose(outputs.sum(axis=1), layer.max_rate_hz, rtol=1e-5)


def test_competitive_layer_specialises_on_clusters_of_rates():
    rng = np.random.default_rng(100)
    centres = np.zeros((4, 16))
    for cluster in range(4):
        centres[cluster, 4 * cluster : 4 * cluster + 4] = 80.0
    labels = rng.integers(0, 4, 4000)
    samples = np.clip(centres[labels] + rng.normal(0, 8.0, (4000, 16)), 0, 100).astype(np.float32)
    layer = Layer(16, 4, "competitive", params={"leak": 0.05}, seed=0)
    for x in samples[:3000]:
        layer.step(x)
    winners = layer.forward(samples[3000:]).argmax(axis=1)
    unit_of_cluster = [np.bincount(winners[labels[3000:] == c], minlength=4).argmax() for c in range(4)]
    assert sorted(unit_of_cluster) == [0, 1, 2, 3]
    assert np.mean(winners == np.array(unit_of_cluster)[labels[3000:]]) > 0.95


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule != "stdp"])
def test_a_batch_is_one_update(rule):
    layer = Layer(N_IN, N_OUT, rule)
    batch = rates(np.random.default_rng(10), 8, N_IN)
    start = layer.weights.copy()
    layer.learn(batch, layer.forward(batch))
    assert layer.n_updates == 1
    assert not np.array_equal(layer.weights, start) and np.isfinite(layer.weights).all()


def test_weights_are_a_read_only_view():
    layer = Layer(N_IN, N_OUT, "oja")
    with pytest.raises(ValueError):
        layer.weights[0, 0] = 1.0
    view = layer.weights
    layer.step(rates(np.random.default_rng(11)))
    np.testing.assert_array_equal(view, layer.weights)


@pytest.mark.parametrize("rule", RULES)
def test_default_bounds_keep_many_steps_finite(rule):
    layer = Layer(N_IN, N_OUT, rule)
    rng = np.random.default_rng(12)
    for x in rates(rng, 2000, N_IN):
        y = layer.step(x)
    assert np.isfinite(layer.weights).all() and np.isfinite(y).all()
    assert np.abs(layer.weights).max() < 10


def test_divisive_normalisation_keeps_weak_input_weak_and_strong_input_normalised():
    layer = Layer(16, 8, "sanger", seed=3, activation="relu", input_norm="divisive", semi_saturation_hz=10.0)
    pattern = np.random.default_rng(0).random(16).astype(np.float32)
    unit = pattern / np.linalg.norm(pattern)
    strong = layer.forward(unit * 190)  # |x| = 190 Hz >> sigma (no rate above 100 Hz)
    weak = layer.forward(unit * 1)  # |x| = 1 Hz << sigma
    l2 = Layer(16, 8, "sanger", seed=3, activation="relu").forward(pattern * 50)
    np.testing.assert_allclose(strong, l2 * 190 / 200, rtol=1e-4)
    np.testing.assert_allclose(weak, l2 * 1 / 11, rtol=1e-4)


@pytest.mark.parametrize("exponent", [0.3, 0.5, 0.8])
@pytest.mark.parametrize("input_norm", ["l2", "divisive", "scale"])
def test_compressive_input_transfer_is_a_power_of_each_rate_at_the_input_norm(exponent, input_norm):
    kwargs = {"seed": 4, "activation": "on_off", "input_norm": input_norm, "semi_saturation_hz": 10.0}
    x = rates(np.random.default_rng(5), 4, 16)
    compressed = Layer(16, 8, "sanger", input_exponent=exponent, **kwargs).forward(x)
    power = (x / 100.0) ** exponent
    by_hand = power * (np.linalg.norm(x, axis=1) / np.linalg.norm(power, axis=1))[:, None]
    np.testing.assert_allclose(compressed, Layer(16, 8, "sanger", **kwargs).forward(by_hand), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("exponent", [1.0, 0.5, 0.3])
def test_compressive_input_transfer_keeps_weak_contrast_weak_under_divisive_normalisation(exponent):
    """Weak rates everywhere (an empty table: ~3 Hz in all) are not lifted towards a strong object's strength: the
    compression changes the pattern's direction, divisive normalisation of its own norm sets its strength."""
    layer = Layer(
        16, 16, "oja", activation="linear", input_norm="divisive", semi_saturation_hz=10.0, input_exponent=exponent
    )
    layer.load_state_dict({**layer.state_dict(), "weights": np.eye(16, dtype=np.float32)})
    rng = np.random.default_rng(8)
    table, thing = rng.uniform(0.0, 1.0, 16).astype(np.float32), rng.uniform(0.0, 1.0, 16).astype(np.float32)
    table *= 3.0 / np.linalg.norm(table)
    thing *= 150.0 / np.linalg.norm(thing)
    strengths = [np.linalg.norm(layer.forward(v)) / 100.0 for v in (table, thing)]
    np.testing.assert_allclose(strengths, [3.0 / 13.0, 150.0 / 160.0], rtol=1e-4)


def test_compressive_input_transfer_lets_weak_inputs_tell_patterns_apart_and_ignores_overall_gain():
    """Two patterns that share one strong input and differ in the weak ones: compressed, they are less alike,
    and a dimmer copy of either still gives the same pattern (only scaled)."""
    identity = np.eye(4, dtype=np.float32)  # read the normalised input back through an identity layer
    a = np.array([100.0, 10.0, 0.0, 0.0], np.float32)
    b = np.array([100.0, 0.0, 10.0, 0.0], np.float32)

    def cosine(u, v):
        return float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))

    outputs = {}
    for exponent in (1.0, 0.5):
        layer = Layer(4, 4, "oja", activation="linear", input_exponent=exponent)
        layer.load_state_dict({**layer.state_dict(), "weights": identity})
        outputs[exponent] = [layer.forward(v) for v in (a, b, 0.3 * a)]
    assert cosine(*outputs[0.5][:2]) < cosine(*outputs[1.0][:2]) - 0.05  # 0.909 against 0.990
    assert cosine(outputs[0.5][0], outputs[0.5][2]) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("exponent", [0.0, -0.5, 1.5, float("nan")])
def test_an_input_exponent_outside_0_to_1_is_refused(exponent):
    with pytest.raises(ValueError, match="input_exponent"):
        Layer(4, 2, "sanger", input_exponent=exponent)
