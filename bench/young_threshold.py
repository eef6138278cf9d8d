"""Where a young memory's fixed threshold comes from: alike objects of a development world, in the shipped code.

Until ``adaptive_after`` memories exist, memory decides with the fixed cosine ``familiarity_threshold``. That cosine
belongs to one representation (a code whose patterns sit closer together needs a higher one), so it is calibrated
the way the adaptive threshold later sets itself: the ``threshold_quantile`` quantile of each object's similarity to
its nearest other object. The objects are ``--objects`` generated objects of a world the recognition benchmark never
draws from (seed 7; the benchmark's is 0), each seen as the benchmark's verdict frame sees it (a fresh look, frame 5,
through the layers, nothing learned).

``python bench/young_threshold.py [--config DIR] [--objects 30] [--seed 7]`` (``bench/run.sh young_threshold``);
JSON in ``bench/results/young_threshold.json``. bench/RESULTS.md 5q.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

from hebbian_ros.core.loop import Loop  # noqa: E402


def first_looks(loop: Loop, images: list[np.ndarray], frames: int, dt: float) -> np.ndarray:
    """Unit-norm patterns memory receives at frame ``frames`` of a fresh look at each image (learning off)."""
    rows = []
    for image in images:
        loop.reset_sensor()
        for _ in range(frames):
            top = loop.top(loop.sense(image, dt), 0.0)
        rows.append(top / max(float(np.linalg.norm(top)), 1e-12))
    return np.stack(rows)


def nearest_other(patterns: np.ndarray) -> np.ndarray:
    """Each unit-norm pattern's cosine to its nearest other pattern."""
    similarity = patterns @ patterns.T
    np.fill_diagonal(similarity, -np.inf)
    return similarity.max(axis=1)


def nearest_others(loop: Loop, objects: int, seed: int) -> np.ndarray:
    """Each of ``objects`` generated objects of world ``seed``, seen as the benchmark's verdict frame sees it through
    ``loop``: its cosine to its nearest other."""
    import recognition as rec  # here, not at import: bench/developed_layer1.py, a hook recognition.py loads, uses this

    from hebbian_ros.sim.many_objects import ManyObjects

    world = ManyObjects(objects, seed=seed)
    try:
        return nearest_other(first_looks(loop, [world.view(i, "same") for i in range(objects)], rec.VERDICT, rec.DT))
    finally:
        world.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=None, help="a variant folder merged over config/ (default: config/)")
    parser.add_argument("--objects", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    loop = Loop.from_config(args.config)
    near = nearest_others(loop, args.objects, args.seed)
    quantile = loop.memory.params.threshold_quantile
    result = {
        "config": args.config or "config/",
        "objects": args.objects,
        "world_seed": args.seed,
        "threshold_quantile": quantile,
        "calibrated": float(np.quantile(near, quantile)),
        "configured": float(loop.memory.params.familiarity_threshold),
        "nearest_other": {f"q{q:g}": float(np.quantile(near, q)) for q in (0.5, 0.9, 0.97, 1.0)},
    }
    print(
        f"{args.objects} objects of world seed {args.seed}: nearest-other similarity median "
        f"{result['nearest_other']['q0.5']:.4f}, quantile {quantile:g} {result['calibrated']:.4f}; "
        f"familiarity_threshold configured {result['configured']:.4f}"
    )
    common.save("young_threshold", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
