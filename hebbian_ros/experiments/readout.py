"""Label read-out of an unsupervised layer, after learning (Diehl & Cook 2015's scheme).

Learning never sees a label. Afterwards every unit is given the label that occurs most often
among the training samples it wins (:func:`assign_unit_labels`); a unit that wins nothing stays
unlabelled (``-1``). A new sample is then classified by the labels of its most active labelled
units (:func:`vote`): with ``k = 1`` the most active unit's label, with ``k > 1`` a vote of the
``k`` most active labelled units, one vote each, ties going to the class of the most active one.
"""

from __future__ import annotations

import numpy as np

from hebbian_ros.core import validation as check

#: Label of a unit that won no training sample.
UNLABELLED = -1


def _check_labels(name: str, labels, n_classes: int | None) -> np.ndarray:
    labels = check.as_array(name, labels, kinds="iu")
    check.check_shape(name, labels, None, batch=False)
    check.check_range(name, labels, low=0, high=None if n_classes is None else n_classes - 1, what="label")
    return labels.astype(np.int64, copy=False)


def assign_unit_labels(winners: np.ndarray, labels: np.ndarray, n_units: int, n_classes: int) -> np.ndarray:
    """Majority label of the training samples each unit wins.

    :param winners: ``(N,)`` index of the winning unit of each training sample.
    :param labels: ``(N,)`` class of each training sample, in ``0..n_classes-1``.
    :param n_units: number of units.
    :param n_classes: number of classes.
    :returns: int64 ``(n_units,)``: each unit's label, :data:`UNLABELLED` if it won nothing; a
        tie goes to the smallest class.
    """
    n_units = check.as_int("n_units", n_units, minimum=1)
    n_classes = check.as_int("n_classes", n_classes, minimum=1)
    winners = _check_labels("winners", winners, n_units)
    labels = _check_labels("labels", labels, n_classes)
    if winners.shape != labels.shape:
        raise ValueError(f"labels: expected {winners.shape[0]} labels to match winners, got {labels.shape[0]}")
    table = np.zeros((n_units, n_classes), dtype=np.int64)
    np.add.at(table, (winners, labels), 1)
    unit_labels = table.argmax(axis=1)
    unit_labels[table.sum(axis=1) == 0] = UNLABELLED
    return unit_labels


def vote(responses: np.ndarray, unit_labels: np.ndarray, k: int = 1, n_classes: int | None = None) -> np.ndarray:
    """Classify samples by the labels of their ``k`` most active labelled units.

    :param responses: ``(n_units,)`` or ``(N, n_units)`` activity (larger = more active).
    :param unit_labels: ``(n_units,)`` from :func:`assign_unit_labels`.
    :param k: number of voting units (``>= 1``), at most the number of labelled units.
    :param n_classes: number of classes; ``None`` takes ``max(unit_labels) + 1``.
    :returns: int64 ``()`` or ``(N,)`` predicted classes.
    """
    responses = check.as_activity("responses", responses, None, np.float64)
    unit_labels = check.as_array("unit_labels", unit_labels, kinds="iu")
    check.check_shape("unit_labels", unit_labels, responses.shape[-1], batch=False)
    check.check_range("unit_labels", unit_labels, low=UNLABELLED, what="label")
    labelled = np.flatnonzero(unit_labels != UNLABELLED)
    k = check.as_int("k", k, minimum=1)
    if k > labelled.size:
        raise ValueError(f"k: expected at most {labelled.size} voting units (labelled units), got {k}")
    top_class = int(unit_labels.max()) + 1
    n_classes = top_class if n_classes is None else check.as_int("n_classes", n_classes, minimum=top_class)
    single = responses.ndim == 1
    active = np.atleast_2d(responses)[:, labelled]
    if k == 1:
        top = active.argmax(axis=1)[:, None]
    else:
        top = np.argpartition(-active, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(active, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
    classes = unit_labels[labelled][top]
    ballots = np.zeros((classes.shape[0], n_classes))
    rows = np.repeat(np.arange(classes.shape[0]), k)
    np.add.at(ballots, (rows, classes.ravel()), 1.0)
    ballots[np.arange(classes.shape[0]), classes[:, 0]] += 0.5  # ties: the most active unit
    predicted = ballots.argmax(axis=1).astype(np.int64)
    return predicted[0] if single else predicted
