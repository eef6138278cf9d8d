"""Label read-out: majority labels per unit and votes of the most active units."""

import numpy as np
import pytest

from hebbian_ros.experiments.readout import UNLABELLED, assign_unit_labels, vote


def test_units_take_the_majority_label_of_what_they_win():
    winners = np.array([0, 0, 0, 1, 1, 2])
    labels = np.array([3, 3, 1, 2, 0, 1])
    unit_labels = assign_unit_labels(winners, labels, n_units=4, n_classes=4)
    # unit 1: tie 2 vs 0 goes to the smaller class; unit 3 won nothing
    np.testing.assert_array_equal(unit_labels, [3, 0, 1, UNLABELLED])


def test_vote_of_one_is_the_most_active_labelled_unit():
    unit_labels = np.array([0, 1, UNLABELLED, 2])
    responses = np.array([[0.1, 0.5, 0.9, 0.2], [0.3, 0.1, 0.0, 0.8]])
    np.testing.assert_array_equal(vote(responses, unit_labels, k=1), [1, 2])


def test_vote_of_k_counts_and_breaks_ties_by_the_most_active():
    unit_labels = np.array([0, 1, 1, 2, 0])
    responses = np.array([0.9, 0.8, 0.7, 0.1, 0.0])
    assert vote(responses, unit_labels, k=3) == 1  # labels 0, 1, 1
    assert vote(responses, unit_labels, k=2) == 0  # 0 vs 1 tie: the most active unit wins


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="winners"):
        assign_unit_labels(np.array([0, 5]), np.array([0, 1]), 3, 2)
    with pytest.raises(ValueError, match="labels"):
        assign_unit_labels(np.array([0, 1]), np.array([0, 1, 1]), 3, 2)
    with pytest.raises(ValueError, match="k: expected at most 2"):
        vote(np.zeros(3), np.array([0, 1, UNLABELLED]), k=3)
    with pytest.raises(ValueError, match="unit_labels"):
        vote(np.zeros(3), np.array([0, 1]), k=1)
