import pytest

from hebbian_ros.core.neuromodulation.neuromodulator import Cause, Neuromodulator, NeuromodulatorParams, Phase

DT = 1 / 30


def novel(n, core, rate=20.0):
    return [core.observe(rate, False, -1, False, DT) for _ in range(n)]


def test_novelty_accumulates_until_learning_mode():
    core = Neuromodulator(NeuromodulatorParams(threshold=1.5, tau_decay=1.0))
    changes = novel(10, core)
    first = next(i for i, c in enumerate(changes) if c is not None)
    assert changes[first].active and changes[first].cause is Cause.NOVELTY
    assert 2 <= first <= 4  # 20 Hz * 1/30 s per sample, decaying: crosses 1.5 Hz*s on sample 3
    assert core.phase is Phase.LEARNING


def test_familiar_input_never_starts_learning():
    core = Neuromodulator()
    assert all(core.observe(0.0, True, 0, False, DT) is None for _ in range(1000))


def test_accumulation_decays_so_rare_novelty_is_ignored():
    core = Neuromodulator(NeuromodulatorParams(threshold=1.5, tau_decay=0.2))
    for _ in range(50):
        assert core.observe(20.0, False, -1, False, DT) is None
        for _ in range(10):
            core.observe(0.0, True, 0, False, DT)


def test_aha_then_replays_then_learning_ends():
    params = NeuromodulatorParams(confirm_samples=3, replays=4, replay_interval=0.1)
    core = Neuromodulator(params)
    novel(5, core)
    assert core.observe(20.0, False, 7, True, DT) is None  # memory stores pattern 7
    assert core.observe(0.0, True, 7, False, DT) is None
    assert core.observe(0.0, True, 7, False, DT) is None
    aha = core.observe(0.0, True, 7, False, DT)
    assert aha.cause is Cause.AHA and aha.memory_id == 7 and aha.active
    replays = [core.tick(0.1) for _ in range(params.replays)]
    assert [r.cause for r in replays] == [Cause.REPLAY] * params.replays
    assert [r.replays_left for r in replays] == [3, 2, 1, 0]
    end = core.tick(0.1)
    assert not end.active and end.cause is Cause.NONE and core.phase is Phase.IDLE
    assert core.accumulation == 0.0


def test_recognising_an_old_memory_is_no_aha():
    core = Neuromodulator(NeuromodulatorParams(confirm_samples=2))
    novel(5, core)
    assert all(core.observe(0.0, True, 3, False, DT) is None for _ in range(10))


def test_episode_without_aha_times_out():
    core = Neuromodulator(NeuromodulatorParams(max_learning_time=1.0))
    novel(5, core)
    assert core.tick(0.5) is None
    end = core.tick(0.6)
    assert end is not None and not end.active


@pytest.mark.parametrize("kwargs", [dict(threshold=0), dict(learning_level=1.5), dict(confirm_samples=0)])
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        NeuromodulatorParams(**kwargs)


def test_bad_observation_is_refused_and_changes_nothing():
    core = Neuromodulator()
    with pytest.raises(ValueError, match="unpropagated"):
        core.observe(float("nan"), False, -1, False, DT)
    assert core.accumulation == 0.0
