"""Structural plasticity in the ROS-free loop, the direction of each effect of bench/structural.py in small:
duplicates raise recognition of noisy views of the simulator's objects, neurogenesis postpones forgetting,
synapses stay within the budget over a long run."""

import importlib.util
import os
import sys
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
_spec = importlib.util.spec_from_file_location("bench_structural", BENCH / "structural.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


@pytest.fixture(scope="module")
def tabletop():
    return bench.tabletop_views(seed=0, test_views=3)


def test_duplicates_raise_recognition_of_noisy_views(tabletop):
    images, labels, tests = tabletop
    scores = {}
    for name, memory in (("off", bench.OFF), ("on", bench.ON)):
        loop, owner = bench.learn_views(memory, images, labels)
        if name == "on":
            assert loop.memory.copies.sum() >= len(tests)  # copies grew for the objects
        scores[name] = np.array(
            [
                bench.noisy_accuracy(loop, owner, tests, kind, level, seed=7)[1]
                for kind, level in (("none", 0), ("gaussian", 0.3), ("salt_pepper", 0.3), ("occlusion", 0.2))
            ]
        )
    assert np.all(scores["on"] >= scores["off"] - 0.05), scores
    # mean gain measured: +0.049 before memory consolidated an episode's drifting views (off improved),
    # +0.014 since; with edge cells in the sensor +0.043 (salt-and-pepper +0.17, occlusion +0.03, gaussian
    # -0.034: the prototypes without copies happen to cover more of the pixel-noise views): better on
    # average, never worse beyond five test views of 144 per condition
    assert scores["on"].mean() >= scores["off"].mean() + 0.01, scores


def test_neurogenesis_learns_more_stimuli_before_forgetting():
    stimuli = bench.stimulus_set(1, seed=0)[:12]
    fixed = bench.capacity_run(stimuli, start=4, maximum=16, neurogenesis=False)
    grown = bench.capacity_run(stimuli, start=4, maximum=16, neurogenesis=True)
    assert fixed["units_at_end"] == 4 and 4 < grown["units_at_end"] <= 16
    assert grown["capacity"] > fixed["capacity"], (fixed, grown)
    assert grown["retained_at_end"] > fixed["retained_at_end"], (fixed, grown)


def test_synapses_stay_within_the_budget_over_a_long_run():
    run = bench.long_run(3000, seed=1, lifetime=300)
    assert run["max_synapses"] <= run["synapse_budget"]
    assert run["max_units_reached"] > run["start_units"] and run["max_units_reached"] <= run["max_units"]
    # the state is its synapses (4 bytes each: prototypes of every unit, copies within the budget) and small per-row
    # statistics; a pool saves the rows it holds, so it starts small and stays under that bound (measured 122 kB)
    synapse_bytes = 4 * (run["max_units"] * bench.pattern_size() + run["synapse_budget"])
    assert run["state_bytes_start"] < run["state_bytes_max"] <= 1.1 * synapse_bytes
    assert {"GROW_DUPLICATE", "NEUROGENESIS"} <= set(run["events"]), run["events"]
    # copies leave by age (PRUNE) or for new learning under the budget (RECYCLE); with a new memory's 15 gaze views
    # the budget of 48 patterns recycles every copy before one is 300 presentations old (RECYCLE 814, PRUNE 0)
    assert {"PRUNE", "RECYCLE"} & set(run["events"]), run["events"]
