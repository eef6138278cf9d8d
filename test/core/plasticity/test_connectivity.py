"""Pooling wiring (which synapses exist, that learning keeps it, that pooling keeps patterns apart) and
multiscale initial weights (neighbouring fields correlated, shifted patterns kept closer than by random rows)."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity.connectivity import Pooling, multiscale_weights, parse_groups
from hebbian_ros.core.plasticity.layer import Layer, layer_from_parameters

#: the sensor's cells per field: 6 colour ON/OFF, then 3 planes x 8 edge directions; opposite directions pooled
POLARITY = "0 1 2 3 4 5  6 7 8 9 6 7 8 9  10 11 12 13 10 11 12 13  14 15 16 17 14 15 16 17"


def test_a_unit_connects_to_one_block_of_fields_and_one_cell():
    mask = Pooling(4, 4, field_pool=2).mask(4 * 4 * 3)
    assert mask.shape == (2 * 2 * 3, 48)
    assert (mask.sum(axis=1) == 4).all()  # 2x2 fields, one cell each
    assert (mask.sum(axis=0) == 1).all()  # every input reaches exactly one unit
    grid = np.arange(48).reshape(4, 4, 3)
    unit = (1 * 2 + 0) * 3 + 2  # block row 1, block column 0, cell 2
    assert sorted(np.flatnonzero(mask[unit])) == sorted(grid[2:4, 0:2, 2].ravel())


def test_cell_groups_pool_cells_within_a_field():
    pooling = Pooling(8, 8, cell_groups=parse_groups(POLARITY))
    assert pooling.output_grid(1920) == (8, 8, 18)
    mask = pooling.mask(1920)
    field = mask[:18, :30]  # field (0, 0)
    assert field[0].nonzero()[0].tolist() == [0]  # colour cells stay single
    assert field[6].nonzero()[0].tolist() == [6, 10]  # luminance edge at 0 and 180 degrees
    assert field[17].nonzero()[0].tolist() == [25, 29]
    assert not mask[:18, 30:].any()  # nothing from other fields


@pytest.mark.parametrize(
    ("pooling", "n_in", "message"),
    [
        (dict(rows=8, cols=8, field_pool=3), None, "does not divide"),
        (dict(rows=2, cols=2, cell_groups=(0, 2)), None, "0 .. n-1"),
        (dict(rows=2, cols=2), 10, "do not fill"),
        (dict(rows=2, cols=2, cell_groups=(0, 1)), 12, "2 ids for 3 cells"),
    ],
)
def test_bad_wiring_is_refused_with_its_reason(pooling, n_in, message):
    with pytest.raises(ValueError, match=message):
        Pooling(**pooling).mask(n_in)


def test_bad_group_text_is_refused():
    with pytest.raises(ValueError, match="cell_groups"):
        parse_groups("0 1 x")


def test_n_out_must_match_the_wiring():
    with pytest.raises(ValueError, match="has 12 units"):
        Layer(48, 10, "oja", pooling=Pooling(4, 4, 2))


@pytest.mark.parametrize("path", ["fused_step", "learn"])
@pytest.mark.parametrize("rule", ["oja", "sanger", "hebb"])
def test_learning_never_grows_synapses_the_wiring_lacks(rule, path):
    pooling = Pooling(4, 4, 2)
    layer = Layer(48, 12, rule, {"eta": 0.05}, activation="relu", pooling=pooling)
    mask = pooling.mask(48)
    rng = np.random.default_rng(0)
    for _ in range(50):
        x = rng.uniform(0, 100, 48).astype(np.float32)
        if path == "fused_step":
            layer.step(x)
        else:
            layer.learn(x, layer.forward(x))
    assert layer.n_updates == 50
    assert not layer.weights[~mask].any()
    assert np.abs(layer.weights[mask]).sum() > 0
    if rule == "hebb":  # its l2 bound holds on the wired synapses
        np.testing.assert_allclose(np.linalg.norm(layer.weights, axis=1), 1.0, rtol=1e-5)


def test_oja_pooling_units_stay_near_equal_weights_for_inputs_that_vary_together():
    """Oja's rule finds a block's principal component: for correlated inputs, close to their sum."""
    pooling = Pooling(4, 4, 2)
    layer = Layer(48, 12, "oja", {"eta": 0.02}, activation="relu", pooling=pooling, input_norm="scale")
    unit_of_input = pooling.mask(48).argmax(axis=0)
    rng = np.random.default_rng(1)
    for _ in range(2000):
        common = rng.uniform(0, 40, 12)  # one level per output unit, shared by its 4 inputs
        x = common[unit_of_input]  # each input at its unit's level
        x = (x + rng.uniform(0, 2, 48)).astype(np.float32)
        layer.step(x)
    rows = layer.weights[pooling.mask(48)].reshape(12, 4)
    np.testing.assert_allclose(rows, 0.5, atol=0.05)  # unit norm, equal shares


def test_a_restored_state_must_respect_the_wiring():
    layer = Layer(48, 12, "oja", activation="relu", pooling=Pooling(4, 4, 2))
    state = layer.state_dict()
    state["weights"] = np.ones_like(state["weights"])
    with pytest.raises(ValueError, match="outside the layer's pooling wiring"):
        layer.load_state_dict(state)
    assert layer.weights.sum() > 0 and layer.weights.max() <= 0.5 + 1e-6  # unchanged


def test_pooling_keeps_shifted_patterns_closer_than_the_input_does():
    """Why pooling: a pattern moved by one field stays similar after 2x2 pooling, unlike at the input."""
    rng = np.random.default_rng(2)
    layer = Layer(8 * 8, 16, "oja", activation="relu", pooling=Pooling(8, 8, 2), input_norm="scale")
    base = np.zeros((8, 8), np.float32)
    base[2:4, 2:4] = rng.uniform(50, 100, (2, 2))
    shifted = np.roll(base, 1, axis=1)  # same shape one field over, inside the same 2x2 block at column 2..3 -> 3..4
    other = np.zeros((8, 8), np.float32)
    other[5:7, 5:7] = rng.uniform(50, 100, (2, 2))

    def cosine(a, b):
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    x = [base.ravel(), shifted.ravel(), other.ravel()]
    y = [layer.forward(v) for v in x]
    assert cosine(y[0], y[1]) > cosine(x[0], x[1]) + 0.2
    assert cosine(y[0], y[2]) < 0.1  # a different place stays different


def test_the_node_parameters_build_the_wiring():
    layer = layer_from_parameters(
        {
            "rule": "oja",
            "activation": "relu",
            "n_in": 1920,  # 30 cells per field, which POLARITY names
            "n_out": 1152,
            "input_rows": 8,
            "input_cols": 8,
            "cell_groups": POLARITY,
        }
    )
    assert layer.pooling == Pooling(8, 8, 1, parse_groups(POLARITY))
    assert layer.n_rates == 1152
    assert layer_from_parameters({}).pooling is None


# --- multiscale initial weights ------------------------------------------------------------------


def neighbour_correlation(weights: np.ndarray, rows: int, cols: int, distance: int = 1) -> float:
    grid = weights.reshape(len(weights), rows, cols, -1)
    return float(np.corrcoef(grid[:, :, :-distance].ravel(), grid[:, :, distance:].ravel())[0, 1])


def test_multiscale_weights_are_unit_rows_reproducible_by_seed():
    a = multiscale_weights(np.random.default_rng(3), 64, 8, 8, 8 * 8 * 5)
    b = multiscale_weights(np.random.default_rng(3), 64, 8, 8, 8 * 8 * 5)
    assert a.shape == (64, 320)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, multiscale_weights(np.random.default_rng(4), 64, 8, 8, 320))


@pytest.mark.parametrize("rows, cols", [(8, 8), (6, 10), (1, 5)])
def test_multiscale_weights_correlate_neighbouring_fields_and_less_with_distance(rows, cols):
    weights = multiscale_weights(np.random.default_rng(0), 512, rows, cols, rows * cols * 4)
    near, far = neighbour_correlation(weights, rows, cols), neighbour_correlation(weights, rows, cols, cols - 1)
    random_rows = np.random.default_rng(0).standard_normal(weights.shape)
    assert near > 0.1 > abs(neighbour_correlation(random_rows, rows, cols))  # 0.15-0.2 against ~0
    assert far < near


def test_multiscale_weights_need_a_grid_that_divides_the_inputs():
    with pytest.raises(ValueError, match="n_in"):
        multiscale_weights(np.random.default_rng(0), 4, 8, 8, 100)


def shifted_similarity(layer: Layer, rng: np.random.Generator, trials: int = 40) -> float:
    """Mean cosine of the layer's output to an 8x8 pattern of 3 cells and to it moved by one field."""
    similarities = []
    for _ in range(trials):
        base = np.zeros((8, 8, 3), np.float32)
        top, left = rng.integers(1, 5, 2)
        base[top : top + 3, left : left + 3] = rng.uniform(20, 100, (3, 3, 3))
        a, b = layer.forward(base.ravel()), layer.forward(np.roll(base, 1, axis=1).ravel())
        similarities.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))))
    return float(np.mean(similarities))


def test_a_multiscale_layer_keeps_a_shifted_pattern_closer_than_random_rows():
    """Why multiscale: a unit's drive changes little when the pattern moves by one field."""
    layers = {
        init: Layer(192, 64, "sanger", activation="on_off", initial_weights=init, input_grid=(8, 8), seed=1)
        for init in ("multiscale", "random")
    }
    similarity = {init: shifted_similarity(layer, np.random.default_rng(5)) for init, layer in layers.items()}
    assert similarity["multiscale"] > similarity["random"] + 0.05, similarity  # 0.77 against 0.65


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(rule="sanger"), "input_grid"),  # no grid
        (dict(rule="competitive", activation="relu", input_grid=(8, 8)), "oja or sanger"),
        (dict(rule="oja", input_grid=(8, 8), pooling=Pooling(8, 8, 2)), "pooling"),
        (dict(rule="sanger", input_grid=(7, 8)), "n_in"),
        (dict(rule="sanger", input_grid=(8, 8, 3)), "input_grid"),
        (dict(rule="sanger", input_grid=(8, 0)), "input_grid"),
    ],
)
def test_multiscale_weights_are_refused_where_they_cannot_apply(kwargs, match):
    n_out = 48 if "pooling" in kwargs else 16
    with pytest.raises(ValueError, match=match):
        Layer(192, n_out, initial_weights="multiscale", **kwargs)


def test_the_node_parameters_give_multiscale_weights_without_pooling_wiring():
    layer = layer_from_parameters({"initial_weights": "multiscale", "input_rows": 8, "input_cols": 8})
    assert layer.pooling is None and layer.weights.shape == (256, 3072)
    assert neighbour_correlation(layer.weights, 8, 8) > 0.1
    assert layer_from_parameters({"input_rows": 8, "input_cols": 8}).pooling is None  # a grid alone is no wiring
