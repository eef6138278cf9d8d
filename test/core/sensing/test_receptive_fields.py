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
