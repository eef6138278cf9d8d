"""What a second look costs (bench/RESULTS.md 5t): a probe look with and without it, side by side in one process.

Learns N digits with the shipped loop (``bench/recognition.py``'s protocol), then times fresh probe looks (3 blank
frames, 6 frames of a new view; learning off) of learned and never-seen digits, alternating the memory's
``second_look`` between rounds (switching it retakes the nearest-other samples, so each round runs as shipped).
Prints and saves the time per look and per frame, and how many looks asked for a second look.

``python bench/second_look_cost.py [--n 300] [--rounds 5]``; JSON in ``bench/results/second_look_cost.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import recognition as rec  # noqa: E402


def look(loop, frames, obj: int, kind: str) -> tuple[float, bool]:
    """One probe look: seconds spent in ``Loop.frame`` and whether memory asked for a second look."""
    loop.reset_sensor()
    asked, started = False, time.perf_counter()
    for _ in range(rec.GAP_PROBE):
        loop.frame(frames.blank, rec.DT, learn=False)
    for _ in range(rec.VIEW_FRAMES):
        asked |= loop.frame(frames.view(obj, kind), rec.DT, learn=False).recall.look_again
    return time.perf_counter() - started, asked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--source", default="digits")
    args = parser.parse_args(argv)
    source, frames, learned, novel, loop = rec.learned_pipeline(args.source, args.n, 0)
    probes = [(obj, kind) for obj in learned[:50] + novel[:50] for kind in ("shift", "scale")]
    for obj, kind in probes:  # render every view before timing
        frames.view(obj, kind)
    shipped = loop.memory.params
    timing = {True: [], False: []}
    asked = {True: 0, False: 0}
    for _ in range(args.rounds):
        for second_look in (True, False):
            loop.memory.params = dataclasses.replace(shipped, second_look=second_look)
            spent = [look(loop, frames, obj, kind) for obj, kind in probes]
            timing[second_look].append(sum(s for s, _ in spent) / len(spent))
            asked[second_look] = sum(a for _, a in spent)
    frames_per_look = rec.GAP_PROBE + rec.VIEW_FRAMES
    result = {
        "source": args.source,
        "n": args.n,
        "memories": loop.memory.size,
        "looks_per_round": len(probes),
        "frames_per_look": frames_per_look,
        "asked_second_look": asked[True],
        "us_per_look": {("second_look" if k else "one_look"): min(v) * 1e6 for k, v in timing.items()},
    }
    result["ratio"] = result["us_per_look"]["second_look"] / result["us_per_look"]["one_look"]
    print(
        f"{args.source}, {loop.memory.size} memories: a look ({frames_per_look} frames) "
        f"{result['us_per_look']['one_look']:.0f} us without, {result['us_per_look']['second_look']:.0f} us with a "
        f"second look (x{result['ratio']:.2f}); {asked[True]} of {len(probes)} looks asked for one"
    )
    common.save("second_look_cost", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
