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


@pytest.fixture(scope='module')
def soak():
    spec = importlib.util.spec_from_file_location('hebbian_bench_soak', REPO / 'bench' / 'soak.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_thirty_seconds_at_100_frames_per_second_lose_nothing(soak, ros_env, tmp_path):
    results = soak.run_soak(DURATION, 100.0, workdir=tmp_path)
    summary = {key: results[key] for key in ('achieved_rate_hz', 'frames_published', 'memory_growth_max_percent',
                                             'inhibition', 'learning_mode', 'checkpoint_times')}
    summary['rss_growth_percent'] = {n: round(r['growth_percent'], 2) for n, r in results['rss'].items()
                                     if r['growth_percent'] is not None}
    print('\n' + json.dumps(summary, indent=1, default=str))
    assert results['achieved_rate_hz'] >= 90.0
    assert soak.verdict(results) == []
