"""Competitive learning: exact k-WTA, soft-WTA, the instar rule, and cluster specialisation."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity.bounds import normalize_rows_l2
from hebbian_ros.core.plasticity.competitive import (
    CompetitiveParams,
    compete,
    competitive_step,
    k_winners_take_all,
    soft_winner_take_all,
)


def clustered_data(rng, n_samples, n_clusters=4, n_in=16, noise=0.1):
    """Unit-length samples around ``n_clusters`` well-separated non-negative centres."""
    centres = np.zeros((n_clusters, n_in))
    width = n_in // n_clusters
    for cluster in range(n_clusters):
        centres[cluster, cluster * width : (cluster + 1) * width] = 1.0
    labels = rng.integers(0, n_clusters, n_samples)
    samples = np.clip(centres[labels] + rng.normal(0, noise, (n_samples, n_in)), 0, None)
    return normalize_rows_l2(samples.astype(np.float32)), labels


@pytest.mark.parametrize("k", [1, 2, 5])
def test_k_wta_selects_exactly_k_largest(k):
    rng = np.random.default_rng(k)
    scores = rng.normal(size=(50, 8))
    mask = k_winners_take_all(scores, k)
    np.testing.assert_array_equal(mask.sum(axis=1), k)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    kth_largest = np.sort(scores, axis=1)[:, -k]
    np.testing.assert_array_equal(mask, (scores >= kth_largest[:, None]).astype(float))


def test_k_wta_breaks_ties_to_exactly_k_winners():
    np.testing.assert_array_equal(k_winners_take_all(np.zeros(6), 2).sum(), 2)
    np.testing.assert_array_equal(k_winners_take_all(np.ones((3, 4)), 1).sum(axis=1), 1)


def test_soft_wta_is_a_softmax_that_sharpens_with_low_temperature():
    scores = np.array([0.1, 0.5, 0.4])
    shares = soft_winner_take_all(scores, temperature=1.0)
    np.testing.assert_allclose(shares, np.exp(scores) / np.exp(scores).sum(), rtol=1e-6)
    np.testing.assert_allclose(soft_winner_take_all(scores, 1e-3), [0, 1, 0], atol=1e-6)
    assert soft_winner_take_all(np.array([1000.0, 0.0]), 1.0).sum() == pytest.approx(1.0)


def test_compete_dispatches_on_params():
    scores = np.array([[0.2, 0.9, 0.5], [0.7, 0.1, 0.3]])
    np.testing.assert_array_equal(compete(scores, CompetitiveParams(k=1)), [[0, 1, 0], [1, 0, 0]])
    soft = compete(scores, CompetitiveParams(soft=True, temperature=0.5))
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="k: expected at most 3 winners"):
        compete(scores, CompetitiveParams(k=4))


def test_instar_moves_winners_towards_the_input_and_leaves_losers():
    w = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    x = np.array([0.6, 0.8], np.float32)
    new_w = competitive_step(x, np.array([1.0, 0.0]), w, CompetitiveParams(eta=0.25))
    np.testing.assert_allclose(new_w[0], w[0] + 0.25 * (x - w[0]))
    np.testing.assert_array_equal(new_w[1], w[1])
    np.testing.assert_array_equal(w, [[1, 0], [0, 1]])  # pure


def test_batch_update_is_the_mean_of_per_sample_updates():
    rng = np.random.default_rng(5)
    w = rng.uniform(size=(4, 6))
    xs = rng.uniform(size=(7, 6))
    gains = compete(xs @ w.T, CompetitiveParams(soft=True))
    params = CompetitiveParams(eta=0.3)
    batch_delta = competitive_step(xs, gains, w, params) - w
    mean_delta = np.mean([competitive_step(x, g, w, params) - w for x, g in zip(xs, gains)], axis=0)
    np.testing.assert_allclose(batch_delta, mean_delta, rtol=1e-10)


def train_on_clusters(seed, params):
    rng = np.random.default_rng(seed)
    train, _ = clustered_data(rng, 3000)
    test, labels = clustered_data(rng, 1000)
    w = normalize_rows_l2(rng.uniform(size=(4, 16)).astype(np.float32))
    for x in train:
        competitive_step(x, compete(w @ x, params, validate=False), w, params, out=w, validate=False)
        normalize_rows_l2(w, out=w, validate=False)
    return np.argmax(test @ w.T, axis=1), labels


@pytest.mark.parametrize(
    "params",
    [CompetitiveParams(eta=0.05, leak=0.05), CompetitiveParams(eta=0.05, soft=True, temperature=0.05)],
    ids=["hard-wta-leaky", "soft-wta"],
)
@pytest.mark.parametrize("seed", range(4))
def test_units_specialise_on_distinct_clusters(params, seed):
    winners, labels = train_on_clusters(seed, params)
    unit_of_cluster = [np.bincount(winners[labels == c], minlength=4).argmax() for c in range(4)]
    assert sorted(unit_of_cluster) == [0, 1, 2, 3]  # every cluster has its own unit
    purity = np.mean(winners == np.array(unit_of_cluster)[labels])
    assert purity > 0.95


def test_leak_lets_losers_follow_slowly():
    w = np.array([[1.0, 0.0], [0.0, 1.0]])
    x = np.array([0.6, 0.8])
    new_w = competitive_step(x, np.array([1.0, 0.0]), w, CompetitiveParams(eta=0.5, leak=0.1))
    np.testing.assert_allclose(new_w[0], w[0] + 0.5 * (x - w[0]))
    np.testing.assert_allclose(new_w[1], w[1] + 0.05 * (x - w[1]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"eta": 2.0}, "CompetitiveParams.eta"),
        ({"k": 0}, "CompetitiveParams.k: expected an integer >= 1"),
        ({"k": 1.5}, "CompetitiveParams.k: expected an integer"),
        ({"soft": "yes"}, "CompetitiveParams.soft: expected a bool"),
        ({"temperature": 0.0}, "CompetitiveParams.temperature"),
        ({"leak": 1.5}, "CompetitiveParams.leak"),
    ],
)
def test_bad_params_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CompetitiveParams(**kwargs)


def test_post_activity_must_lie_in_zero_one():
    w = np.zeros((2, 2), np.float32)
    with pytest.raises(ValueError, match="post: negative value -1"):
        competitive_step(np.ones(2), np.array([-1.0, 0.0]), w, CompetitiveParams())
    with pytest.raises(ValueError, match="post: value 2 at index 0 exceeds 1"):
        competitive_step(np.ones(2), np.array([2.0, 0.0]), w, CompetitiveParams())
    with pytest.raises(ValueError, match="scores: contains NaN"):
        k_winners_take_all(np.array([np.nan, 0.0]))
