"""The curious look: it circles an object only once learning mode is on, once per visit, and returns to its view."""

import pytest

from hebbian_ros.sim.curiosity import CURIOUS_STEP, CuriousLook, curious_path


@pytest.mark.parametrize("amplitude, step", [(20.0, 4.0), (30.0, 5.0), (10.0, 2.5)])
def test_the_path_goes_out_to_both_sides_in_even_steps_and_comes_back(amplitude, step):
    path = curious_path(amplitude, step)
    assert max(path) == pytest.approx(amplitude) and min(path) == pytest.approx(-amplitude)
    assert path[0] == pytest.approx(step) and path[-1] == pytest.approx(0.0)
    steps = [b - a for a, b in zip((0.0, *path), path)]
    assert all(abs(abs(s) - step) < 1e-9 for s in steps)
    assert len(path) == round(4 * amplitude / step)


def test_no_amplitude_no_path_and_bad_values_are_refused():
    assert curious_path(0.0) == ()
    with pytest.raises(ValueError, match="amplitude"):
        curious_path(-5.0)
    with pytest.raises(ValueError, match="step"):
        curious_path(20.0, 0.0)


def test_it_turns_from_the_frame_after_learning_mode_came_on_and_only_once_per_visit():
    look = CuriousLook(20.0)
    turns = [look.turn(0, True, False) for _ in range(5)]
    assert turns == [0.0] * 5  # still, while the object is only being looked at
    heard = [look.turn(0, True, True)] + [look.turn(0, True, f % 3 == 0) for f in range(len(look.path) + 10)]
    assert heard[: len(look.path)] == list(look.path)  # once begun, whatever learning mode does after
    assert heard[len(look.path) :] == [0.0] * 11  # the circle is not repeated in the same visit
    assert look.path[0] == CURIOUS_STEP


def test_a_gap_or_a_new_visit_ends_the_circle_and_a_new_visit_can_begin_one():
    look = CuriousLook(20.0)
    assert look.turn(0, True, True) == look.path[0]
    assert look.turn(0, False, True) == 0.0  # the gap before the next visit: the camera looks away
    assert look.turn(1, True, False) == 0.0  # a familiar object: no learning mode, no circle
    assert look.turn(2, True, True) == look.path[0]
    assert look.turn(2, True, True) == look.path[1]
    assert look.turn(3, True, True) == look.path[0]  # a new visit starts its own circle


def test_without_amplitude_it_never_turns():
    look = CuriousLook(0.0)
    assert [look.turn(0, True, True) for _ in range(10)] == [0.0] * 10
