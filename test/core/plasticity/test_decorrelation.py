"""Lateral decorrelation: whitened units, a bounded gain, weak input kept weak, exact checkpoints, and the layer."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity.decorrelation import Decorrelation, DecorrelationParams
from hebbian_ros.core.plasticity.layer import Layer, layer_from_parameters

N = 8


def correlated_drives(rng, count: int, n: int = N, weakest: float = 0.05) -> np.ndarray:
    """Drives of units sharing a large mean, mixed from factors of strength 1 down to ``weakest`` (one mixing)."""
    mixing = np.random.default_rng(100).normal(0.0, 1.0, (n, n)) * np.linspace(1.0, weakest, n)
    shared = np.linspace(1.0, 0.5, n)
    return (shared + 0.2 * rng.normal(0.0, 1.0, (count, n)) @ mixing.T / n).astype(np.float32)


def correlation(x: np.ndarray) -> np.ndarray:
    return np.corrcoef(x, rowvar=False)


def off_diagonal(matrix: np.ndarray) -> np.ndarray:
    return matrix[~np.eye(len(matrix), dtype=bool)]


def learned(params: DecorrelationParams, samples: np.ndarray) -> Decorrelation:
    decorrelation = Decorrelation(samples.shape[1], params)
    decorrelation.update(samples)
    return decorrelation


def test_units_are_whitened_once_faded_in():
    rng = np.random.default_rng(0)
    train, test = correlated_drives(rng, 40_000, weakest=0.4), correlated_drives(rng, 2000, weakest=0.4)
    decorrelation = learned(DecorrelationParams(tau=400.0, floor=0.01), train)
    assert decorrelation.fade > 0.99
    before = np.abs(off_diagonal(correlation(test))).mean()
    after = np.abs(off_diagonal(correlation(decorrelation.apply(test)))).mean()
    assert before > 0.15
    assert after < 0.05
    spread = decorrelation.apply(test).std(axis=0)
    assert spread.max() / spread.min() < 1.2  # each unit's variance equalised


def test_the_floor_bounds_the_gain_of_the_weakest_direction():
    rng = np.random.default_rng(1)
    samples = correlated_drives(rng, 3000)
    for floor in (0.05, 0.3):
        decorrelation = learned(DecorrelationParams(tau=1000.0, floor=floor), samples)
        gains = np.linalg.eigvalsh(decorrelation.transfer)
        assert gains.max() / gains.min() <= np.sqrt(1 + floor**2) / floor * (1 + 1e-4)
        assert gains.max() / gains.min() > 0.5 / floor  # the weak directions are raised, as far as the floor allows


def test_output_keeps_the_drives_size():
    rng = np.random.default_rng(2)
    samples = correlated_drives(rng, 20_000)
    decorrelation = learned(DecorrelationParams(tau=200.0), samples)
    power_in = np.mean(np.sum(samples**2, axis=1))
    power_out = np.mean(np.sum(decorrelation.apply(samples) ** 2, axis=1))
    assert power_out == pytest.approx(power_in, rel=0.05)


def test_a_weak_input_stays_weak():
    """Centring scales with the drive's size: a tenth of a drive gives a tenth of its output, not -mean."""
    rng = np.random.default_rng(3)
    samples = correlated_drives(rng, 500)
    decorrelation = learned(DecorrelationParams(tau=100.0), samples)
    z = samples[:5]
    np.testing.assert_allclose(decorrelation.apply(0.1 * z), 0.1 * decorrelation.apply(z), rtol=1e-4, atol=1e-6)
    assert np.all(decorrelation.apply(np.zeros(N, np.float32)) == 0)


def test_it_fades_in_and_is_the_identity_before_learning():
    rng = np.random.default_rng(4)
    samples = correlated_drives(rng, 200)
    decorrelation = Decorrelation(N, DecorrelationParams(tau=100.0))
    np.testing.assert_array_equal(decorrelation.apply(samples), samples)
    fades = []
    for chunk in np.split(samples, 4):
        decorrelation.update(chunk)
        fades.append(decorrelation.fade)
    assert fades == pytest.approx([50 / 150, 100 / 200, 150 / 250, 200 / 300])


def test_apply_changes_nothing():
    rng = np.random.default_rng(5)
    decorrelation = learned(DecorrelationParams(tau=50.0), correlated_drives(rng, 100))
    before = decorrelation.state_dict()
    decorrelation.apply(correlated_drives(rng, 10))
    after = decorrelation.state_dict()
    for key in Decorrelation.KEYS:
        np.testing.assert_array_equal(np.asarray(before[key]), np.asarray(after[key]))


def test_a_restored_state_continues_bit_identically():
    rng = np.random.default_rng(6)
    params = DecorrelationParams(tau=60.0, refresh=7)
    first, rest = correlated_drives(rng, 45), correlated_drives(rng, 30)
    live = learned(params, first)
    restored = Decorrelation.from_state(live.state_dict(), N, params)
    live.update(rest)
    restored.update(rest)
    np.testing.assert_array_equal(live.apply(rest), restored.apply(rest))
    np.testing.assert_array_equal(live.transfer, restored.transfer)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("decorrelation_cov", np.zeros((N, N + 1)), "expected mean"),
        ("decorrelation_mean", np.full(N, np.nan), "decorrelation_mean"),
        ("decorrelation_count", -1, "decorrelation_count"),
        ("decorrelation_refreshed_at", 10_000, "after decorrelation_count"),
    ],
)
def test_a_damaged_state_is_refused(key, value, message):
    rng = np.random.default_rng(7)
    state = learned(DecorrelationParams(), correlated_drives(rng, 50)).state_dict()
    state[key] = value
    with pytest.raises(ValueError, match=message):
        Decorrelation.from_state(state, N, DecorrelationParams())


@pytest.mark.parametrize(("field", "value"), [("tau", 0.0), ("floor", 0.0), ("floor", 1.5), ("refresh", 0)])
def test_parameters_out_of_range_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        DecorrelationParams(**{field: value})


# --- in the layer ---------------------------------------------------------------------------------------

N_IN, N_OUT = 40, 12


def stimuli(rng, count: int) -> np.ndarray:
    """Rates of a few prototypes sharing one strong common pattern, each seen with noise."""
    common = rng.uniform(40.0, 60.0, N_IN)
    prototypes = common + rng.normal(0.0, 6.0, (6, N_IN))
    picks = rng.integers(0, len(prototypes), count)
    return np.clip(prototypes[picks] + rng.normal(0.0, 2.0, (count, N_IN)), 0, 100).astype(np.float32), picks


def layer(decorrelation: DecorrelationParams | None) -> Layer:
    return Layer(N_IN, N_OUT, "sanger", {"eta": 0.002}, seed=3, activation="on_off", decorrelation=decorrelation)


def test_the_rule_learns_from_the_drive_whatever_the_decorrelation():
    rng = np.random.default_rng(8)
    x, _ = stimuli(rng, 200)
    plain, whitened = layer(None), layer(DecorrelationParams(tau=20.0))
    for sample in x:
        plain.step(sample)
        whitened.step(sample)
    np.testing.assert_allclose(whitened.weights, plain.weights, atol=1e-6)
    assert not np.allclose(whitened.forward(x), plain.forward(x), atol=1.0)


def test_learn_takes_the_drive_and_updates_the_statistics():
    rng = np.random.default_rng(9)
    x, _ = stimuli(rng, 60)
    by_step, by_learn = layer(DecorrelationParams(tau=20.0)), layer(DecorrelationParams(tau=20.0))
    for sample in x:
        by_step.step(sample)
        by_learn.learn(sample, by_learn.forward(sample))
    np.testing.assert_allclose(by_learn.weights, by_step.weights, atol=1e-6)
    np.testing.assert_allclose(by_learn.forward(x), by_step.forward(x), atol=1e-3)


def test_nothing_is_learned_with_plasticity_off():
    rng = np.random.default_rng(10)
    x, _ = stimuli(rng, 30)
    whitened = layer(DecorrelationParams(tau=20.0))
    before = whitened.state_dict()
    for sample in x:
        whitened.step(sample, level=0.0)
    after = whitened.state_dict()
    assert after["decorrelation_count"] == before["decorrelation_count"] == 0
    np.testing.assert_array_equal(whitened.forward(x[:3]), layer(None).forward(x[:3]))


def test_decorrelated_units_tell_alike_stimuli_apart():
    """Different prototypes that share one strong pattern are further apart (cosine) after decorrelation."""
    rng = np.random.default_rng(11)
    x, picks = stimuli(rng, 600)
    plain, whitened = layer(None), layer(DecorrelationParams(tau=50.0))
    for sample in x:
        plain.step(sample, level=0.01)  # nearly fixed weights: the comparison is the lateral stage's
        whitened.step(sample, level=0.01)

    def between_prototypes(out: np.ndarray) -> float:
        means = np.stack([out[picks == k].mean(axis=0) for k in range(6)])
        means /= np.linalg.norm(means, axis=1, keepdims=True)
        return float(off_diagonal(means @ means.T).mean())

    assert between_prototypes(whitened.forward(x)) < between_prototypes(plain.forward(x)) - 0.2


def test_layer_checkpoint_round_trips_and_old_checkpoints_load():
    rng = np.random.default_rng(12)
    x, _ = stimuli(rng, 40)
    live = layer(DecorrelationParams(tau=20.0))
    for sample in x:
        live.step(sample)
    restored = layer(DecorrelationParams(tau=20.0))
    restored.load_state_dict(live.state_dict())
    np.testing.assert_array_equal(restored.forward(x), live.forward(x))
    old = layer(None)
    for sample in x:
        old.step(sample)
    upgraded = layer(DecorrelationParams(tau=20.0))
    upgraded.load_state_dict(old.state_dict())  # saved without decorrelation: weights kept, statistics afresh
    np.testing.assert_array_equal(upgraded.weights, old.weights)
    np.testing.assert_array_equal(upgraded.forward(x), old.forward(x))


def test_a_layer_without_signed_units_refuses_decorrelation():
    with pytest.raises(ValueError, match="decorrelation: whitens signed units"):
        Layer(N_IN, N_OUT, "competitive", decorrelation=DecorrelationParams())
    with pytest.raises(ValueError, match="decorrelation: whitens signed units"):
        Layer(N_IN, N_OUT, "sanger", activation="relu", decorrelation=DecorrelationParams())


def test_parameters_switch_it_on():
    assert layer_from_parameters({"decorrelation_tau": 0.0}).state_dict().keys().isdisjoint(Decorrelation.KEYS)
    on = layer_from_parameters({"decorrelation_tau": 500.0, "decorrelation_floor": 0.2})
    assert set(Decorrelation.KEYS) <= set(on.state_dict())
