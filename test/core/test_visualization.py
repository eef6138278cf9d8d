"""Colour maps, grid layouts, heatmaps, marker geometry and receptive-field mosaics (ROS-free)."""

import numpy as np
import pytest

from hebbian_ros.core.visualization import (
    BACKGROUND,
    LABEL_INHIBITED,
    LABEL_LEARNING,
    LABEL_NORMAL,
    MarkerStyle,
    diverging_colours,
    grid_shape,
    label_colour,
    mosaic_grid,
    panel_layout,
    population_geometry,
    population_label,
    rate_colours,
    rate_heatmap,
    receptive_field_mosaic,
    status_text,
    weight_norms,
)


def test_hot_colour_map_at_known_rates():
    colours = rate_colours([0.0, 100 / 3, 200 / 3, 100.0, 250.0, 50.0], max_rate=100.0)
    assert colours.shape == (6, 4) and colours.dtype == np.float32
    np.testing.assert_allclose(colours[0], [0, 0, 0, 1], atol=1e-6)  # silent: black
    np.testing.assert_allclose(colours[1], [1, 0, 0, 1], atol=1e-5)  # 1/3: red
    np.testing.assert_allclose(colours[2], [1, 1, 0, 1], atol=1e-5)  # 2/3: yellow
    np.testing.assert_allclose(colours[3], [1, 1, 1, 1], atol=1e-6)  # max: white
    np.testing.assert_allclose(colours[4], colours[3])  # above max: clipped
    np.testing.assert_allclose(colours[5], [1, 0.5, 0, 1], atol=1e-5)  # half: orange
    # Monotonic brightness.
    ramp = rate_colours(np.linspace(0, 10, 50), 10.0)[:, :3].sum(axis=1)
    assert np.all(np.diff(ramp) >= 0)


@pytest.mark.parametrize("max_rate", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_max_rate_is_refused(max_rate):
    with pytest.raises(ValueError, match="max_rate"):
        rate_colours([1.0], max_rate)


def test_nan_rates_are_refused():
    with pytest.raises(ValueError, match="rates"):
        rate_heatmap([1.0, float("nan")], (2,), 10.0)


def test_diverging_map():
    c = diverging_colours([0.0, 1.0, -1.0, 0.5])
    np.testing.assert_allclose(c, [[1, 1, 1], [1, 0, 0], [0, 0, 1], [1, 0.5, 0.5]], atol=1e-6)


@pytest.mark.parametrize(
    "n, expected", [(64, (8, 8)), (128, (8, 16)), (384, (16, 24)), (1, (1, 1)), (6, (2, 3)), (7, (3, 3)), (13, (4, 4))]
)
def test_grid_shape(n, expected):
    rows, cols = grid_shape(n)
    assert (rows, cols) == expected and rows * cols >= n


def test_panel_layout_of_sensor_channels():
    layout = panel_layout((8, 8, 6))
    assert (layout.rows, layout.cols) == (2 * 9 - 1, 3 * 9 - 1)  # 2 x 3 panels, 1 cell apart
    # Unit (r=2, c=3, ch=4) is row-major index (2*8 + 3)*6 + 4, drawn in panel 4 = panel row 1, col 1.
    i = (2 * 8 + 3) * 6 + 4
    assert (layout.row_index[i], layout.col_index[i]) == (9 + 2, 9 + 3)
    assert (panel_layout((4, 5, 3)).rows, panel_layout((4, 5, 3)).cols) == (4, 3 * 6 - 1)  # side by side
    cells = set(zip(layout.row_index.tolist(), layout.col_index.tolist()))
    assert len(cells) == 384  # one cell per unit


def test_heatmap_size_and_colours():
    rates = np.zeros(12, np.float32)
    rates[0], rates[5] = 100.0, 50.0  # shape (3, 4): unit 5 is row 1, col 1
    image = rate_heatmap(rates, (3, 4), 100.0, scale=5)
    assert image.shape == (15, 20, 3) and image.dtype == np.uint8
    assert image[0:5, 0:5].tolist() == [[[255, 255, 255]] * 5] * 5
    np.testing.assert_array_equal(image[7, 7], [255, 128, 0])
    np.testing.assert_array_equal(image[14, 19], [0, 0, 0])
    flat = rate_heatmap(np.full(7, 10.0), (7,), 10.0, scale=2)  # 3x3 grid, 2 padding cells
    assert flat.shape == (6, 6, 3)
    np.testing.assert_array_equal(flat[5, 5], BACKGROUND)
    with pytest.raises(ValueError, match="shape"):
        rate_heatmap(np.ones(5), (2, 3), 10.0)


def test_population_geometry():
    style = MarkerStyle(spacing=0.1, unit_size=0.08, max_height=0.5, min_height=0.01)
    rates = np.array([0.0, 50.0, 100.0, 25.0, 0.0, 0.0], np.float32)
    g = population_geometry(rates, (2, 3), 100.0, style, origin=(1.0, -2.0, 0.0))
    assert g.positions.shape == (6, 3) and g.scales.shape == (6, 3) and g.colours.shape == (6, 4)
    # Unit 4 = row 1, col 1: x grows with the column, y falls with the row.
    np.testing.assert_allclose(g.positions[4, :2], [1.1, -2.1], atol=1e-6)
    np.testing.assert_allclose(g.scales[:, 2], [0.01, 0.255, 0.5, 0.1325, 0.01, 0.01], atol=1e-6)
    np.testing.assert_allclose(g.positions[:, 2], g.scales[:, 2] / 2)  # standing on z = 0
    np.testing.assert_allclose(g.scales[:, :2], 0.08)
    np.testing.assert_allclose(g.colours[2], [1, 1, 1, 1])
    assert g.mean_rate == pytest.approx(175 / 6)
    assert g.label_position[2] > 0 and g.label_position[1] > g.positions[:, 1].max()
    assert population_label("layer1", 12.345) == "layer1: 12.3 Hz"


def test_marker_style_validation():
    with pytest.raises(ValueError, match="spacing"):
        MarkerStyle(spacing=0.0)
    with pytest.raises(ValueError, match="min_height"):
        MarkerStyle(min_height=1.0, max_height=0.5)


def test_label_colours_and_status():
    assert label_colour(False, False) == LABEL_NORMAL
    assert label_colour(True, False) == LABEL_LEARNING
    assert label_colour(False, True) == LABEL_INHIBITED
    assert label_colour(True, True) == LABEL_LEARNING
    text = status_text((True, 0.5, 3, 2, 4), (0.35, 0, "sensor", 2), (2, 0.97, True, 3))
    lines = text.splitlines()
    assert "ON" in lines[0] and "0.50" in lines[0] and "replay" in lines[0] and "replays left 4" in lines[0]
    assert "0.35" in lines[1] and "sensor" in lines[1] and "familiar" in lines[1]
    assert "memory 2" in lines[2] and "0.97" in lines[2]
    assert "none" in status_text(None, None, None).splitlines()[1]


@pytest.mark.parametrize(
    "n, aspect, expected",
    [(128, 17 / 26, (16, 8)), (64, 1.0, (8, 8)), (7, 1.0, (3, 3)), (4, 1 / 3, (4, 1)), (1, 5.0, (1, 1))],
)
def test_mosaic_grid_is_about_square(n, aspect, expected):
    assert mosaic_grid(n, aspect) == expected


def test_receptive_field_mosaic_layout_and_signs():
    weights = np.zeros((4, 12), np.float32)  # 4 units over a (2, 3, 2) input
    weights[0, 0] = 2.0  # unit 0: input (0, 0, ch 0) strongly positive
    weights[0, 1] = -1.0  # unit 0: input (0, 0, ch 1) half negative
    weights[3] = -3.0  # unit 3: all negative
    image = receptive_field_mosaic(weights, (2, 3, 2), scale=2, gap=1)
    # Tile: 2 rows x (2*4 - 1) = 7 cols, x2 -> 4 x 14 px, +1 gap; 4 wide tiles stack in one column.
    assert image.shape == (4 * 5 - 1, 14, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image[0, 0], [255, 0, 0])  # +max: red
    np.testing.assert_array_equal(image[0, 8], [128, 128, 255])  # -half: light blue (panel 1 at col 4*2)
    np.testing.assert_array_equal(image[0, 2], [255, 255, 255])  # zero weight: white
    np.testing.assert_array_equal(image[0, 6], BACKGROUND)  # gap between channel panels
    np.testing.assert_array_equal(image[4, 0], BACKGROUND)  # gap between tiles
    np.testing.assert_array_equal(image[15, 0], [0, 0, 255])  # unit 3: blue
    zero = receptive_field_mosaic(np.zeros((4, 9)), None, scale=1, gap=0)  # flat input on 3x3
    assert zero.shape == (6, 6, 3) and np.all(zero == 255)
    with pytest.raises(ValueError, match="input_shape"):
        receptive_field_mosaic(weights, (5, 5))
    with pytest.raises(ValueError, match="weights"):
        receptive_field_mosaic(np.ones(5))


def test_weight_norms():
    np.testing.assert_allclose(weight_norms([[3.0, 4.0], [0.0, 0.0]]), [5.0, 0.0])
