"""Gaze views: the stimulus from moved gazes, and how the retina senses them."""

import numpy as np
import pytest

from hebbian_ros.core.sensing.gaze import GazeParams, gaze_transform, gaze_transforms, gaze_view, gaze_views
from hebbian_ros.core.sensing.retina import Retina, RetinaParams
from hebbian_ros.experiments.stimuli import scene

DT = 1 / 30


def image(name: str, offset=(0, 0)) -> np.ndarray:
    return scene(name, offset=offset).astype(np.float32) / np.float32(255.0)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a.ravel() @ b.ravel() / (np.linalg.norm(a) * np.linalg.norm(b)))


def centroid(mask: np.ndarray) -> np.ndarray:
    return np.argwhere(mask).mean(axis=0)


@pytest.mark.parametrize(
    ("params", "views"),
    [
        (GazeParams(), 15),
        (GazeParams(0.05, 0.0, 0.0, turn=0.0), 9),
        (GazeParams(0.0, 0.1, 0.0, turn=0.0), 3),
        (GazeParams(0.0, 0.0, 5.0, turn=0.0), 3),
        (GazeParams(0.0, 0.0, 5.0, 3, turn=0.0), 7),
        (GazeParams(0.0, 0.0, 0.0, turn=20.0), 3),
        (GazeParams(0.0, 0.0, 0.0, turn=0.0), 0),
        (GazeParams(0.0, 0.0, 0.0, 3, turn=0.0), 0),
    ],
)
def test_views_are_the_fixation_then_8_shifts_2_zooms_2_rolls_and_2_turns_each_switched_off_by_0(params, views):
    assert params.views == views == len(gaze_transforms(params))
    assert len(gaze_views(image("red_box"), params)) == views
    if views:  # the look-around starts at the fixation: the stimulus itself
        np.testing.assert_array_equal(gaze_transforms(params)[0], gaze_transform())
        np.testing.assert_allclose(gaze_views(image("red_box"), params)[0], image("red_box"), atol=1e-6)


def test_roll_steps_roll_by_each_multiple_of_the_roll_both_ways():
    rolled = gaze_transforms(GazeParams(0.0, 0.0, 8.0, 3, turn=0.0))[1:]
    rolls = np.arctan2(rolled[:, 1, 0], rolled[:, 0, 0])
    np.testing.assert_allclose(np.degrees(rolls), [8.0, -8.0, 16.0, -16.0, 24.0, -24.0])


def test_the_unmoved_gaze_sees_the_image_itself():
    x = image("green_disc")
    np.testing.assert_allclose(gaze_view(x, gaze_transform()), x, atol=1e-6)


def test_a_shifted_gaze_sees_the_object_move_the_other_way():
    x = image("red_box")
    moved = gaze_view(x, gaze_transform(dx=0.1))  # gaze 6.4 px to the right
    shift = centroid(moved[..., 1] < 0.3) - centroid(x[..., 1] < 0.3)  # red: little green
    np.testing.assert_allclose(shift, [0.0, -6.4], atol=0.5)


def test_a_closer_gaze_sees_the_object_larger_and_a_rolled_one_turns_a_bar():
    x = image("blue_bar")
    closer = gaze_view(x, gaze_transform(zoom=1.2))
    farther = gaze_view(x, gaze_transform(zoom=1 / 1.2))
    area = [int((v[..., 2] > 0.7).sum()) for v in (farther, x, closer)]
    assert area[0] < area[1] < area[2]
    rolled = gaze_view(x, gaze_transform(roll=np.radians(90.0)))
    ys, xs = np.nonzero(x[..., 2] > 0.7)
    ry, rx = np.nonzero(rolled[..., 2] > 0.7)
    assert np.ptp(ys) > 2 * np.ptp(xs) and np.ptp(rx) > 2 * np.ptp(ry)  # the upright bar lies down


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("shift", -0.1),
        ("shift", 0.6),
        ("zoom", -0.1),
        ("roll", 91.0),
        ("roll_steps", 0),
        ("roll_steps", 9),
        ("turn", -1.0),
        ("turn", 91.0),
        ("elevation", 0.0),
    ],
)
def test_out_of_range_gaze_parameters_are_refused(field, value):
    with pytest.raises(ValueError, match=f"gaze_{field}"):
        GazeParams(**{field: value})


def test_the_retina_looks_around_without_changing_its_state():
    retina = Retina()
    assert retina.look_around() == []  # nothing seen yet
    retina.see(image("yellow_disc"), DT)
    rates, state = retina.rates.copy(), retina.state
    views = retina.look_around()
    assert len(views) == GazeParams().views
    assert all(v.shape == retina.shape and np.all(v >= 0) and v.max() > 0 for v in views)
    np.testing.assert_array_equal(retina.rates, rates)
    assert retina.state is state


def test_the_fixation_view_is_the_stimulus_as_a_fresh_look_sees_it_however_habituated_the_sensor():
    habituated = Retina()
    for _ in range(30):  # a long look under memory's feedback
        habituated.see(image("red_box"), DT)
        habituated.inhibit(0.65)
    fresh = Retina()
    first_look = fresh.see(image("red_box"), DT)
    fixation = habituated.look_around()[0]
    np.testing.assert_allclose(fixation, fresh.look_around()[0], rtol=1e-5, atol=1e-6)
    assert cosine(fixation, first_look) > 0.99 > cosine(habituated.rates, first_look)


def test_touch_and_a_retina_without_gaze_do_not_look_around():
    touch = Retina(RetinaParams.from_parameters({"modality": "touch", "rows": 4, "cols": 4, "contrast": False}))
    touch.touch(np.ones((4, 4), np.float32), DT)
    assert touch.look_around() == []
    still = Retina(RetinaParams().updated({"gaze_shift": 0.0, "gaze_zoom": 0.0, "gaze_roll": 0.0, "gaze_turn": 0.0}))
    still.see(image("red_box"), DT)
    assert still.look_around() == []


@pytest.mark.parametrize("offset", [(0, 4), (-4, 0), (3, -3)])
@pytest.mark.parametrize("name", ["red_box", "magenta_bar", "cyan_disc"])
def test_a_gaze_view_is_nearer_to_a_shifted_look_than_the_view_as_seen(name, offset):
    """What the views are for: an object seen later from a moved camera resembles one of them."""
    seen = Retina()
    seen.see(image(name), 0.0)
    later = Retina().see(image(name, offset), 0.0)
    as_seen = cosine(seen.rates, later)
    best_view = max(cosine(v, later) for v in seen.look_around())
    assert best_view > as_seen + 0.01, (as_seen, best_view)


@pytest.mark.parametrize("name", ["blue_bar", "magenta_bar"])
def test_further_roll_steps_reach_an_outline_rolled_further_than_one_step(name):
    """What ``gaze_roll_steps`` is for: a bar lying on a table and turned about the vertical shows its outline rolled
    in the image by more than one roll step."""
    rolled_image = gaze_view(image(name), gaze_transform(roll=np.radians(17.0)))
    later = Retina().see(rolled_image, 0.0)
    best = {}
    for steps in (1, 2):
        seen = Retina(RetinaParams().updated({"gaze_roll_steps": steps, "gaze_turn": 0.0}))  # the rolls alone
        seen.see(image(name), 0.0)
        best[steps] = max(cosine(v, later) for v in seen.look_around())
    assert best[2] > best[1] + 0.01, best


def test_turn_views_rotate_the_ground_plane_within_its_foreshortening():
    """A turn seen from above is a roll; seen from 30 deg a disc on the ground (an ellipse twice as wide as tall)
    keeps its outline, while the same turn as a roll tilts it."""
    from_above = gaze_transform(turn=np.radians(20.0), elevation=np.radians(90.0))
    np.testing.assert_allclose(from_above, gaze_transform(roll=-np.radians(20.0)), atol=1e-12)
    v, u = np.mgrid[-31.5:32, -31.5:32]
    ellipse = ((u / 24) ** 2 + (v / 12) ** 2 <= 1).astype(np.float32)[..., None].repeat(3, axis=2)
    turned = gaze_view(ellipse, gaze_transform(turn=np.radians(30.0), elevation=np.radians(30.0)))
    rolled = gaze_view(ellipse, gaze_transform(roll=np.radians(30.0)))
    assert cosine(turned, ellipse) > 0.98 > 0.9 > cosine(rolled, ellipse)


def test_turn_views_come_each_way_after_the_rolls():
    params = GazeParams(0.0, 0.0, 8.0, turn=20.0)
    assert params.views == 5
    np.testing.assert_allclose(gaze_transforms(params)[3:], [gaze_transform(turn=t) for t in np.radians([20.0, -20.0])])
