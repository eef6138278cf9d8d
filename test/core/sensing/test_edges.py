"""Oriented edge cells: the numba kernel equals the numpy reference, and the cells see shape."""

import numpy as np
import pytest

from hebbian_ros.core.sensing.edges import ORIENTATIONS, edge_units, oriented_edges
from hebbian_ros.core.sensing.receptive_fields import pool_grid

PATHS = [pytest.param(True, id="numba"), pytest.param(False, id="numpy")]


def _shape(kind: str, size: int = 64, offset: int = 0) -> np.ndarray:
    """A red square or disc of the same area on grey."""
    image = np.full((size, size, 3), 0.5, np.float32)
    yy, xx = np.mgrid[:size, :size]
    cy, cx = size / 2, size / 2 + offset
    if kind == "square":
        mask = (abs(yy - cy) < 14) & (abs(xx - cx) < 14)
    else:
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < (28**2) / np.pi
    image[mask] = (0.9, 0.1, 0.1)
    return image


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel(), b.ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize(
    "shape", [(64, 64, 3), (480, 640, 3), (37, 41), (64, 64, 1), (120, 160, 3), (50, 70, 3)], ids=str
)
@pytest.mark.parametrize("channels", [1, 3])
def test_the_compiled_kernel_equals_the_numpy_reference(shape, channels):
    image = np.random.default_rng(0).random(shape).astype(np.float32)
    compiled = oriented_edges(image, 8, 8, channels, compiled=True)
    reference = oriented_edges(image, 8, 8, channels, compiled=False)
    assert compiled.shape == reference.shape == (8, 8, edge_units(channels))
    if min(shape[:2]) >= 64:  # both pool whole pixels; smaller images repeat pixels (nearest) in each
        np.testing.assert_allclose(compiled, reference, atol=1e-5)
    assert np.all((compiled >= 0) & (compiled <= 1))


@pytest.mark.parametrize("compiled", PATHS)
def test_a_uniform_image_drives_no_edge_cell(compiled):
    assert not oriented_edges(np.full((64, 64, 3), 0.3, np.float32), 8, 8, 3, compiled=compiled).any()


@pytest.mark.parametrize("compiled", PATHS)
def test_edge_cells_respond_to_the_direction_of_an_edge(compiled):
    image = np.zeros((64, 64), np.float32)
    image[:, 32:] = 1.0  # dark to bright along +x: a vertical edge
    cells = oriented_edges(image, 8, 8, 1, compiled=compiled)
    column = cells[:, 3:5].sum(axis=(0, 1))
    assert column.argmax() == 0 and column[ORIENTATIONS // 2] == 0  # 0 deg (+x) fires, 180 deg does not
    assert cells[:, :2].sum() == 0 and cells[:, 6:].sum() == 0  # fields far from the edge stay silent


@pytest.mark.parametrize("compiled", PATHS)
def test_edge_cells_tell_shapes_apart_that_colour_fields_confuse(compiled):
    square, disc = (oriented_edges(_shape(k), 8, 8, 3, compiled=compiled) for k in ("square", "disc"))
    shifted = oriented_edges(_shape("square", offset=2), 8, 8, 3, compiled=compiled)
    fields = [pool_grid(_shape(k), 8, 8, 3) for k in ("square", "disc")]
    assert _cos(*fields) > 0.99  # a red square and a red disc of one area: the same colour blobs
    assert _cos(square, disc) < _cos(*fields) - 0.05
    assert _cos(square, shifted) > _cos(square, disc)  # a 2 px shift keeps the shape closer than a new one


def test_bad_arguments_are_refused_with_their_name():
    with pytest.raises(ValueError, match="resolution"):
        oriented_edges(np.zeros((8, 8, 3), np.float32), 2, 2, 3, resolution=1)
    with pytest.raises(ValueError, match="image"):
        oriented_edges(np.full((8, 8, 3), np.nan, np.float32), 2, 2, 3)
    with pytest.raises(ValueError, match="semi_saturation"):
        oriented_edges(np.zeros((8, 8, 3), np.float32), 2, 2, 3, semi_saturation=0)


def test_selective_inhibition_slows_the_driven_units_together():
    from hebbian_ros.core.sensing.retina import DRIVEN_SHARE, selective_gain

    rates = np.array([0.0, 1.0, 10.0, 60.0, 100.0], np.float32)
    gain = selective_gain(rates)
    assert gain[0] == 0 and gain[1] == pytest.approx(1.0 / (DRIVEN_SHARE * 100))
    assert np.all(gain[rates >= DRIVEN_SHARE * 100] == 1.0)
    assert not selective_gain(np.zeros(4, np.float32)).any()
