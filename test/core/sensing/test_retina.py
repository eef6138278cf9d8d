"""The retina's state across stimuli: habituation to one stimulus must not distort how the next one is sensed."""

import numpy as np
import pytest

from hebbian_ros.core.parameters import MEMORY
from hebbian_ros.core.sensing.retina import FEEDBACK_BACKLOG, Retina, RetinaParams
from hebbian_ros.experiments.stimuli import scene

DT = 1 / 30
GAP = 15  # frames of nothing between two objects (0.5 s), as in the demo and the recognition benchmark


def image(name: str) -> np.ndarray:
    return scene(name).astype(np.float32) / np.float32(255.0)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a.ravel() @ b.ravel() / (np.linalg.norm(a) * np.linalg.norm(b)))


def after_habituating(retina: Retina, first: str, second: str) -> tuple[np.ndarray, list[float]]:
    """``first`` for 1 s with memory's feedback on every frame (familiar), a gap, then the onset of ``second``."""
    habituation = []
    for _ in range(30):
        habituation.append(float(retina.see(image(first), DT).mean()))
        retina.inhibit(MEMORY.default("inhibition_strength"))
    for _ in range(GAP):
        retina.see(image("blank"), DT)
    return retina.see(image(second), DT), habituation


def fresh_onset(params: RetinaParams, name: str) -> np.ndarray:
    retina = Retina(params)
    for _ in range(GAP):
        retina.see(image("blank"), DT)
    return retina.see(image(name), DT)


def test_the_next_stimulus_is_not_distorted_by_the_last_ones_inhibition():
    """Memory compares what the sensor gives now with what it stored after another history; at the defaults the
    feedback's inhibition lasts while it is sent, so habituation is deep and does not outlive its stimulus."""
    params = RetinaParams.from_parameters({})
    onset, habituation = after_habituating(Retina(params), "red_box", "blue_disc")
    assert habituation[-1] <= 0.3 * max(habituation)  # rates dropped: habituation
    # 0.994: what is left is the onset's adaptation to red_box (tau_adapt), not its inhibition
    assert cosine(onset, fresh_onset(params, "blue_disc")) >= 0.99


def test_a_slowly_recovering_gain_carries_the_last_stimulus_into_the_next():
    """What the default prevents: with a 0.5 s recovery the units red_box drove are still inhibited when blue_disc
    appears, and blue_disc's pattern is distorted (the cosine that crowded objects are told apart by)."""
    slow = RetinaParams.from_parameters({"tau_recover": 0.5})
    onset, _ = after_habituating(Retina(slow), "red_box", "blue_disc")
    assert cosine(onset, fresh_onset(slow, "blue_disc")) < 0.985  # 0.980


@pytest.mark.parametrize("tau_recover", [0.1, 0.5])
def test_a_stimulus_shown_again_after_a_pause_fires_fast(tau_recover):
    params = RetinaParams.from_parameters({"tau_recover": tau_recover})
    retina = Retina(params)
    _, habituation = after_habituating(retina, "red_box", "blank")
    for _ in range(int(5 * tau_recover / DT)):  # five recovery time constants
        retina.see(image("blank"), DT)
    again = float(retina.see(image("red_box"), DT).mean())
    assert again >= 0.9 * max(habituation)


def red_box_with_feedback(arrivals: list[int]) -> list[np.ndarray]:
    """``red_box`` frame after frame, ``arrivals[k]`` feedback messages arriving after frame ``k`` (the same
    uniform share each, so every message takes the same effect whenever it does); the rates of each frame."""
    retina = Retina(RetinaParams.from_parameters({}))
    units = np.ones(int(np.prod(retina.shape)), np.float32)
    rates = []
    for count in arrivals:
        rates.append(retina.see(image("red_box"), DT))
        for _ in range(count):
            retina.inhibit(MEMORY.default("inhibition_strength"), units)
    rates.append(retina.see(image("red_box"), DT))
    return rates


def test_feedback_delivered_in_a_burst_takes_effect_one_message_per_frame():
    """A link that stalls then delivers three feedback messages at once: the next frame is what one message
    leaves (compounded at once, the driven units fell to the floor while the undriven kept their gain, and memory
    stored the distorted frame as a second object), and the other two take effect on the two frames after, so
    habituation ends as deep as when they arrive one per frame."""
    steady = red_box_with_feedback([1] * 20)
    burst = red_box_with_feedback([1] * 10 + [3, 0, 0] + [1] * 7)
    np.testing.assert_array_equal(burst[11], steady[11])
    for k in (12, 13, 20):
        np.testing.assert_allclose(burst[k], steady[k], rtol=1e-5, atol=1e-4)


def test_the_backlog_is_bounded_and_feedback_on_separate_frames_compounds():
    """One message per frame deepens habituation frame after frame (the steady state); a burst larger than the
    backlog keeps only its newest messages."""
    steady = red_box_with_feedback([1] * 10)
    means = [float(r.mean()) for r in steady]
    assert all(b < a for a, b in zip(means[1:], means[2:]))
    flood = red_box_with_feedback([1 + FEEDBACK_BACKLOG + 5] + [0] * 15)
    kept = red_box_with_feedback([1 + FEEDBACK_BACKLOG] + [0] * 15)
    for a, b in zip(flood, kept):
        np.testing.assert_array_equal(a, b)


def test_bad_feedback_is_refused_and_changes_nothing():
    retina = Retina(RetinaParams.from_parameters({}))
    retina.see(image("red_box"), DT)
    before = retina.state.gain.copy()
    with pytest.raises(ValueError, match="strength"):
        retina.inhibit(1.5)
    with pytest.raises(ValueError, match="gain"):
        retina.inhibit(0.5, np.ones(3, np.float32))
    np.testing.assert_array_equal(retina.state.gain, before)


def _disc(rgb, light: float = 1.0) -> np.ndarray:
    """A disc of colour ``rgb`` on a wooden table, everything lit at ``light``."""
    rows, cols = np.mgrid[:64, :64]
    frame = np.empty((64, 64, 3), np.float32)
    frame[:] = (0.55, 0.45, 0.35)
    frame[(rows - 32) ** 2 + (cols - 32) ** 2 < 14**2] = rgb
    return frame * np.float32(light)


def _rates(retina: Retina, frame: np.ndarray) -> np.ndarray:
    retina.reset()
    for _ in range(5):
        rates = retina.see(frame, DT)
    return rates


@pytest.mark.parametrize("levels", [2, 4])
@pytest.mark.parametrize(
    ("paler", "stronger"), [((0.65, 0.33, 0.33), (0.85, 0.09, 0.09)), ((0.33, 0.65, 0.33), (0.09, 0.85, 0.47))]
)
def test_weber_contrast_levels_tell_a_paler_object_apart_but_not_a_dimmer_light(paler, stronger, levels):
    plain = Retina(RetinaParams(weber_contrast=False, contrast_levels=1))  # the sensor until RESULTS 5o
    coded = Retina(RetinaParams(weber_contrast=True, contrast_levels=levels))
    assert coded.shape == (8, 8, 6 * levels + plain.shape[2] - 6)  # levels cells per colour channel and sign
    alike = {
        name: cosine(_rates(r, _disc(paler)), _rates(r, _disc(stronger)))
        for name, r in (("plain", plain), ("coded", coded))
    }
    # measured: red / pink 0.937 -> 0.843 / 0.835, green / teal 0.918 -> 0.878 / 0.863 (2 / 4 levels; RESULTS 5o)
    assert alike["coded"] < alike["plain"] - 0.03, alike
    dimmed = cosine(_rates(coded, _disc(stronger)), _rates(coded, _disc(stronger, light=0.6)))
    assert dimmed > 0.999, dimmed  # the same object in a dimmer light: the same code


def test_weber_contrast_and_levels_are_validated():
    with pytest.raises(ValueError, match="contrast_levels"):
        RetinaParams(contrast_levels=0)
    with pytest.raises(ValueError, match="weber_contrast"):
        RetinaParams(weber_contrast="yes")


@pytest.mark.parametrize("weight", [0.25, 0.5, 1.0])
def test_edge_weight_sets_the_edge_cells_total_drive_against_the_colour_fields(weight):
    retina = Retina(RetinaParams(edge_weight=weight))
    retina.see(image("red_box"), DT)
    colour, edges = retina.drive[..., : -retina.params.edge_units], retina.drive[..., -retina.params.edge_units :]
    assert np.all(edges < 1.0)  # none saturated, so the ratio is exact
    assert np.linalg.norm(edges) / np.linalg.norm(colour) == pytest.approx(weight, rel=1e-4)


def test_an_edge_weight_of_zero_silences_the_edge_cells_and_a_negative_one_is_refused():
    retina = Retina(RetinaParams(edge_weight=0.0))
    retina.see(image("red_box"), DT)
    assert not retina.drive[..., -retina.params.edge_units :].any()
    with pytest.raises(ValueError, match="edge_weight"):
        RetinaParams(edge_weight=-1.0)


def test_recent_frames_sensed_again_as_first_seen_carry_no_adaptation_or_feedback():
    """What memory keeps of a look (``episode_views``) is each frame as a fresh look would sense it, whatever the
    sensor had adapted to and memory's feedback had inhibited by then; asking changes nothing in the retina."""
    params = RetinaParams()
    retina = Retina(params)
    shown = ["red_box", "blue_disc", "green_bar"]
    live = []
    for name in shown:
        for _ in range(10):
            live.append(retina.see(image(name), DT))
            retina.inhibit(MEMORY.default("inhibition_strength"))
    rates, state = retina.rates.copy(), retina.state
    first_seen = [Retina(params).see(image(name), 0.0) for name in shown]

    again = retina.as_first_seen(2, skip=1)  # the frames before the last: the 9th and 10th of green_bar
    assert len(again) == 2
    for view in again:
        np.testing.assert_allclose(view, first_seen[2], rtol=1e-6)
        assert cosine(view, live[-1]) < 0.999  # the live frame had adapted: its pattern, not only its gain, changed
    oldest = retina.as_first_seen(30)
    assert len(oldest) == 30
    np.testing.assert_allclose(oldest[0], first_seen[0], rtol=1e-6)
    np.testing.assert_allclose(oldest[10], first_seen[1], rtol=1e-6)
    np.testing.assert_array_equal(retina.rates, rates)
    assert retina.state is state
    assert len(retina.as_first_seen(100)) == 30  # no more than were seen
    assert retina.as_first_seen(3, skip=30) == [] and retina.as_first_seen(0) == []
    retina.reset()  # a fresh look forgets the frames before it
    assert retina.as_first_seen(5) == []
    with pytest.raises(ValueError, match="count"):
        retina.as_first_seen(-1)


def test_tagged_frames_are_found_by_their_tag_and_sensed_again_as_first_seen():
    """A node's answer to memory arrives frames after the frame memory judged: the frame's tag (its stamp) finds it
    among the recent ones, with the frames before it or alone, however many frames came since."""
    params = RetinaParams()
    retina = Retina(params)
    shown = ["red_box", "blue_disc", "green_bar"]
    for k, name in enumerate(shown):
        retina.see(image(name), DT, tag=("frame", k))
        retina.inhibit(MEMORY.default("inhibition_strength"))
    for _ in range(5):  # frames that follow, tagged otherwise
        retina.see(image("green_bar"), DT, tag="later")
    first_seen = [Retina(params).see(image(name), 0.0) for name in shown]

    before = retina.tagged_as_first_seen(("frame", 2), 5, before=True)  # only two frames came before it
    assert [tag for tag, _ in before] == [("frame", 0), ("frame", 1)]
    for (_, view), fresh in zip(before, first_seen):
        np.testing.assert_allclose(view, fresh, rtol=1e-6)
    alone = retina.tagged_as_first_seen(("frame", 1), 1, before=False)
    assert [tag for tag, _ in alone] == [("frame", 1)]
    np.testing.assert_allclose(alone[0][1], first_seen[1], rtol=1e-6)
    newest = retina.tagged_as_first_seen("later", 2, before=False)  # the newest frame of a repeated tag
    assert len(newest) == 2 and newest[-1][0] == "later"
    assert retina.tagged_as_first_seen(("frame", 9), 3, before=True) == []  # never seen, or no longer kept
    assert retina.tagged_as_first_seen(("frame", 2), 0, before=False) == []
    with pytest.raises(ValueError, match="count"):
        retina.tagged_as_first_seen(("frame", 2), -1, before=True)
    by_number = retina.tagged_as_first_seen(1, 1, before=False, key=lambda tag: tag[1] if tag != "later" else None)
    assert [tag for tag, _ in by_number] == [("frame", 1)]  # found by part of its tag, returned with the whole tag
    retina.reset()
    assert retina.tagged_as_first_seen(("frame", 2), 1, before=False) == []
