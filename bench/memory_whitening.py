"""What whitened matching would add to the memory the loop builds: post hoc, on the recognition benchmark's frames.

Learns N objects with the shipped :class:`hebbian_ros.core.loop.Loop` (``bench/recognition.py``'s protocol), probes
learned objects' new views and as many never-seen objects with learning off, and scores each probe's memory input
(the pipeline's ``top`` at the verdict frame) by its best cosine to memory's stored vectors, as they are:

* against every entry (prototypes, gaze views and a-ha copies: what memory does) and against prototypes only;
* the same after :class:`hebbian_ros.core.memory.match_whitening.MatchWhitening` (scatter ``total`` or ``views``,
  three priors) fitted on those entries, or on the prototypes only.

The memory is the same in every row (no decision, no merge), so the rows differ only by the metric: how much of
the offline gain of 5k is left once memory keeps several views per object. AUROC pooled over new views.

``python bench/memory_whitening.py [--sources sim,digits] [--n 300] [--quick]`` (``bench/run.sh memory_whitening``);
JSON in ``bench/results/memory_whitening.json``. bench/RESULTS.md 5l.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import common  # noqa: E402
import recognition as rec  # noqa: E402

from hebbian_ros.core.memory.match_whitening import MatchWhitening, WhiteningParams  # noqa: E402

PRIORS = (200.0, 1000.0, 5000.0)


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def measure(name: str, n: int, seed: int, log) -> dict:
    source, frames, learned, novel, loop = rec.learned_pipeline(name, n, seed)
    kinds = tuple(k for k in source.kinds if k != "same")
    pos, neg = rec.probe_set(loop, frames, learned, kinds), rec.probe_set(loop, frames, novel, kinds)
    known = np.concatenate([np.stack([r["top"] for r in pos[k]]) for k in kinds])
    unknown = np.concatenate([np.stack([r["top"] for r in neg[k]]) for k in kinds])
    memory = loop.memory
    prototypes, owners = memory.patterns[memory.used], np.flatnonzero(memory.used)
    copies = memory.pool.owner >= 0
    entries = np.vstack([prototypes, memory.pool.entries[copies]])
    entry_owners = np.concatenate([owners, memory.pool.owner[copies]])
    log(f"{name} N={n}: {len(prototypes)} memories, {len(entries)} entries, {len(known)} + {len(unknown)} probes")

    def auroc(stored: np.ndarray, f=lambda x: x) -> float:
        s = f(stored)
        return float(rec.separation((f(unit(known)) @ s.T).max(axis=1), (f(unit(unknown)) @ s.T).max(axis=1))["auroc"])

    scores = np.concatenate([[r["score"] for r in pos[k]] for k in kinds])
    novel_scores = np.concatenate([[r["score"] for r in neg[k]] for k in kinds])
    out = {
        "memories": len(prototypes),
        "entries": len(entries),
        "pipeline": float(rec.separation(scores, novel_scores)["auroc"]),
        "plain": {"entries": auroc(entries), "prototypes": auroc(prototypes)},
    }
    for scatter in ("total", "views"):
        for prior in PRIORS:
            whitening = MatchWhitening(WhiteningParams(prior, scatter), entries.shape[1])
            whitening.fit(entries, entry_owners)
            out[f"{scatter}_{prior:g}"] = {
                "entries": auroc(entries, whitening),
                "prototypes": auroc(prototypes, whitening),
            }
    for prior in PRIORS:  # fitted on one vector per memory, the prior scaled to as many samples
        whitening = MatchWhitening(WhiteningParams(prior * len(prototypes) / len(entries), "total"), entries.shape[1])
        whitening.fit(prototypes, owners)
        out[f"prototypes_fit_{prior:g}"] = {
            "entries": auroc(entries, whitening),
            "prototypes": auroc(prototypes, whitening),
        }
    log(f"  {out}")
    return out


def report(result: dict) -> None:
    """The table: pipeline, then each matcher's AUROC over entries / prototypes only."""
    results = result["sources"]
    print(
        f"\nN = {result['n']}, new views pooled, AUROC of the best cosine to memory's vectors "
        "(entries / prototypes only)"
    )
    print("| metric | " + " | ".join(results) + " |")
    first = next(iter(results.values()))
    print("| pipeline (memory's own score) | " + " | ".join(f"{r['pipeline']:.3f}" for r in results.values()) + " |")
    for row in (k for k in first if isinstance(first[k], dict)):
        cells = [f"{r[row]['entries']:.3f} / {r[row]['prototypes']:.3f}" for r in results.values()]
        print(f"| {row} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    return common.per_source_main(
        argv, __doc__, "memory_whitening", "sim,digits", "digits", measure, {"priors": PRIORS}, report
    )


if __name__ == "__main__":
    sys.exit(main())
