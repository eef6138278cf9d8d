"""Shift-invariant competitive learning: views, invariant responses, the update, training."""

import numpy as np
import pytest

from hebbian_ros.experiments.shift_invariant import (
    ShiftInvariantParams,
    ShiftInvariantState,
    fit_shift_invariant,
    init_shift_invariant,
    invariant_responses,
    shift_invariant_step,
    shift_views,
)

PARAMS = ShiftInvariantParams(image_shape=(4, 4), max_shift=1, n_epochs=5)


def bars(rng, n, noise=0.05):
    """4×4 images of one of four bars (two rows, two columns), at random ±1 pixel offsets."""
    images = np.zeros((n, 4, 4), dtype=np.float32)
    kinds = rng.integers(0, 2, n)
    for index, kind in enumerate(kinds):
        position = 1 + rng.integers(-1, 2)
        if kind == 0:
            images[index, position, :] = 1
        else:
            images[index, :, position] = 1
    images += rng.normal(0, noise, images.shape).astype(np.float32)
    return np.clip(images, 0, 1).reshape(n, 16), kinds


def test_views_place_the_image_at_every_shift():
    image = np.arange(16, dtype=np.float32).reshape(1, 16)
    views = shift_views(image, PARAMS)
    assert views.shape == (1, 9, 36)
    canvas = views[0].reshape(9, 6, 6)
    np.testing.assert_array_equal(canvas[4, 1:5, 1:5], image.reshape(4, 4))  # centre view
    np.testing.assert_array_equal(canvas[0, 0:4, 0:4], image.reshape(4, 4))  # shifted up-left
    # shifts never cut pixels off: every view has the same norm
    np.testing.assert_allclose(np.linalg.norm(views[0], axis=1), np.linalg.norm(image))


def test_response_is_the_best_match_over_shifts():
    image = np.zeros(16, dtype=np.float32)
    image[5] = 1  # pixel (1, 1)
    template = shift_views(image, PARAMS)[8][None].copy()  # the image shifted by (+1, +1)
    response, shift = invariant_responses(shift_views(image, PARAMS), template, PARAMS)
    assert shift[0] == 8
    # w·v − ½‖w‖² with v = w gives ½‖w‖² = 0.5
    assert response[0] == pytest.approx(0.5)


def test_winner_moves_towards_the_image_at_its_best_shift():
    rng = np.random.default_rng(0)
    images, _ = bars(rng, 4)
    w, state = init_shift_invariant(images, 2, PARAMS, rng)
    views = shift_views(bars(rng, 1)[0][0], PARAMS)  # a new image, not one of the imprinted
    responses, shifts = invariant_responses(views, w, PARAMS)
    winner = int(responses.argmax())
    target = views[shifts[winner]]
    new_w, new_state = shift_invariant_step(views, w, state, PARAMS, neighbourhood=0.01)
    before, after = np.linalg.norm(w[winner] - target), np.linalg.norm(new_w[winner] - target)
    assert after < before
    np.testing.assert_array_equal(new_w[1 - winner], w[1 - winner])  # λ → 0: only the winner
    assert new_state.counts[winner] == pytest.approx(state.counts[winner] + 1)
    # pure: inputs untouched; out=w updates in place
    assert new_w is not w and not np.array_equal(new_w, w)
    same, _ = shift_invariant_step(views, w, state, PARAMS, 0.01, out=w)
    assert same is w


def test_count_normalised_rate_makes_the_template_a_running_mean():
    params = ShiftInvariantParams(image_shape=(4, 4), max_shift=0)
    images = np.random.default_rng(1).uniform(0, 1, (5, 16)).astype(np.float32)
    w = images[:1].copy()
    state = ShiftInvariantState(np.ones(1))
    for image in images[1:]:
        w, state = shift_invariant_step(shift_views(image, params), w, state, params, 0.01)
    np.testing.assert_allclose(w[0], images.mean(axis=0), rtol=1e-5)


def test_batch_of_one_equals_the_online_rule():
    rng = np.random.default_rng(2)
    images, _ = bars(rng, 1)
    w, state = init_shift_invariant(bars(rng, 6)[0], 6, PARAMS, rng)
    views = shift_views(images, PARAMS)
    single, _ = shift_invariant_step(views[0], w, state, PARAMS, 1.5)
    batch, _ = shift_invariant_step(views, w, state, PARAMS, 1.5)
    np.testing.assert_allclose(single, batch, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("batch_size", [1, 8])
def test_training_separates_rows_from_columns_without_labels(batch_size):
    rng = np.random.default_rng(3)
    images, kinds = bars(rng, 200)
    params = ShiftInvariantParams(image_shape=(4, 4), max_shift=1, n_epochs=5, batch_size=batch_size)
    w, state = fit_shift_invariant(images, 2, params, seed=0)
    responses, _ = invariant_responses(shift_views(images, params), w, params)
    winners = responses.argmax(axis=1)
    agreement = max((winners == kinds).mean(), (winners != kinds).mean())
    assert agreement > 0.95  # one unit per orientation, whatever the position of the bar
    assert w.dtype == np.float32 and state.counts.shape == (2,)


def test_fit_is_reproducible_for_a_seed():
    images, _ = bars(np.random.default_rng(4), 40)
    a, _ = fit_shift_invariant(images, 3, PARAMS, seed=7)
    b, _ = fit_shift_invariant(images, 3, PARAMS, seed=7)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image_shape": (4,)}, "ShiftInvariantParams.image_shape"),
        ({"max_shift": -1}, "ShiftInvariantParams.max_shift"),
        ({"neighbourhood_start": 0.0}, "ShiftInvariantParams.neighbourhood_start"),
        ({"neighbourhood_end": 5.0}, "ShiftInvariantParams.neighbourhood_end"),
        ({"count_decay": 1.5}, "ShiftInvariantParams.count_decay"),
        ({"n_epochs": 0}, "ShiftInvariantParams.n_epochs"),
        ({"batch_size": 0}, "ShiftInvariantParams.batch_size"),
    ],
)
def test_params_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ShiftInvariantParams(**kwargs)


def test_bad_arguments_name_themselves():
    images, _ = bars(np.random.default_rng(5), 4)
    views = shift_views(images, PARAMS)
    w = np.zeros((2, 36), dtype=np.float32)
    state = ShiftInvariantState(np.ones(2))
    with pytest.raises(ValueError, match="images"):
        shift_views(np.zeros((2, 15)), PARAMS)
    with pytest.raises(ValueError, match="views"):
        invariant_responses(views[:, :4], w, PARAMS)
    with pytest.raises(ValueError, match="w: expected 36"):
        invariant_responses(views, np.zeros((2, 16), np.float32), PARAMS)
    with pytest.raises(ValueError, match="neighbourhood"):
        shift_invariant_step(views, w, state, PARAMS, 0.0)
    with pytest.raises(ValueError, match="state.counts"):
        shift_invariant_step(views, w, ShiftInvariantState(np.ones(3)), PARAMS, 1.0)
    with pytest.raises(ValueError, match="n_units"):
        fit_shift_invariant(images, 5, PARAMS)
