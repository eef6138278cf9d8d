"""The soak bench (bench/soak.py) for 30 s: the whole loop at 100 frames/s as supervised processes.

Same assertions as the 10-minute bench: RSS of every node grows < 5 % after the warm-up, no inhibition
and no learning-mode broadcast is lost (counted on the receiving side against what the sender must have
sent, learning mode at two independent subscribers), no node crashed or restarted, and every learner's
checkpoint loads after the run (written on shutdown).
"""

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DURATION = 30.0


@pytest.fixture(scope="module")
def soak():
    spec = importlib.util.spec_from_file_location("hebbian_bench_soak", REPO / "bench" / "soak.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_thirty_seconds_at_100_frames_per_second_lose_nothing(soak, ros_env, tmp_path):
    results = soak.run_soak(DURATION, 100.0, workdir=tmp_path)
    summary = {
        key: results[key]
        for key in (
            "achieved_rate_hz",
            "frames_published",
            "memory_growth_max_percent",
            "inhibition",
            "learning_mode",
            "checkpoint_times",
        )
    }
    summary["rss_growth_percent"] = {
        n: round(r["growth_percent"], 2) for n, r in results["rss"].items() if r["growth_percent"] is not None
    }
    print("\n" + json.dumps(summary, indent=1, default=str))
    assert results["achieved_rate_hz"] >= 90.0
    assert soak.verdict(results) == []


def test_learning_mode_accounting_counts_only_broadcasts_inside_the_window(soak):
    """A broadcast caught by one receiver while the other was being cleared or read is outside the window
    and not a loss; one missing inside the window is."""
    from builtin_interfaces.msg import Time
    from std_msgs.msg import Header

    from hebbian_ros.msg import LearningMode

    def broadcast(second, cause, replays_left=0):
        return 0.0, LearningMode(
            header=Header(stamp=Time(sec=second)), cause=cause, active=cause != 0, replays_left=replays_left
        )

    episode = [
        broadcast(10, LearningMode.CAUSE_NOVELTY),
        broadcast(11, LearningMode.CAUSE_AHA),
        broadcast(12, LearningMode.CAUSE_REPLAY, 0),
        broadcast(13, LearningMode.CAUSE_NONE),
    ]
    early, late = broadcast(5, LearningMode.CAUSE_NONE), broadcast(20, LearningMode.CAUSE_NOVELTY)
    window = (8 * 10**9, 15 * 10**9)
    edges = soak.learning_mode_accounting([early] + episode, episode + [late], replays=1, window=window)
    assert edges["same_sequence_at_both"] and edges["sequence_gaps"] == 0 and edges["ahas"] == 1
    unwindowed = soak.learning_mode_accounting([early] + episode, episode + [late], replays=1)
    assert not unwindowed["same_sequence_at_both"]
    lost = soak.learning_mode_accounting(episode, episode[:2] + episode[3:], replays=1, window=window)
    assert not lost["same_sequence_at_both"] and lost["only_at_a"] == 1
    gap = soak.learning_mode_accounting(episode[:2] + episode[3:], episode[:2] + episode[3:], replays=1, window=window)
    assert gap["sequence_gaps"] == 1
