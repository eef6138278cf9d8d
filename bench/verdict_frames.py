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
JSON in ``bench/results/verdict_frames.json``. bench/RESULTS.md 5n, 5o.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import recognition as rec  # noqa: E402


def measure(name: str, n: int, seed: int, log) -> dict:
    source, frames, learned, novel, loop = rec.learned_pipeline(name, n, seed)
    kinds = tuple(k for k in source.kinds if k != "same")
    looks = {
        label: [r["by_frame"] for rows in rec.probe_set(loop, frames, objects, kinds).values() for r in rows]
        for label, objects in (("learned", learned), ("novel", novel))
    }
    verdict = rec.VERDICT - 1
    out: dict = {"memories": int(loop.memory.size), "threshold": float(loop.memory.threshold)}
    for label, rows in looks.items():
        out[label] = {
            "probes": len(rows),
            "familiar_first_frame": int(sum(r["familiar"][0] for r in rows)),
            "familiar_verdict": int(sum(r["familiar"][verdict] for r in rows)),
            "lost": int(sum(r["familiar"][0] and not r["familiar"][verdict] for r in rows)),
            "memory_changed": int(sum(r["familiar"][0] and r["memory_id"][verdict] != r["memory_id"][0] for r in rows)),
        }
    pos, neg = (np.array([r["similarity"] for r in looks[label]]) for label in ("learned", "novel"))
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
