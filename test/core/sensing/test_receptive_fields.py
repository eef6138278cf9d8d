import numpy as np
import pytest

from hebbian_ros.core.sensing.receptive_fields import colour_opponent, on_off_contrast, pool_grid


def test_fields_average_their_quadrant():
    image = np.zeros((4, 4, 1), np.float32)
    image[:2, 2:] = 1.0
    pooled = pool_grid(image, 2, 2, 1)
    np.testing.assert_allclose(pooled[:, :, 0], [[0, 1], [0, 0]])


def test_uneven_tiling_keeps_means():
    image = np.random.default_rng(0).random((7, 5, 3)).astype(np.float32)
    pooled = pool_grid(image, 3, 2, 3)
    assert pooled.shape == (3, 2, 3)
    np.testing.assert_allclose(pooled.mean(axis=(0, 1)), image.mean(axis=(0, 1)), atol=0.05)


def test_mono_drives_every_colour_channel_and_colour_gives_luminance():
    mono = np.full((4, 4, 1), 0.5, np.float32)
    assert np.allclose(pool_grid(mono, 2, 2, 3), 0.5)
    red = np.zeros((4, 4, 3), np.float32)
    red[..., 0] = 1.0
    assert np.allclose(pool_grid(red, 2, 2, 1), 0.299)


@pytest.mark.parametrize("rows, cols, channels", [(0, 2, 1), (2, -1, 1), (2, 2, 2)])
def test_bad_grid_is_refused(rows, cols, channels):
    with pytest.raises(ValueError):
        pool_grid(np.zeros((4, 4, 1), np.float32), rows, cols, channels)


def field_means(image, rows, cols):
    """Reference: field (i, j) averages rows [H·i//rows, H·(i+1)//rows) (at least one) and likewise columns."""
    height, width = image.shape[:2]
    edges = [(height * i // rows, max(height * (i + 1) // rows, height * i // rows + 1)) for i in range(rows)]
    col_edges = [(width * j // cols, max(width * (j + 1) // cols, width * j // cols + 1)) for j in range(cols)]
    return np.array([[image[r0:r1, c0:c1].mean(axis=(0, 1)) for c0, c1 in col_edges] for r0, r1 in edges])


@pytest.mark.parametrize(
    "shape, grid", [((64, 64, 3), (8, 16)), ((60, 50, 3), (8, 16)), ((5, 7, 3), (8, 8)), ((48, 64, 1), (6, 8))]
)
def test_fields_are_block_means_and_unchecked_calls_give_the_same(shape, grid):
    """Equal blocks (two contiguous reductions) and uneven tiling both give each field's mean; validate=False changes
    nothing for valid input."""
    image = np.random.default_rng(1).uniform(0, 1, shape).astype(np.float32)
    pooled = pool_grid(image, *grid, shape[2])
    np.testing.assert_allclose(pooled, field_means(image, *grid), rtol=1e-5)
    np.testing.assert_array_equal(pool_grid(image, *grid, shape[2], validate=False), pooled)
    fields = pool_grid(image, *grid, 3)
    opponent = colour_opponent(fields, 0.4)
    np.testing.assert_array_equal(colour_opponent(fields, 0.4, validate=False), opponent)
    np.testing.assert_array_equal(on_off_contrast(opponent, 2.5, validate=False), on_off_contrast(opponent, 2.5))


def test_contrast_levels_split_the_range_between_cells():
    fields = np.full((1, 4, 1), 0.5, np.float32)
    fields[0, 1, 0], fields[0, 2, 0] = 0.625, 0.875  # contrasts +0.125 and +0.375 against the mean 0.5
    fields[0, 3, 0] = 0.0  # balances the mean: -0.5
    one = on_off_contrast(fields, 2.0)
    two = on_off_contrast(fields, 2.0, levels=2)
    assert two.shape == (1, 4, 4)  # ON level 0, ON level 1, OFF level 0, OFF level 1
    np.testing.assert_allclose(two[0, 1], [0.25, 0.0, 0.0, 0.0], atol=1e-6)  # weak: the first cell only
    np.testing.assert_allclose(two[0, 2], [0.75, 0.0, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(two[0, 3], [0.0, 0.0, 1.0, 0.0], atol=1e-6)  # -0.5 x 2 = -1: fills the first OFF cell
    np.testing.assert_allclose(two[..., [0, 2]], one, atol=1e-6)  # the first level is the single-level code
    stronger = on_off_contrast(fields, 4.0, levels=2)  # 0.375 x 4 = 1.5: the second cell takes what the first cannot
    np.testing.assert_allclose(stronger[0, 2, :2], [1.0, 0.5], atol=1e-6)
    with pytest.raises(ValueError, match="levels"):
        on_off_contrast(fields, 2.0, levels=0)


def test_tuned_contrast_levels_move_a_stronger_contrast_to_further_cells():
    contrast = np.array([0.0625, 0.125, 0.1875, 0.25, 0.375, 0.5], np.float32)  # x gain 8: 0.5 ... 4 cell widths
    fields = np.concatenate([contrast, -contrast]).reshape(1, -1, 1) + np.float32(0.5)
    recruited = on_off_contrast(fields, 8.0, levels=4)[0, :6, :4]  # ON cells of the positive contrasts
    tuned = on_off_contrast(fields, 8.0, levels=4, tuned=True)[0, :6, :4]
    np.testing.assert_allclose(tuned[0], recruited[0], atol=1e-6)  # within the first level: the same code
    np.testing.assert_allclose(tuned[3], [0.0, 1.0, 0.0, 0.0], atol=1e-6)  # 2 cell widths: the second cell only
    np.testing.assert_allclose(tuned[4], [0.0, 0.0, 1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(tuned[5], [0.0, 0.0, 0.0, 1.0], atol=1e-6)  # the last level saturates
    np.testing.assert_allclose(tuned.sum(axis=1), np.minimum(8 * contrast, 1.0), atol=1e-6)  # one cell-width of drive
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    # two sizes of one sign share less than with recruitment, which a cosine then tells apart
    assert unit(tuned[3]) @ unit(tuned[5]) < unit(recruited[3]) @ unit(recruited[5]) - 0.5
    np.testing.assert_array_equal(on_off_contrast(fields, 8.0, levels=1, tuned=True), on_off_contrast(fields, 8.0))


def test_weber_contrast_is_the_same_under_any_lighting():
    rng = np.random.default_rng(0)
    fields = rng.uniform(0.1, 0.9, (4, 4, 3)).astype(np.float32)
    lit = on_off_contrast(fields, 2.0, reference=float(fields.mean()), levels=2)
    dim = on_off_contrast(fields * 0.4, 2.0, reference=float(fields.mean()) * 0.4, levels=2)
    np.testing.assert_allclose(dim, lit, atol=1e-5)
    plain_dim = on_off_contrast(fields * 0.4, 2.0, levels=2)  # the plain difference scales with the light
    assert not np.allclose(plain_dim, lit, atol=1e-3)
    with pytest.raises(ValueError, match="reference"):
        on_off_contrast(fields, 2.0, reference=0.0)
