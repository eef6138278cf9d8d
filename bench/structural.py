"""Structural plasticity: duplicate copies against input noise, neurogenesis against forgetting, bounded synapses.

All three run the ROS-free loop (``hebbian_ros.core.loop.Loop``: sensor receptive fields with
habituation, the feature layers of config/layers.yaml, memory, neuromodulator), each comparison on
the same images and seeds, measured in the same run.

1. Noise. The embedded simulator's tabletop world is explored (``camera_exploration``: 4 objects,
   expanding order, 2 rounds, 1 cm view jitter, camera noise of the SDF) and learned by the loop with
   structural plasticity on (copies grown at the a-ha and along the confirmed path) and off (one
   prototype per memory). Then learning stops and fresh views of each object (other jitter seed) are
   shown corrupted (``hebbian_ros.experiments.image_noise``: Gaussian sigma, salt-and-pepper fraction,
   occlusion area; fresh noise every frame) for 12 frames each from a rested sensor, the way a revisit
   looks: ``glance`` scores the first 4 frames, ``look`` all 12 (the sensor habituates meanwhile). A
   frame is correct when memory finds it familiar and the memory was stored while that object was in
   view. Mean over seeds.
2. Capacity. Synthetic stimuli (``stimuli.scene``: colours x shapes x positions, shuffled) are learned
   one after the other (15 blank + 45 frames each); after each one every stimulus learned so far is
   tested (3 frames, rested sensor, learning off) for recognition by the memory that recognised it right
   after it was learned. Capacity = stimuli learned before the first earlier one is no longer
   recognised. Memory starts with ``start`` units; with neurogenesis FULL/GROWTH add 8 units per
   grant (at most one per simulated second) up to ``max``; without, a full memory recycles its
   least-used unit.
3. Bound. Random stimuli (any colour, shape, position) for 10 frames each, 10^5 frames (10^4 with
   --quick), with neurogenesis, duplicates, pruning and a tight synapse budget: synapses, units and
   the bytes of memory's state are sampled every 100 frames.

Usage: python bench/structural.py [--quick]   (writes bench/results/structural.json)
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections import Counter

import common
import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")

from hebbian_ros.core.loop import MEMORY_NODE, Loop
from hebbian_ros.core.parameters import MEMORY, read_overrides
from hebbian_ros.experiments.image_noise import corrupt
from hebbian_ros.experiments.stimuli import COLOURS, SHAPES, scene
from hebbian_ros.resources import config_dir

NOISE_LEVELS = {
    "none": (0.0,),
    "gaussian": (0.1, 0.2, 0.3),
    "salt_pepper": (0.1, 0.2, 0.3),
    "occlusion": (0.1, 0.2, 0.3),
}
OFF = {"structural": False}
ON = {"structural": True}


# --- 1. recognition under noise -------------------------------------------------------------------


def tabletop_views(seed: int, test_views: int) -> tuple[list[np.ndarray], list[str], dict[str, list[np.ndarray]]]:
    """Training frames and labels of an exploration of the tabletop, and fresh test views per object."""
    from hebbian_ros.sim.exploration import camera_exploration, drive
    from hebbian_ros.sim.simulator import EmbeddedSimulator

    sim = EmbeddedSimulator("tabletop", seed=seed)
    steps = camera_exploration(sim.world, frames_per_view=30, gap_frames=10, rounds=2, jitter=0.01, seed=seed)
    images, labels = [], []
    for step, image in drive(sim, steps):
        images.append(image)
        labels.append(step.label or "")
    sim.reset(seed + 1000)
    steps = camera_exploration(
        sim.world, frames_per_view=test_views * 4, gap_frames=0, order="cyclic", rounds=1, jitter=0.01, seed=seed + 1000
    )
    tests: dict[str, list[np.ndarray]] = {}
    for step, image in drive(sim, steps):
        if step.label and len(tests.setdefault(step.label, [])) < test_views and step.index % 4 == 3:
            tests[step.label].append(image)
    return images, labels, tests


def learn_views(memory: dict, images: list[np.ndarray], labels: list[str]) -> tuple[Loop, dict[int, str]]:
    """The loop after learning the exploration; memory id -> object in view when it was stored."""
    loop = Loop.from_config(memory=memory)
    owner: dict[int, str] = {}
    for image, label in zip(images, labels):
        step = loop.frame(image)
        if step.recall.stored:
            owner[step.recall.memory_id] = label
    return loop, owner


def noisy_accuracy(
    loop: Loop,
    owner: dict[int, str],
    tests: dict[str, list[np.ndarray]],
    kind: str,
    level: float,
    seed: int,
    frames: int = 12,
    glance: int = 4,
) -> tuple[float, float]:
    """Shares of corrupted test frames recognised as a memory of the object in view: first ``glance``, all."""
    rng = np.random.default_rng(seed)
    correct = np.zeros(frames)
    for label, views in sorted(tests.items()):
        for view in views:
            loop.reset_sensor()
            for i in range(frames):
                recall = loop.frame(corrupt(view, kind, level, rng), learn=False).recall
                correct[i] += bool(recall.familiar and owner.get(recall.memory_id) == label)
    total = sum(len(views) for views in tests.values())
    return float(correct[:glance].sum() / (glance * total)), float(correct.sum() / (frames * total))


def noise_benchmark(seeds: list[int], test_views: int) -> dict:
    table: dict[str, dict[str, list[float]]] = {}
    structure = {"on": [], "off": []}
    for seed in seeds:
        images, labels, tests = tabletop_views(seed, test_views)
        for name, memory in (("off", OFF), ("on", ON)):
            loop, owner = learn_views(memory, images, labels)
            structure[name].append(
                {
                    "memories": loop.memory.size,
                    "copies": int(loop.memory.copies.sum()),
                    "synapses": loop.memory.synapses,
                }
            )
            for kind, levels in NOISE_LEVELS.items():
                for level in levels:
                    key = f"{kind} {level:g}"
                    table.setdefault(key, {"on": [], "off": []})[name].append(
                        noisy_accuracy(loop, owner, tests, kind, level, seed + 7)
                    )
    rows = {
        key: {
            f"{name} {part}": float(np.mean([v[i] for v in values]))
            for name, values in by.items()
            for i, part in enumerate(("glance", "look"))
        }
        for key, by in table.items()
    }
    return {
        "seeds": seeds,
        "test_views_per_object": test_views,
        "frames_per_view": 12,
        "glance_frames": 4,
        "accuracy": rows,
        "per_seed": table,
        "structure": structure,
    }


# --- 2. capacity with and without neurogenesis ----------------------------------------------------


def stimulus_set(positions: int, seed: int) -> list[tuple[str, tuple[int, int]]]:
    """Colours x shapes x ``positions`` offsets, shuffled."""
    offsets = [(0, 0), (-12, -12), (12, 12), (-12, 12), (12, -12)][:positions]
    items = [(f"{colour}_{shape}", offset) for colour in sorted(COLOURS) for shape in SHAPES for offset in offsets]
    order = np.random.default_rng(seed).permutation(len(items))
    return [items[i] for i in order]


def recognised_as(loop: Loop, image: np.ndarray, frames: int = 3) -> int:
    """Memory that recognises ``image`` in most of ``frames`` rested frames (-1: not familiar)."""
    loop.reset_sensor()
    ids = [r.memory_id for r in (loop.frame(image, learn=False).recall for _ in range(frames)) if r.familiar]
    return Counter(ids).most_common(1)[0][0] if ids else -1


def pattern_size() -> int:
    """Memory's pattern size in the shipped configuration: budgets below are counted in patterns of it."""
    return int(MEMORY.resolve(read_overrides(config_dir() / "memory.yaml", MEMORY_NODE))["dim"])


def capacity_run(stimuli, start: int, maximum: int, neurogenesis: bool) -> dict:
    budget = maximum * pattern_size()  # room for every unit's prototype
    memory = {"capacity": start, "max_capacity": maximum if neurogenesis else 0, "synapse_budget": budget}
    loop = Loop.from_config(memory=memory, neuromodulator={"growth_units": 8 if neurogenesis else 0})
    blank = scene("blank")
    images = [scene(name, offset=offset) for name, offset in stimuli]
    own: list[int] = []
    first_forgetting = None
    retained_curve = []
    for i, image in enumerate(images):
        for _ in range(15):
            loop.frame(blank)
        for _ in range(45):
            loop.frame(image)
        for _ in range(5):
            loop.frame(blank)
        own.append(recognised_as(loop, image))
        retained = [own[j] >= 0 and recognised_as(loop, images[j]) == own[j] for j in range(i + 1)]
        retained_curve.append(int(sum(retained)))
        learned = [j for j in range(i + 1) if own[j] >= 0]
        if first_forgetting is None and not all(retained[j] for j in learned):
            first_forgetting = i  # stimuli learned before this one stayed recognised
    final = [own[j] >= 0 and recognised_as(loop, images[j]) == own[j] for j in range(len(images))]
    distinct = len({own[j] for j in range(len(images)) if final[j]})
    return {
        "capacity": first_forgetting if first_forgetting is not None else len(images),
        "retained_at_end": int(sum(final)),
        "distinct_memories_at_end": distinct,
        "units_at_end": loop.memory.capacity,
        "retained_curve": retained_curve,
        "not_learned": sum(o < 0 for o in own),
    }


def capacity_benchmark(positions: int, start: int, maximum: int, seed: int) -> dict:
    stimuli = stimulus_set(positions, seed)
    out = {"stimuli": len(stimuli), "start_units": start, "max_units": maximum, "seed": seed}
    for name, neuro in (("fixed", False), ("neurogenesis", True)):
        out[name] = capacity_run(stimuli, start, maximum, neuro)
    return out


# --- 3. bounded synapses over a long run ----------------------------------------------------------


def long_run(frames: int, seed: int, lifetime: int = 2000) -> dict:
    start, maximum, budget = 16, 64, 48 * pattern_size()  # 48 patterns: prototypes and copies compete for it
    memory = {"capacity": start, "max_capacity": maximum, "synapse_budget": budget, "unused_lifetime": lifetime}
    loop = Loop.from_config(memory=memory, neuromodulator={"growth_units": 8})
    rng = np.random.default_rng(seed)
    names = [f"{c}_{s}" for c in sorted(COLOURS) for s in SHAPES]
    kinds: Counter = Counter()
    samples = []
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    state_bytes_start = sum(np.asarray(v).nbytes for v in loop.memory.state_dict().values())
    image = scene("blank")
    for frame in range(frames):
        if frame % 10 == 0:
            offset = tuple(int(v) for v in rng.integers(-16, 17, 2))
            image = scene(names[rng.integers(len(names))], offset=offset)
        step = loop.frame(image)
        kinds.update(change.kind.name for change in step.structure)
        if frame % 100 == 99:
            samples.append(
                (
                    frame + 1,
                    loop.memory.synapses,
                    loop.memory.capacity,
                    loop.memory.size,
                    int(loop.memory.copies.sum()),
                    sum(np.asarray(v).nbytes for v in loop.memory.state_dict().values()),
                )
            )
    arr = np.array(samples)
    return {
        "frames": frames,
        "synapse_budget": budget,
        "start_units": start,
        "max_units": maximum,
        "max_synapses": int(arr[:, 1].max()),
        "final_synapses": int(arr[-1, 1]),
        "max_units_reached": int(arr[:, 2].max()),
        "final_memories": int(arr[-1, 3]),
        "final_copies": int(arr[-1, 4]),
        "state_bytes_start": int(state_bytes_start),
        "state_bytes_max": int(arr[:, 5].max()),
        "maxrss_kib_before": rss_start,
        "maxrss_kib_after": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "events": dict(kinds),
        "episodes": loop.modulator.episodes,
        "samples": [list(map(int, s)) for s in samples[:: max(1, len(samples) // 50)]],
    }


# --- report ---------------------------------------------------------------------------------------


def print_tables(result: dict) -> None:
    noise = result["noise"]["accuracy"]
    print(
        "\nRecognition accuracy under input noise, structural plasticity off / on "
        "(glance: first 4 frames of a view, look: all 12)"
    )
    print(f"{'noise':<18}{'glance off':>11}{'on':>7}{'gain':>8}{'look off':>11}{'on':>7}{'gain':>8}")
    for key, row in noise.items():
        print(
            f"{key:<18}"
            + "".join(
                f"{row['off ' + p]:11.3f}{row['on ' + p]:7.3f}{row['on ' + p] - row['off ' + p]:+8.3f}"
                for p in ("glance", "look")
            )
        )
    for name, runs in result["noise"]["structure"].items():
        print(f"  {name}: " + ", ".join(f"{r['memories']} memories + {r['copies']} copies" for r in runs))
    cap = result["capacity"]
    print(
        f"\nCapacity: {cap['stimuli']} stimuli in sequence, start {cap['start_units']} units, "
        f"neurogenesis up to {cap['max_units']}"
    )
    print(f"{'':<14}{'capacity':>10}{'retained':>10}{'distinct':>10}{'units':>8}")
    for name in ("fixed", "neurogenesis"):
        r = cap[name]
        print(
            f"{name:<14}{r['capacity']:>10}{r['retained_at_end']:>10}{r['distinct_memories_at_end']:>10}"
            f"{r['units_at_end']:>8}"
        )
    run = result["long_run"]
    print(f"\nLong run: {run['frames']} frames of random stimuli, synapse budget {run['synapse_budget']}")
    print(
        f"  max synapses {run['max_synapses']} (final {run['final_synapses']}), units {run['start_units']} -> "
        f"{run['max_units_reached']} (cap {run['max_units']}), state {run['state_bytes_start']} -> "
        f"max {run['state_bytes_max']} bytes, max RSS {run['maxrss_kib_before']} -> {run['maxrss_kib_after']} KiB"
    )
    print(f"  events: {run['events']}, learning episodes {run['episodes']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds, stimuli and frames (< 1 min)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.quick:
        result = {
            "quick": True,
            "noise": noise_benchmark([0], 4),
            "capacity": capacity_benchmark(1, 6, 24, seed=0),
            "long_run": long_run(10_000, seed=0),
        }
    else:
        result = {
            "quick": False,
            "noise": noise_benchmark([0, 1, 2], 6),
            "capacity": capacity_benchmark(3, 16, 64, seed=0),
            "long_run": long_run(100_000, seed=0),
        }
    result["seconds"] = time.perf_counter() - started
    print_tables(result)
    print(f"\n{result['seconds']:.0f} s")
    common.save("structural", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
