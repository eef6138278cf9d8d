"""The layer's homeostatic input gain (``gain_tau``): spreads equalised, learned only while learning."""

from __future__ import annotations

import numpy as np
import pytest

from hebbian_ros.core.plasticity import kernels
from hebbian_ros.core.plasticity.connectivity import Pooling
from hebbian_ros.core.plasticity.layer import Layer, layer_from_parameters

N_SWING = 4  # inputs that swing strongly from sample to sample and carry no identity
N_SHAPE = 16  # inputs that carry each object's identity, weakly
N_IN = N_SWING + N_SHAPE


def one_to_one(gain_tau: float, **options) -> Layer:
    """Each unit wired to one input with weight 1: the output is the (gain-weighted) normalised input."""
    return Layer(N_IN, N_IN, "oja", activation="relu", pooling=Pooling(1, 1, 1), gain_tau=gain_tau, **options)


def objects_and_views(rng: np.random.Generator, n_objects: int, n_views: int) -> tuple[np.ndarray, np.ndarray]:
    """Rates (Hz) of ``n_views`` views of each object: a weak identity pattern under a strong nuisance swing."""
    shapes = rng.uniform(0, 10, (n_objects, N_SHAPE))
    views = np.empty((n_objects, n_views, N_IN), np.float32)
    views[..., :N_SWING] = rng.uniform(0, 100, (n_objects, n_views, N_SWING))
    views[..., N_SWING:] = shapes[:, None] + rng.normal(0, 1, (n_objects, n_views, N_SHAPE))
    return np.clip(views, 0, 100), shapes


def identification(layer: Layer, views: np.ndarray) -> float:
    """Share of later views whose nearest stored first view (cosine of the layer's output) is their object's."""
    stored = layer.forward(views[:, 0])
    probes = layer.forward(views[:, 1:].reshape(-1, N_IN))
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    nearest = (unit(probes) @ unit(stored).T).argmax(axis=1)
    return float(np.mean(nearest == np.repeat(np.arange(len(views)), views.shape[1] - 1)))


def look_at_each(layers: list[Layer], views: np.ndarray) -> None:
    """Each object's views as one look, learning on, with a frame of learning off between objects (a gap)."""
    for obj in views:
        for layer in layers:
            for x in obj:
                layer.step(x)
            layer.step(np.zeros(N_IN, np.float32), level=0.0)


def test_gain_turns_the_swinging_inputs_down():
    rng = np.random.default_rng(0)
    views, _ = objects_and_views(rng, 40, 5)
    layer = one_to_one(gain_tau=30)
    plain = one_to_one(gain_tau=0)
    look_at_each([layer, plain], views)
    probe = views.reshape(-1, N_IN)
    spread = lambda y: y.std(axis=0)  # noqa: E731
    before, after = spread(plain.forward(probe)), spread(layer.forward(probe))
    ratio_before = before[:N_SWING].mean() / before[N_SWING:].mean()
    ratio_after = after[:N_SWING].mean() / after[N_SWING:].mean()
    assert ratio_before > 3
    assert ratio_after < ratio_before / 2


def test_gain_lets_the_weak_identity_inputs_tell_objects_apart():
    rng = np.random.default_rng(1)
    views, _ = objects_and_views(rng, 30, 6)
    layer = one_to_one(gain_tau=15)
    plain = one_to_one(gain_tau=0)
    look_at_each([layer, plain], views[:, :3])  # learns from some views; identification uses all
    with_gain, without = identification(layer, views), identification(plain, views)
    assert with_gain > without + 0.1, (with_gain, without)


def test_an_input_steady_within_a_look_outweighs_one_that_flickers():
    """Same spread across objects; one holds still while an object is in view, the other changes every frame."""
    rng = np.random.default_rng(8)
    n_objects, frames = 80, 8
    steady = np.repeat(rng.uniform(10, 90, n_objects), frames).reshape(n_objects, frames)
    flicker = rng.uniform(10, 90, (n_objects, frames))
    views = np.full((n_objects, frames, N_IN), 50.0, np.float32)
    views[..., 0], views[..., 1] = steady, flicker
    layer = one_to_one(gain_tau=100)
    look_at_each([layer], views)
    state = layer.state_dict()
    assert abs(state["gain_var"][0] / state["gain_var"][1] - 1) < 0.5  # comparable spreads
    probe = np.full(N_IN, 50.0, np.float32)
    out = layer.forward(probe)
    assert out[0] > 1.5 * out[1]


def test_no_change_is_taken_across_a_gap_without_learning():
    layer = one_to_one(gain_tau=100)
    x = np.full(N_IN, 10.0, np.float32)
    for _ in range(3):
        layer.step(x)
    layer.step(x, level=0.0)
    layer.step(x * 3)
    state = layer.state_dict()
    assert state["gain_count"] == 4 and state["gain_changes"] == 2


def test_gain_changes_only_while_the_layer_learns():
    rng = np.random.default_rng(2)
    views, _ = objects_and_views(rng, 5, 4)
    layer = one_to_one(gain_tau=100)
    fresh = layer.forward(views[0])
    layer.step(views[0, 0], level=0.0)
    layer.forward(views[1])
    assert layer.state_dict()["gain_count"] == 0
    np.testing.assert_array_equal(layer.forward(views[0]), fresh)
    for x in views.reshape(-1, N_IN):
        layer.step(x)
    assert layer.state_dict()["gain_count"] == views.shape[0] * views.shape[1]
    state = layer.state_dict()
    layer.forward(views[2])
    layer.learn(views[2, 0], layer.forward(views[2, 0]), level=0.0)
    for key in ("gain_mean", "gain_var"):
        np.testing.assert_array_equal(layer.state_dict()[key], state[key])


def test_gain_time_constant_forgets_old_samples():
    """After many more than ``gain_tau`` samples of a new regime, the spreads are the new regime's."""
    rng = np.random.default_rng(3)
    short, long_ = one_to_one(gain_tau=50), one_to_one(gain_tau=1e6)
    old = rng.uniform(0, 100, (300, N_IN)).astype(np.float32)
    new = old.copy()
    new[:, :N_SWING] = 50.0  # the swinging inputs fall still
    for x in np.concatenate([old, new]):
        short.step(x)
        long_.step(x)
    assert short.state_dict()["gain_var"][:N_SWING].max() < 0.2 * long_.state_dict()["gain_var"][:N_SWING].min()


@pytest.mark.parametrize("rule", ["hebb", "oja", "sanger", "bcm", "competitive"])
def test_state_dict_round_trips_with_the_gain_and_continues_identically(rule, tmp_path):
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 100, (30, 12)).astype(np.float32)
    layer = Layer(12, 6, rule, seed=5, gain_tau=20)
    for row in x[:15]:
        layer.step(row)
    np.savez(tmp_path / "state.npz", **layer.state_dict())
    restored = Layer(12, 6, rule, seed=99, gain_tau=20)
    restored.load_state_dict(dict(np.load(tmp_path / "state.npz")))
    for row in x[15:]:
        np.testing.assert_allclose(restored.step(row), layer.step(row), rtol=0, atol=0)
    np.testing.assert_array_equal(restored.weights, layer.weights)


def test_a_checkpoint_saved_without_the_gain_loads_its_weights_and_starts_the_gain_afresh():
    """Switching the gain on (as config/layers.yaml did for layer1) keeps what an older checkpoint learned."""
    rng = np.random.default_rng(8)
    x = rng.uniform(0, 100, (20, 12)).astype(np.float32)
    before = Layer(12, 6, "sanger", seed=5)
    for row in x:
        before.step(row)
    upgraded = Layer(12, 6, "sanger", seed=9, gain_tau=20)
    upgraded.load_state_dict(before.state_dict())
    np.testing.assert_array_equal(upgraded.weights, before.weights)
    assert upgraded.n_updates == before.n_updates and int(upgraded.state_dict()["gain_count"]) == 0
    np.testing.assert_allclose(upgraded.forward(x[:3]), before.forward(x[:3]), rtol=1e-6)  # no gain until it learns


def test_layer_without_gain_has_no_gain_state_and_ignores_none():
    layer = Layer(12, 6, "oja")
    assert not any(key.startswith("gain_") for key in layer.state_dict())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("gain_var"), "missing keys gain_var"),
        (lambda s: s.update(gain_mean=np.zeros(5)), "gain_mean: expected shape"),
        (lambda s: s.update(gain_var=-np.ones(12)), "gain_var"),
        (lambda s: s.update(gain_count=-1), "gain_count"),
        (lambda s: s.update(gain_fluct=-np.ones(12)), "gain_fluct"),
        (lambda s: s.update(gain_following="yes"), "gain_following"),
    ],
)
def test_bad_gain_state_raises_and_leaves_the_layer_unchanged(change, message):
    rng = np.random.default_rng(6)
    layer = Layer(12, 6, "oja", seed=5, gain_tau=20)
    for row in rng.uniform(0, 100, (10, 12)).astype(np.float32):
        layer.step(row)
    before = layer.state_dict()
    bad = layer.state_dict()
    change(bad)
    with pytest.raises(ValueError, match=message):
        layer.load_state_dict(bad)
    after = layer.state_dict()
    for key in before:
        np.testing.assert_array_equal(np.asarray(after[key]), np.asarray(before[key]), err_msg=key)


def test_negative_gain_tau_is_refused():
    with pytest.raises(ValueError, match="gain_tau"):
        Layer(12, 6, "oja", gain_tau=-1)


def test_parameter_schema_builds_the_gain():
    layer = layer_from_parameters({"n_in": 12, "n_out": 6, "gain_tau": 50.0})
    assert "gain_var" in layer.state_dict()
    assert "gain_var" not in layer_from_parameters({"n_in": 12, "n_out": 6}).state_dict()


@pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba is a main dependency; this guards a broken install")
@pytest.mark.parametrize("rule", ["hebb", "oja", "sanger"])
def test_numba_and_numpy_paths_agree_with_the_gain(rule):
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 100, (40, 24)).astype(np.float32)
    fast, slow = (Layer(24, 8, rule, seed=3, gain_tau=10, compiled=flag) for flag in (True, False))
    for row in x:
        np.testing.assert_allclose(fast.step(row), slow.step(row), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(fast.weights, slow.weights, rtol=1e-4, atol=1e-5)


def test_the_gain_comes_in_over_its_time_constant():
    """Patterns stored in the first looks stay valid: the gain starts near 1 and reaches full strength later."""
    rng = np.random.default_rng(9)
    views, _ = objects_and_views(rng, 60, 5)
    layer = one_to_one(gain_tau=100)
    probe = views[0, 0]
    plain = one_to_one(gain_tau=0).forward(probe)
    deviation = []
    for obj in views:
        for x in obj:
            layer.step(x)
        layer.step(np.zeros(N_IN, np.float32), level=0.0)
        deviation.append(float(np.abs(layer.forward(probe) - plain).sum()))
    assert deviation[0] < 0.2 * deviation[-1]
    assert deviation[-1] > deviation[len(deviation) // 2] > deviation[0]
