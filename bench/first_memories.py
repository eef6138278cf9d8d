"""Why the first 10 objects are no longer recognised after N more: memory moved, the layers moved, or the threshold rose.

Learns the first 10 objects with the shipped :class:`hebbian_ros.core.loop.Loop` (``bench/recognition.py``'s
protocol), probes them (learning view, learning off) on a copy, learns the other N - 10, and probes them again.
Reports each probe's memory, score and verdict at both times, the threshold at both times, how far the matched
memories' prototypes moved (cosine to themselves) and how far each layer's weights moved (relative norm).

``python bench/first_memories.py [--sources digits,sim] [--n 300] [--quick]`` (``bench/run.sh first_memories``);
JSON in ``bench/results/first_memories.json``. bench/RESULTS.md 5l.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import recognition as rec  # noqa: E402
from stimulus_sets import make_source  # noqa: E402

FIRST = 10


def measure(name: str, n: int, seed: int, log) -> dict:
    source = make_source(name, seed)
    frames = rec.Frames(source, seed)
    first = source.learned_ids(n)[:FIRST]
    rest = source.learned_ids(n)[FIRST:]
    loop = rec.pipeline_factory(None, None)()
    rec.learn(loop, frames, first)

    def probe(pipeline) -> list[dict]:
        out = []
        for obj in first:
            r = rec.probe(pipeline, frames.blank, frames.view(obj, "same"))
            out.append({"memory_id": r["memory_id"], "score": r["score"], "familiar": r["familiar"]})
        return out

    early = copy.deepcopy(loop)
    before = {"threshold": early.memory.threshold, "memories": early.memory.size, "probes": probe(early)}
    weights = [np.array(layer.weights, np.float32) for layer in loop.layers]
    patterns = loop.memory.patterns.copy()
    rec.learn(loop, frames, rest)
    after = {"threshold": loop.memory.threshold, "memories": loop.memory.size, "probes": probe(loop)}
    matched = sorted({p["memory_id"] for p in before["probes"] if p["memory_id"] >= 0})
    out = {
        "before": before,
        "after": after,
        "prototype_self_cosine": [float(patterns[i] @ loop.memory.patterns[i]) for i in matched],
        "layer_weight_change": [
            float(np.linalg.norm(np.asarray(layer.weights) - w) / np.linalg.norm(w))
            for layer, w in zip(loop.layers, weights)
        ],
    }
    log(
        f"{name} N={n}: threshold {before['threshold']:.4f} -> {after['threshold']:.4f}, recognised "
        f"{sum(p['familiar'] for p in before['probes'])} -> {sum(p['familiar'] for p in after['probes'])} of {FIRST}, "
        f"scores {min(p['score'] for p in after['probes']):.3f}-{max(p['score'] for p in after['probes']):.3f}, "
        f"prototypes' self-cosine >= {min(out['prototype_self_cosine']):.4f}, "
        f"layers moved {', '.join(f'{c:.4f}' for c in out['layer_weight_change'])}"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    return common.per_source_main(argv, __doc__, "first_memories", "digits,sim", "digits", measure)


if __name__ == "__main__":
    sys.exit(main())
