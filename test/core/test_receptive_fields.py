import numpy as np
import pytest

from hebbian_ros.core.receptive_fields import pool_grid


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


@pytest.mark.parametrize('rows, cols, channels', [(0, 2, 1), (2, -1, 1), (2, 2, 2)])
def test_bad_grid_is_refused(rows, cols, channels):
    with pytest.raises(ValueError):
        pool_grid(np.zeros((4, 4, 1), np.float32), rows, cols, channels)
