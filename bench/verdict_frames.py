"""How memory's verdict evolves over a probe look, frame by frame: what its own feedback does to a recognition.

Learns N objects with the shipped :class:`hebbian_ros.core.loop.Loop` (``bench/recognition.py``'s protocol), then
probes learned objects' new views and as many never-seen objects with learning off (blank gap, then the view for
``VIEW_FRAMES`` frames, as the benchmark does) and records, per frame, memory's reported similarity, best memory
and verdict. Reported per source:

* the AUROC of the reported similarity at each frame (the benchmark scores frame ``VERDICT``) and of its maximum
  over the look;
* recognitions lost: probes familiar at the first frame but not at the verdict frame, and those whose reported
  memory changed in between (the feedback's distortion making another memory the best match);
* memories stored and the adaptive threshold after learning.

``python bench/verdict_frames.py [--sources digits,sim] [--n 300] [--quick]`` (``bench/run.sh verdict_frames``);
JSON in ``bench/results/verdict_frames.json``. bench/RESULTS.md 5n.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import recognition as rec  # noqa: E402
from stimulus_sets import make_source  # noqa: E402


def look(loop, frames: rec.Frames, obj: int, kind: str) -> tuple[list[float], list[int], list[bool]]:
    """One probe look with learning off: per frame, the reported similarity, memory and verdict."""
    loop.reset_sensor()
    for _ in range(rec.GAP_PROBE):
        loop.frame(frames.blank, rec.DT, learn=False)
    similarity, memory, familiar = [], [], []
    view = frames.view(obj, kind)
    for _ in range(rec.VIEW_FRAMES):
        recall = loop.frame(view, rec.DT, learn=False).recall
        similarity.append(float(recall.similarity))
        memory.append(int(recall.memory_id))
        familiar.append(bool(recall.familiar))
    return similarity, memory, familiar


def measure(name: str, n: int, seed: int, log) -> dict:
    source = make_source(name, seed)
    frames = rec.Frames(source, seed)
    learned, novel = source.learned_ids(n), source.novel_ids(n)
    loop = rec.pipeline_factory(None, None)()
    rec.learn(loop, frames, learned)
    kinds = [k for k in source.kinds if k != "same"]
    looks = {
        label: [look(loop, frames, obj, kind) for kind in kinds for obj in objects]
        for label, objects in (("learned", learned), ("novel", novel))
    }
    verdict = rec.VERDICT - 1
    out: dict = {"memories": int(loop.memory.size), "threshold": float(loop.memory.threshold)}
    for label, rows in looks.items():
        first = [f[0] for _, _, f in rows]
        out[label] = {
            "probes": len(rows),
            "familiar_first_frame": int(sum(first)),
            "familiar_verdict": int(sum(f[verdict] for _, _, f in rows)),
            "lost": int(sum(f[0] and not f[verdict] for _, _, f in rows)),
            "memory_changed": int(sum(f[0] and m[verdict] != m[0] for _, m, f in rows)),
        }
    pos, neg = np.array([s for s, _, _ in looks["learned"]]), np.array([s for s, _, _ in looks["novel"]])
    out["auroc_by_frame"] = [float(rec.auroc(pos[:, k], neg[:, k])) for k in range(pos.shape[1])]
    out["auroc_max_over_look"] = float(rec.auroc(pos.max(axis=1), neg.max(axis=1)))
    log(f"{name} N={n}: {out}")
    return out


def report(result: dict) -> None:
    """The table: per source, AUROC by frame, and recognitions lost between the first and the verdict frame."""
    print(f"\nN = {result['n']}, new views pooled; verdict frame {rec.VERDICT}")
    print(
        "| source | memories | threshold | AUROC frame 1 … 6 | max over look | learned: lost / familiar at frame 1 "
        "(memory changed) | never-seen: lost / familiar at frame 1 |"
    )
    for name, r in result["sources"].items():
        frames = ", ".join(f"{a:.3f}" for a in r["auroc_by_frame"])
        k, u = r["learned"], r["novel"]
        print(
            f"| {name} | {r['memories']} | {r['threshold']:.4f} | {frames} | {r['auroc_max_over_look']:.3f} | "
            f"{k['lost']} / {k['familiar_first_frame']} ({k['memory_changed']}) | "
            f"{u['lost']} / {u['familiar_first_frame']} |"
        )


def main(argv: list[str] | None = None) -> int:
    return common.per_source_main(argv, __doc__, "verdict_frames", "digits,sim", "digits", measure, None, report)


if __name__ == "__main__":
    sys.exit(main())
