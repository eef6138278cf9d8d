"""Competitive learning: winner-take-all (WTA) selection plus the instar rule.

Competition picks which units learn. The winners are the units with the largest score
``W x`` (dot product). With unit-norm rows and unit-norm inputs this is the same as the
smallest Euclidean distance, ``‖x − w‖² = 2 − 2 w·x``, so keep weights L2-normalised (see
:mod:`hebbian_ros.core.plasticity.bounds`) and normalise inputs. ``k``-WTA lets exactly ``k`` units win;
soft-WTA gives every unit a share ``softmax(W x / T)`` instead.

The instar rule moves each unit towards the input in proportion to its activity after the
competition, ``Δw_j = η y_j (x − w_j)``, so winners become prototypes (cluster centres) of
the inputs they win. With ``leak > 0`` losers follow at the reduced rate ``leak·η``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hebbian_ros.core import validation as check


@dataclass(frozen=True)
class CompetitiveParams:
    """Parameters of competitive learning.

    :param eta: learning rate in ``[0, 1]``.
    :param k: number of winners in hard ``k``-WTA (``>= 1``).
    :param soft: use soft-WTA (softmax) instead of hard ``k``-WTA.
    :param temperature: softmax temperature ``T > 0``; small ``T`` approaches hard WTA.
    :param leak: losers learn at ``leak·eta`` ("leaky learning", Rumelhart & Zipser 1985), in
        ``[0, 1]``; a few percent revives dead units that hard WTA never lets win.
    """

    eta: float = 0.05
    k: int = 1
    soft: bool = False
    temperature: float = 0.1
    leak: float = 0.0

    def __post_init__(self) -> None:
        set_field = object.__setattr__
        set_field(self, "eta", check.in_interval("CompetitiveParams.eta", self.eta, 0.0, 1.0))
        set_field(self, "k", check.as_int("CompetitiveParams.k", self.k, minimum=1))
        if not isinstance(self.soft, (bool, np.bool_)):
            raise ValueError(f"CompetitiveParams.soft: expected a bool, got {type(self.soft).__name__}")
        set_field(self, "soft", bool(self.soft))
        set_field(self, "temperature", check.positive("CompetitiveParams.temperature", self.temperature))
        set_field(self, "leak", check.in_interval("CompetitiveParams.leak", self.leak, 0.0, 1.0))

    def scaled(self, factor: float) -> CompetitiveParams:
        """Same rule with the learning rate multiplied by ``factor`` (plasticity gating)."""
        return replace(self, eta=self.eta * factor)


def _k_winners(scores: np.ndarray, k: int) -> np.ndarray:
    mask = np.zeros_like(scores)
    if k == 1 and scores.ndim == 1:
        mask[np.argmax(scores)] = 1
        return mask
    top = np.argpartition(-scores, k - 1, axis=-1)[..., :k]
    np.put_along_axis(mask, top, 1, axis=-1)
    return mask


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    # Shift before scaling: exponents are <= 0 for any temperature, so exp cannot overflow.
    logits = scores - scores.max(axis=-1, keepdims=True)
    # A temperature below the smallest normal number of the dtype would round to 0 and give 0/0.
    logits /= max(temperature, float(np.finfo(logits.dtype).tiny))
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=-1, keepdims=True)
    return logits


def _check_scores(scores, k: int | None = None) -> np.ndarray:
    scores = check.as_activity("scores", scores, dtype=None)
    if k is not None and k > scores.shape[-1]:
        raise ValueError(f"k: expected at most {scores.shape[-1]} winners (n_out), got {k}")
    return scores


def k_winners_take_all(scores: np.ndarray, k: int = 1) -> np.ndarray:
    """0/1 mask with exactly ``k`` ones per sample, at the ``k`` largest scores.

    :param scores: ``(n_out,)`` or ``(B, n_out)``; ties go to one of the tied units.
    """
    k = check.as_int("k", k, minimum=1)
    return _k_winners(_check_scores(scores, k), k)


def soft_winner_take_all(scores: np.ndarray, temperature: float = 0.1) -> np.ndarray:
    """``softmax(scores / temperature)`` per sample: positive shares that sum to 1."""
    temperature = check.positive("temperature", temperature)
    return _softmax(_check_scores(scores), temperature)


def compete(scores: np.ndarray, params: CompetitiveParams, *, validate: bool = True) -> np.ndarray:
    """Post-competition activity for ``params``: hard ``k``-WTA mask or soft-WTA shares."""
    if validate:
        check.check_instance("params", params, CompetitiveParams)
        scores = _check_scores(scores, None if params.soft else params.k)
    if params.soft:
        return _softmax(scores, params.temperature)
    return _k_winners(scores, params.k)


def _instar_update(pre: np.ndarray, post: np.ndarray, w: np.ndarray, eta: float) -> None:
    """In place: ``W ← W (1 − η y) + η y xᵀ`` (batch: mean over samples)."""
    if pre.ndim == 1:
        rate = eta * post
        w *= (1 - rate)[:, None]
        w += rate[:, None] * pre
    else:
        rate = eta / pre.shape[0]
        pull = (post * rate).T @ pre
        w *= (1 - rate * post.sum(axis=0))[:, None]
        w += pull


def competitive_step(
    pre: np.ndarray,
    post: np.ndarray,
    w: np.ndarray,
    params: CompetitiveParams,
    *,
    out: np.ndarray | None = None,
    validate: bool = True,
) -> np.ndarray:
    """One instar update ``Δw_j = η g_j (x − w_j)``; returns the new ``W``, inputs untouched.

    ``g = y`` without leak, ``g = y + leak (1 − y)`` with it.

    :param pre: input ``(n_in,)`` or mini-batch ``(B, n_in)``.
    :param post: activity after competition in ``[0, 1]``, e.g. :func:`compete` of ``W x``:
        winners (``1``) move towards ``x``, losers (``0``) stay.
    :param w: weights ``(n_out, n_in)``, float32 or float64 (kept).
    :param params: :class:`CompetitiveParams`.
    :param out: write the result here (``out=w`` updates in place).
    :param validate: ``False`` skips input checks for trusted hot loops.
    """
    if validate:
        check.check_instance("params", params, CompetitiveParams)
        pre, post, w = check.as_rule_inputs(pre, post, w, post_low=0.0)
        check.check_range("post", post, high=1.0)
    target = check.prepare_output(out, w, validate=validate)
    if params.leak:
        post = post + params.leak * (1 - post)
    _instar_update(pre, post, target, params.eta)
    return target
