"""Recognition metrics of bench/recognition.py: AUROC, hit rate at a fixed false-familiar rate, identification (by
object and by category), NN cosine, plots."""

import json
from pathlib import Path

import numpy as np
import pytest

from hebbian_ros.evaluation.recognition import (
    auroc,
    auroc_difference,
    chance_same_category,
    false_familiar_at_hit,
    hit_at_false_familiar,
    identified,
    nn_cosine,
    plot_recognition_vs_n,
    plot_stage_separation,
    same_category,
    separation,
    threshold_at_false_familiar,
    threshold_at_hit,
)


def test_auroc_hand_computed_with_a_tie():
    # pairs (p, n): 3>0.5, 3>2, 2>0.5, 2=2 (half), 1>0.5, 1<2  ->  (1+1+1+0.5+1+0) / 6
    assert auroc([3, 2, 1], [0.5, 2]) == pytest.approx(4.5 / 6)


def test_auroc_extremes_and_symmetry():
    assert auroc([0.9, 0.8], [0.1, 0.2, 0.3]) == 1.0
    assert auroc([0.1, 0.2], [0.8, 0.9]) == 0.0
    assert auroc([0.5, 0.5], [0.5]) == 0.5
    rng = np.random.default_rng(0)
    p, n = rng.integers(0, 5, 40), rng.integers(0, 4, 60)
    assert auroc(p, n) == pytest.approx(1 - auroc(n, p))
    brute = np.mean([(a > b) + 0.5 * (a == b) for a in p for b in n])
    assert auroc(p, n) == pytest.approx(brute)
    assert np.isnan(auroc([], [1.0]))


def test_hit_at_false_familiar_hand_computed():
    negatives = [0.1, 0.2, 0.5, 0.85]
    # 25 % of 4 negatives may score above the threshold: one -> threshold = second highest (0.5)
    assert threshold_at_false_familiar(negatives, 0.25) == 0.5
    assert hit_at_false_familiar([0.9, 0.8, 0.3], negatives, 0.25) == pytest.approx(2 / 3)
    # 5 % of 4 allows none above: threshold = highest negative, only 0.9 is above 0.85
    assert hit_at_false_familiar([0.9, 0.8, 0.3], negatives, 0.05) == pytest.approx(1 / 3)
    # 20 negatives at 5 %: exactly one may be above
    negatives = np.arange(20) / 20
    t = threshold_at_false_familiar(negatives, 0.05)
    assert np.mean(negatives > t) == pytest.approx(0.05)
    assert hit_at_false_familiar([0.89, 0.93, 0.99], negatives, 0.05) == pytest.approx(2 / 3)


def test_false_familiar_at_hit_rate_hand_computed():
    positives = np.arange(1, 11) / 10  # 0.1 .. 1.0: 90 % hit needs t = 0.2
    assert false_familiar_at_hit(positives, [0.05, 0.15, 0.2, 0.5], 0.9) == pytest.approx(0.5)
    assert false_familiar_at_hit(positives, [0.05, 0.15, 0.2, 0.5], 1.0) == pytest.approx(0.75)
    assert false_familiar_at_hit([0.9, 0.8], [0.1], 0.9) == 0.0


def test_threshold_at_hit_keeps_the_share_of_positives_asked_for():
    positives = np.arange(1, 11) / 10  # 0.1 .. 1.0
    assert threshold_at_hit(positives, 0.9) == pytest.approx(0.2)
    assert threshold_at_hit(positives, 1.0) == pytest.approx(0.1)
    assert threshold_at_hit(positives, 0.05) == pytest.approx(1.0)
    assert np.isnan(threshold_at_hit([], 0.9))


def test_identified_counts_probes_whose_best_match_is_their_own_memory():
    owner = {0: 10, 1: 11, 2: 10}  # object 10 has two memories; 12 has none
    # 10 via either of its memories, 11 via 10's memory (wrong), 12 via 11's (wrong), 11 with no match (-1)
    assert identified([0, 2, 0, 1, -1], [10, 10, 11, 12, 11], owner) == pytest.approx(2 / 5)
    assert identified([1], [11], owner) == 1.0
    assert np.isnan(identified([], [], owner))
    with pytest.raises(ValueError, match="differ in length"):
        identified([0, 1], [10], owner)


def test_same_category_counts_objects_matched_to_one_of_their_own_category():
    category = {1: "six", 2: "six", 3: "two", 4: "two", 5: "one"}.__getitem__
    # 1 -> 2 (both six), 3 -> 1 (two taken for a six), 5 -> nothing, 4 -> 3 (both two)
    assert same_category([1, 3, 5, 4], [2, 1, None, 3], category) == 2
    assert same_category([], [], category) == 0
    with pytest.raises(ValueError, match="differ in length"):
        same_category([1, 2], [2], category)


def test_chance_same_category_is_the_share_of_pairs_within_a_category():
    category = {1: "six", 2: "six", 3: "two", 4: "two", 5: "one"}.__getitem__
    # 20 ordered pairs of distinct objects; 2 within the sixes, 2 within the twos
    assert chance_same_category([1, 2, 3, 4, 5], category) == pytest.approx(4 / 20)
    assert chance_same_category([1, 3, 5], category) == 0.0
    assert np.isnan(chance_same_category([1], category))


def test_nn_cosine_and_separation():
    stored = np.array([[1.0, 0, 0], [0, 2.0, 0]])
    queries = np.array([[3.0, 0, 0], [1.0, 1.0, 0], [0, 0, 1.0]])
    assert nn_cosine(stored, queries) == pytest.approx([1.0, np.sqrt(0.5), 0.0], abs=1e-6)
    assert nn_cosine(stored, stored, exclude_self=True) == pytest.approx([0.0, 0.0], abs=1e-6)
    assert nn_cosine(np.zeros((0, 3)), queries) == pytest.approx([-1, -1, -1])
    s = separation(np.array([0.9, 0.8]), np.array([0.1, 0.85]))
    assert s["median_learned"] == pytest.approx(0.85) and s["auroc"] == pytest.approx(0.75)


def test_plots_from_a_result(tmp_path):
    def cell(a):
        return {"auroc": a, "hit": a - 0.1, "false_familiar": 0.05, "hit_at_5ff": a - 0.2}

    run = {
        "methods": {"pipeline": {"new": cell(0.9)}, "pixel_nn": {"new": cell(0.8)}},
        "stages": {s: {"new": separation(np.array([0.9, 0.95]), np.array([0.5, 0.7]))} for s in ("pixels", "rates")},
    }
    result = json.loads(json.dumps({"sources": {"photos": {"runs": {"10": run, "30": run}}}}))
    assert plot_recognition_vs_n(result, tmp_path / "n.png").stat().st_size > 1000
    assert plot_stage_separation(result, tmp_path / "s.png").stat().st_size > 1000


def test_the_report_command_draws_a_recognition_benchmark_result(tmp_path):
    from hebbian_ros.evaluation.report_cli import main

    result = Path(__file__).resolve().parents[2] / "bench" / "results" / "recognition.json"
    assert main([str(result), "--out", str(tmp_path)]) == 0
    for name in ("recognition_vs_n.png", "stages.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    not_a_result = tmp_path / "other.json"
    not_a_result.write_text("[1, 2]")
    assert main([str(not_a_result), "--out", str(tmp_path / "x")]) == 1


def test_a_stage_is_compared_with_its_input_on_the_same_probes():
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(1.0, 1.0, 300), rng.normal(0.0, 1.0, 300)
    same = auroc_difference((pos, pos), (neg, neg), resamples=200)
    assert same["delta"] == 0.0 and same["low"] == 0.0 == same["high"]
    sharper = auroc_difference((pos, pos + 0.5), (neg, neg), resamples=200)  # learned probes pulled apart
    assert sharper["delta"] > 0 and sharper["low"] > 0, sharper
    jittered = auroc_difference((pos, pos + rng.normal(0, 0.05, 300)), (neg, neg + rng.normal(0, 0.05, 300)))
    assert jittered["low"] < 0 < jittered["high"], jittered  # noise alone is no difference
    with pytest.raises(ValueError, match="same probes"):
        auroc_difference((pos, pos[:10]), (neg, neg))
