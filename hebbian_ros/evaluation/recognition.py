"""Recognition metrics and plots (bench/recognition.py): AUROC, hit rate at a fixed false-familiar rate,
identification (by object and by category), nearest-neighbour cosine scores, and the recognition-versus-N and
per-stage separation figures.

Scores are "familiarity": higher means more familiar. Learned-object probes are the positives,
never-seen-object probes the negatives.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def auroc(positives: Sequence[float] | np.ndarray, negatives: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve: P(positive score > negative score) + 0.5 P(equal) (Mann-Whitney U / n_p n_n)."""
    p = np.asarray(positives, np.float64).ravel()
    n = np.asarray(negatives, np.float64).ravel()
    if p.size == 0 or n.size == 0:
        return float("nan")
    scores = np.concatenate([p, n])
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ranks = (starts + (counts + 1) / 2)[inverse]  # average rank (1-based) over ties
    u = ranks[: p.size].sum() - p.size * (p.size + 1) / 2
    return float(u / (p.size * n.size))


def threshold_at_false_familiar(negatives: Sequence[float] | np.ndarray, rate: float = 0.05) -> float:
    """Lowest threshold t such that at most ``rate`` of the negatives score > t (familiar means score > t).

    With ``k = floor(rate * n)`` negatives allowed above it, ``t`` is the (k+1)-th highest negative score.
    """
    n = np.sort(np.asarray(negatives, np.float64).ravel())[::-1]
    if n.size == 0:
        return float("-inf")
    k = int(np.floor(rate * n.size + 1e-9))
    return float(n[min(k, n.size - 1)]) if k < n.size else float("-inf")


def hit_at_false_familiar(
    positives: Sequence[float] | np.ndarray, negatives: Sequence[float] | np.ndarray, rate: float = 0.05
) -> float:
    """Hit rate (share of positives scoring above the threshold) where at most ``rate`` of negatives do."""
    p = np.asarray(positives, np.float64).ravel()
    if p.size == 0:
        return float("nan")
    return float(np.mean(p > threshold_at_false_familiar(negatives, rate)))


def threshold_at_hit(positives: Sequence[float] | np.ndarray, hit: float = 0.9) -> float:
    """The highest threshold t at which at least ``hit`` of the positives score >= t (nan without positives)."""
    p = np.sort(np.asarray(positives, np.float64).ravel())[::-1]
    if p.size == 0:
        return float("nan")
    return float(p[max(1, int(np.ceil(hit * p.size - 1e-9))) - 1])


def false_familiar_at_hit(
    positives: Sequence[float] | np.ndarray, negatives: Sequence[float] | np.ndarray, hit: float = 0.9
) -> float:
    """False-familiar rate (share of negatives scoring >= t) at the highest threshold t with a hit rate >= ``hit``."""
    n = np.asarray(negatives, np.float64).ravel()
    if n.size == 0:
        return float("nan")
    t = threshold_at_hit(positives, hit)
    return float(np.mean(n >= t)) if np.isfinite(t) else float("nan")


def identified(memory_ids: Sequence[int], objects: Sequence[int], owner: Mapping[int, int]) -> float:
    """Share of probes whose best-matching memory is their own object's, whatever its similarity: identification.

    A robot that misses a familiarity threshold may still name the object it most likely sees. ``memory_ids`` is each
    probe's best match (-1: none), ``objects`` the object each probe shows, ``owner`` memory id -> the object it was
    stored for.
    """
    if len(memory_ids) != len(objects):
        raise ValueError(f"memory_ids and objects differ in length: {len(memory_ids)} != {len(objects)}")
    if not len(objects):
        return float("nan")
    return float(np.mean([owner.get(int(m), None) == obj for m, obj in zip(memory_ids, objects)]))


def same_category(objects: Sequence[int], matched: Sequence[int | None], category: Callable[[int], Hashable]) -> int:
    """How many of ``objects`` were matched to an object (``matched``; None: to none) of their own category.

    A memory that takes a second handwritten 6 for the 6 it knows generalises over the class; one that takes it for a
    2 confuses two things. ``category`` names an object's class (a digit's label).
    """
    if len(objects) != len(matched):
        raise ValueError(f"objects and matched differ in length: {len(objects)} != {len(matched)}")
    return sum(other is not None and category(other) == category(obj) for obj, other in zip(objects, matched))


def chance_same_category(objects: Sequence[int], category: Callable[[int], Hashable]) -> float:
    """Share of pairs of distinct ``objects`` that share a category: :func:`same_category`'s share by chance."""
    _, counts = np.unique([str(category(obj)) for obj in objects], return_counts=True)
    n = int(counts.sum())
    return float((counts * (counts - 1)).sum() / (n * (n - 1))) if n > 1 else float("nan")


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    v = np.asarray(vectors, np.float32).reshape(len(vectors), -1)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(norms, np.float32(1e-12))


def nn_cosine(stored: np.ndarray, queries: np.ndarray, exclude_self: bool = False) -> np.ndarray:
    """Cosine similarity of each query row to its nearest stored row (-1 where nothing is stored).

    ``exclude_self``: queries are the stored rows themselves; each one's own row is skipped (the
    similarity of a stored vector to its nearest *other* one).
    """
    q = unit_rows(queries)
    if len(stored) == 0:
        return np.full(len(q), -1.0)
    s = unit_rows(stored)
    best = np.full(len(q), -np.inf)
    for start in range(0, len(q), 1024):  # bounded memory for large sets
        sim = q[start : start + 1024] @ s.T
        if exclude_self:
            idx = np.arange(start, min(start + 1024, len(q)))
            sim[idx - start, idx] = -np.inf
        best[start : start + len(sim)] = sim.max(axis=1)
    return np.where(np.isfinite(best), best, -1.0)


def auroc_difference(
    positives: tuple[np.ndarray, np.ndarray],
    negatives: tuple[np.ndarray, np.ndarray],
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """AUROC of scores ``b`` minus that of scores ``a`` on the same probes, with a paired bootstrap interval.

    ``positives`` = (a, b) and ``negatives`` = (a, b): two scores of each probe (e.g. a stage and its input).
    Probes are resampled with replacement, positives and negatives apart, the same draw for both scores, so the
    interval says whether b separates better or worse than a beyond what the choice of probes explains.
    """
    pa, pb = (np.asarray(x, np.float64).ravel() for x in positives)
    na, nb = (np.asarray(x, np.float64).ravel() for x in negatives)
    if pa.shape != pb.shape or na.shape != nb.shape:
        raise ValueError("positives and negatives: both scores must be of the same probes")
    rng = np.random.default_rng(seed)
    deltas = np.empty(resamples)
    for k in range(resamples):
        i, j = rng.integers(0, pa.size, pa.size), rng.integers(0, na.size, na.size)
        deltas[k] = auroc(pb[i], nb[j]) - auroc(pa[i], na[j])
    tail = (1.0 - level) / 2
    low, high = np.quantile(deltas, [tail, 1.0 - tail])
    return {"delta": auroc(pb, nb) - auroc(pa, na), "low": float(low), "high": float(high), "level": level}


def separation(positives: np.ndarray, negatives: np.ndarray) -> dict[str, float]:
    """Median score of learned and of never-seen probes, their gap, and the AUROC."""
    return {
        "median_learned": float(np.median(positives)),
        "median_novel": float(np.median(negatives)),
        "gap": float(np.median(positives) - np.median(negatives)),
        "auroc": auroc(positives, negatives),
    }


# --- plots ----------------------------------------------------------------------------------------

_METHOD_STYLE = {"pipeline": "C0", "rates_nn": "C1", "pixel_nn": "C2", "pixel_nn_all": "C7"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_recognition_vs_n(result: Mapping[str, Any], path: str | Path, kind: str = "new") -> Path:
    """AUROC, hit rate and false-familiar rate against N, one line per method, one column per source.

    ``result`` is bench/recognition.py's JSON (``sources.<name>.runs[N].methods.<method>.<kind>``);
    ``kind`` is a view kind or ``new`` (all new views pooled).
    """
    plt = _plt()
    sources = result["sources"]
    fig, axes = plt.subplots(3, len(sources), figsize=(4.2 * len(sources), 8.5), squeeze=False, sharex=True)
    for col, (name, source) in enumerate(sources.items()):
        runs = source["runs"]
        ns = [int(n) for n in runs]
        methods = list(next(iter(runs.values()))["methods"])
        for method in methods:
            colour = _METHOD_STYLE.get(method)
            cells = [runs[str(n)]["methods"][method].get(kind, {}) for n in ns]
            axes[0, col].plot(ns, [c.get("auroc", np.nan) for c in cells], "o-", color=colour, label=method)
            axes[1, col].plot(ns, [c.get("hit", np.nan) for c in cells], "o-", color=colour, label=f"{method} hit")
            axes[1, col].plot(ns, [c.get("hit_at_5ff", np.nan) for c in cells], "s:", color=colour, alpha=0.7)
            axes[2, col].plot(ns, [c.get("false_familiar", np.nan) for c in cells], "o-", color=colour)
        axes[0, col].set_title(f"{name}: {kind} views")
        axes[0, col].axhline(0.95, color="grey", lw=0.6, ls="--")
        axes[0, col].set_ylabel("AUROC")
        axes[1, col].set_ylabel("hit rate (solid: own; dotted: @5% FF)")
        axes[2, col].set_ylabel("false-familiar rate")
        axes[2, col].axhline(0.05, color="grey", lw=0.6, ls="--")
        axes[2, col].set_xlabel("objects learned N")
        for row in range(3):
            axes[row, col].set_xscale("log")
            axes[row, col].set_ylim(-0.02, 1.02)
            axes[row, col].grid(alpha=0.3)
        axes[0, col].legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_stage_separation(result: Mapping[str, Any], path: str | Path, kind: str = "new") -> Path:
    """Per stage (pixels -> memory input): median nearest-neighbour cosine of learned and never-seen
    probes (top) and the stage's nearest-neighbour AUROC (bottom), one line per N, one column per source."""
    plt = _plt()
    sources = result["sources"]
    fig, axes = plt.subplots(2, len(sources), figsize=(4.2 * len(sources), 6.5), squeeze=False)
    for col, (name, source) in enumerate(sources.items()):
        runs = source["runs"]
        for i, (n, run) in enumerate(runs.items()):
            stages = run.get("stages", {})
            names = [s for s in stages if kind in stages[s]]
            if not names:
                continue
            x = np.arange(len(names))
            colour = plt.cm.viridis(i / max(1, len(runs) - 1))
            learned = [stages[s][kind]["median_learned"] for s in names]
            novel = [stages[s][kind]["median_novel"] for s in names]
            axes[0, col].plot(x, learned, "o-", color=colour, label=f"N={n} learned")
            axes[0, col].plot(x, novel, "x--", color=colour, label=f"N={n} never-seen")
            axes[1, col].plot(x, [stages[s][kind]["auroc"] for s in names], "o-", color=colour, label=f"N={n}")
            for ax in axes[:, col]:
                ax.set_xticks(x, names, rotation=20, fontsize=8)
        axes[0, col].set_title(f"{name}: {kind} views")
        axes[0, col].set_ylabel("median NN cosine")
        axes[1, col].set_ylabel("NN AUROC")
        axes[1, col].set_ylim(0.4, 1.02)
        for ax in axes[:, col]:
            ax.grid(alpha=0.3)
        axes[0, col].legend(fontsize=6, ncol=2)
        axes[1, col].legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
