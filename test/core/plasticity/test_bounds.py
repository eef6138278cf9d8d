"""Weight bounds: clipping and per-row L2 / L1 normalisation, pure or in place."""

import numpy as np
import pytest

from hebbian_ros.core.plasticity.bounds import (
    Bounds,
    BoundsMode,
    apply_bounds,
    as_bounds,
    clip_weights,
    normalize_rows_l1,
    normalize_rows_l2,
)


@pytest.fixture
def weights():
    rng = np.random.default_rng(0)
    w = rng.normal(0.0, 2.0, (5, 7)).astype(np.float32)
    w[3] = 0.0  # a unit without any weight
    return w


def test_clip_limits_every_weight(weights):
    clipped = clip_weights(weights, -0.5, 1.5)
    assert clipped.min() >= -0.5 and clipped.max() <= 1.5
    inside = (weights >= -0.5) & (weights <= 1.5)
    np.testing.assert_array_equal(clipped[inside], weights[inside])


def test_l2_normalises_rows_and_keeps_zero_rows_zero(weights):
    normalised = normalize_rows_l2(weights, norm=2.0)
    norms = np.linalg.norm(normalised, axis=1)
    np.testing.assert_allclose(np.delete(norms, 3), 2.0, rtol=1e-6)
    assert not normalised[3].any()
    cosines = np.sum(normalised * weights, axis=1) / (norms * np.linalg.norm(weights, axis=1) + 1e-30)
    np.testing.assert_allclose(np.delete(cosines, 3), 1.0, rtol=1e-6)


def test_l1_normalises_absolute_row_sums(weights):
    normalised = normalize_rows_l1(weights)
    np.testing.assert_allclose(np.delete(np.abs(normalised).sum(axis=1), 3), 1.0, rtol=1e-6)
    assert not normalised[3].any()


def test_l2_does_not_overflow_for_huge_weights():
    w = np.full((2, 4), 1e30, dtype=np.float32)
    np.testing.assert_allclose(np.linalg.norm(normalize_rows_l2(w), axis=1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("mode", ["none", "clip", "l2", "l1"])
def test_apply_bounds_is_pure_and_matches_in_place(weights, mode):
    original = weights.copy()
    pure = apply_bounds(weights, mode)
    np.testing.assert_array_equal(weights, original)
    assert pure is not weights
    in_place = apply_bounds(weights, mode, out=weights)
    assert in_place is weights
    np.testing.assert_array_equal(weights, pure)


def test_apply_bounds_dispatches_to_the_named_operation(weights):
    np.testing.assert_array_equal(apply_bounds(weights, None), weights)
    np.testing.assert_array_equal(apply_bounds(weights, Bounds("clip", -1, 1)), clip_weights(weights, -1, 1))
    np.testing.assert_array_equal(apply_bounds(weights, BoundsMode.L2), normalize_rows_l2(weights))
    np.testing.assert_array_equal(apply_bounds(weights, Bounds("l1", norm=3)), normalize_rows_l1(weights, 3))


def test_bounds_option_parsing():
    assert as_bounds("l2").mode is BoundsMode.L2
    assert as_bounds(None).mode is BoundsMode.NONE
    assert Bounds(mode="clip").mode is BoundsMode.CLIP
    assert as_bounds(BoundsMode.L1) == Bounds("l1")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: as_bounds("l3"), "bounds: expected one of 'none', 'clip', 'l2', 'l1', got 'l3'"),
        (lambda: Bounds("clip", w_min=1.0, w_max=0.0), "Bounds.w_max: must be >= w_min=1"),
        (lambda: Bounds("l2", norm=0.0), "Bounds.norm: expected a value in"),
        (lambda: Bounds("clip", w_min=float("nan")), "Bounds.w_min: expected a finite number"),
        (lambda: clip_weights(np.zeros((2, 2), np.float32), 1.0, 0.0), "w_max: must be >= w_min=1"),
        (lambda: normalize_rows_l2(np.zeros((2, 2), np.int32)), "w: expected float32 or float64"),
        (lambda: normalize_rows_l1(np.array([[np.nan]], np.float32)), "w: contains NaN"),
    ],
)
def test_bad_arguments_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()
