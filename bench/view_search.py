"""What the recognition benchmark's sources allow: a matcher that searches the view changes, and generated twins.

Not a learner: a reference for bench/recognition.py's figures (RESULTS 5j). For N learned objects (their learning
view, frame 5 of the look) and N never-seen ones, each under the source's new views:

* ``plain``: nearest-neighbour cosine of mean-subtracted 32x32 RGB pixels (what ``pixel_nn`` does at 64x64);
* ``search``: the same, but each stored image is also tried under 225 camera changes (shifts of -4..4 px in steps
  of 2, zoom 0.9 / 1 / 1.1, roll -10 / 0 / 10 deg), the best taken: a matcher that knows the view changes the
  benchmark makes (not a new pose, not the lighting);
* generated objects only: ``twins``, the never-seen objects with a learned one of the same appearance
  (:func:`hebbian_ros.sim.many_objects.appearance`); the AUROC is also given without them. ``sim`` has none;
  ``sim_twins`` (the source of RESULTS 5j) has them.

Usage: python bench/view_search.py [--quick] [--sources sim,sim_twins,digits,photos] [--n 300]; writes bench/results/view_search.json.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import common
import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")

from stimulus_sets import make_source  # noqa: E402

from hebbian_ros.evaluation.recognition import auroc  # noqa: E402

TRANSFORMS = [
    (dy, dx, s, a)
    for dy in (-4, -2, 0, 2, 4)
    for dx in (-4, -2, 0, 2, 4)
    for s in (0.9, 1.0, 1.1)
    for a in (-10, 0, 10)
]


def unit_rows(x: np.ndarray) -> np.ndarray:
    """(B, 64, 64, 3) -> mean-subtracted unit rows of the 32x32 average."""
    x = x.reshape(x.shape[0], 32, 2, 32, 2, 3).mean((2, 4)).reshape(x.shape[0], -1)
    x = x - x.mean(1, keepdims=True)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)


def warp(image: np.ndarray, dy: float, dx: float, scale: float, angle: float) -> np.ndarray:
    from scipy.ndimage import map_coordinates

    grid = np.arange(64, dtype=np.float64) - 31.5
    v, u = np.meshgrid(grid, grid, indexing="ij")
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    rows = 31.5 + dy + (c * v - s * u) / scale
    cols = 31.5 + dx + (s * v + c * u) / scale
    return np.stack([map_coordinates(image[..., k], [rows, cols], order=1, mode="nearest") for k in range(3)], -1)


def run_source(name: str, n: int) -> dict:
    source = make_source(name)
    learned, novel = source.learned_ids(n), source.novel_ids(n)
    kinds = [k for k in source.kinds if k != "same"]
    stored = np.stack([source.learning_look(o, 5)[4] for o in learned]).astype(np.float32)
    pos = {k: unit_rows(np.stack([source.view(o, k) for o in learned]).astype(np.float32)) for k in kinds}
    neg = {k: unit_rows(np.stack([source.view(o, k) for o in novel]).astype(np.float32)) for k in kinds}
    templates = [unit_rows(np.stack([warp(im, *t) for im in stored])) for t in TRANSFORMS]
    plain = unit_rows(stored)

    def score(q: np.ndarray, search: bool) -> np.ndarray:
        if not search:
            return (q @ plain.T).max(1)
        return np.max([(q @ t.T).max(1) for t in templates], axis=0)

    out: dict = {"n": n, "kinds": kinds}
    for method, search in (("plain", False), ("search", True)):
        p = {k: score(pos[k], search) for k in kinds}
        q = {k: score(neg[k], search) for k in kinds}
        out[method] = {k: auroc(p[k], q[k]) for k in kinds}
        out[method]["new"] = auroc(np.concatenate(list(p.values())), np.concatenate(list(q.values())))
        if name.startswith("sim"):
            from hebbian_ros.sim.many_objects import appearance

            keys = {appearance(source.objects.spec(o)) for o in learned}
            twin = np.array([appearance(source.objects.spec(o)) in keys for o in novel])
            out["twins"] = int(twin.sum())
            others = np.concatenate([q[k][~twin] for k in kinds])
            out[method]["new_without_twins"] = auroc(np.concatenate(list(p.values())), others)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default="sim,digits,photos")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="N = 30")
    args = parser.parse_args()
    if args.quick:
        args.n = 30
    results = {}
    for name in args.sources.split(","):
        started = time.perf_counter()
        results[name] = run_source(name, args.n)
        r = results[name]
        print(
            f"{name} N={args.n}: new views AUROC plain {r['plain']['new']:.3f}, search {r['search']['new']:.3f}"
            + (
                f"; {r['twins']} never-seen twins, without them {r['plain']['new_without_twins']:.3f} / "
                f"{r['search']['new_without_twins']:.3f}"
                if "twins" in r
                else ""
            )
            + f" ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    common.save("view_search", {"sources": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
