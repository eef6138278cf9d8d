"""The demo's exploration of generated objects, replayed without ROS: what memory makes of it, frame for frame.

``python -m hebbian_ros.demo --objects N`` runs the node graph over DDS, whose timing varies from run to run. This
replays the same world (``many_objects``, seed 0) and the same camera schedule (gaps at the ground between visits,
``view_fill`` 0.6, one learning round and one revisit round) through :class:`~hebbian_ros.core.loop.Loop`, so two
configurations compare on identical frames. Unlike the recognition benchmark, whose gaps are silent, the gaps here
show the ground and the corner of an object: the sensor never goes quiet between objects, as on a robot.

The graph's latency is the other difference: the sensor's views of a new memory, and of a stimulus memory asks to
look at again, come back frames after the verdict that asked for them (``--view-delay FRAMES``, 1 to 4 on this
machine; 0, the default, answers within the frame). The DDS demo at half real time matched the replay at 0.
``python -m hebbian_ros.demo --objects N`` runs memory with ``episode_views``: ``--config bench/configs/episode_views``
replays it as it runs (bench/RESULTS.md 5w).

Reported per configuration, by the demo's own summary (:func:`hebbian_ros.evaluation.summary.summarise`): revisit
accuracy (revisit frames recognised as the memory their object owns alone; two objects recognised as one memory are
both wrong), memories stored, memories stored in the gaps, the threshold, and the objects that share a memory.

``python bench/demo_replay.py [--objects 100] [--config DIR ...]`` (``bench/run.sh demo_replay``); JSON in
``bench/results/demo_replay.json``. bench/RESULTS.md 5v.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("MUJOCO_GL", "egl")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import numpy as np  # noqa: E402

from hebbian_ros.core.loop import Loop  # noqa: E402
from hebbian_ros.evaluation.run_log import RunLog  # noqa: E402
from hebbian_ros.evaluation.summary import summarise  # noqa: E402
from hebbian_ros.sim.curiosity import CuriousLook  # noqa: E402
from hebbian_ros.sim.exploration import camera_exploration, object_positions, turned_view  # noqa: E402
from hebbian_ros.sim.many_objects import write_world  # noqa: E402
from hebbian_ros.sim.simulator import EmbeddedSimulator  # noqa: E402

DT = 1 / 30
FRAMES_PER_VIEW = 30  # as the demo
GAP_FRAMES = 15
VIEW_FILL = 0.6


def replay(
    objects: int,
    config: str | None,
    seed: int = 0,
    view_delay: int = 0,
    revisit_turn: float = 0.0,
    curious_orbit: float = 0.0,
) -> dict[str, Any]:
    """One learning round and one revisit round of ``objects`` generated objects through ``config``'s loop, the
    sensor's views arriving ``view_delay`` frames after the verdict that asked for them.

    ``revisit_turn`` [deg]: the revisits see each object from a viewpoint turned this much (a side no look showed).
    ``curious_orbit`` [deg]: the simulator node's curious look, driven by the loop's learning-mode broadcasts as the
    node hears them: once learning mode comes on during a visit the camera circles the object."""
    with tempfile.TemporaryDirectory() as folder:
        simulator = EmbeddedSimulator(str(write_world(Path(folder) / "many_objects.sdf", objects, seed)), seed=seed)
        steps = camera_exploration(
            simulator.world,
            frames_per_view=FRAMES_PER_VIEW,
            gap_frames=GAP_FRAMES,
            dt=DT,
            order="cyclic",
            rounds=2,
            seed=seed,
            view_fill=VIEW_FILL,
            fov=simulator.world.cameras[0].vertical_fov,
            revisit_turn=revisit_turn,
        )
        centres = object_positions(simulator.world)
        look, learning, circled = CuriousLook(curious_orbit), False, 0
        loop = Loop.from_config(config, view_delay=view_delay)
        log = RunLog()  # what the demo's monitor records, summarised by the demo's own summary
        stored_in_gaps = 0
        stored_for: dict[int, str] = {}  # memory id -> the object of the visit it was stored in
        started = time.perf_counter()
        for step in steps:
            turn = look.turn(step.visit, step.phase == "view", learning)
            circled += turn != 0.0
            simulator.set_camera_pose(turned_view(step.target, centres[step.obj], turn))
            simulator.step(DT)
            result = loop.frame(simulator.render(), DT, learn=True)
            for broadcast in result.broadcasts:
                learning = bool(broadcast.active)
            recall = result.recall
            log.add_truth(step.time, step.label or "", step.obj, step.visit, step.repeat, step.phase)
            log.add_recognition(
                step.time, recall.memory_id, recall.similarity, recall.familiar, recall.stored, recall.unpropagated
            )
            stored_in_gaps += step.label is None and recall.stored
            if recall.stored:
                stored_for[int(recall.memory_id)] = step.obj
        seconds = time.perf_counter() - started
    summary = summarise(log)
    owners = Counter(o.memory_id for o in summary.objects.values())
    return {
        "config": config or "config/",
        "objects": objects,
        "view_delay": view_delay,
        "seed": seed,
        "revisit_turn": revisit_turn,
        "curious_orbit": curious_orbit,
        "circled_frames": int(circled),
        "revisit_accuracy": summary.recognition_accuracy,
        "memories": int(loop.memory.size),
        "stored_in_gaps": int(stored_in_gaps),
        **twin_samples(loop.memory, stored_for),
        "threshold": float(loop.memory.threshold),
        "sharing_a_memory": sorted(
            label for label, o in summary.objects.items() if o.memory_id >= 0 and owners[o.memory_id] > 1
        ),
        "seconds": seconds,
    }


def twin_samples(memory, stored_for: dict[int, str]) -> dict[str, Any]:
    """What memory's adaptive threshold is made of: the memories whose nearest memory of another episode was stored
    for the same object (an object learned twice, not two things alike), and the threshold without their samples."""
    patterns, entries = memory._as_compared()
    used = np.flatnonzero(memory.used)
    owners, vectors = [used], [patterns[used]]
    if memory.pool is not None and memory.pool.end:
        owner = memory.pool.owner[: memory.pool.end]
        rows = np.flatnonzero(owner >= 0)
        owners.append(owner[rows])
        vectors.append(entries[rows])
    owner_of = np.concatenate(owners)
    similarity = patterns[used] @ np.concatenate(vectors).T
    episodes = memory.episode_of
    similarity[episodes[used][:, None] == episodes[owner_of][None, :]] = -1.0
    samples, nearest = similarity.max(axis=1), owner_of[similarity.argmax(axis=1)]
    sampled = samples > -1.0
    objects = [stored_for.get(int(m)) for m in used], [stored_for.get(int(n)) for n in nearest]
    twins = sampled & np.array([a is not None and a == b for a, b in zip(*objects)], bool)
    q = memory.params.threshold_quantile
    return {
        "sampled": int(sampled.sum()),
        "twin_samples": int(twins.sum()),
        "threshold_recomputed": float(min(np.quantile(samples[sampled], q), 0.999)) if sampled.any() else None,
        "threshold_without_twins": float(min(np.quantile(samples[sampled & ~twins], q), 0.999))
        if (sampled & ~twins).any()
        else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100)
    parser.add_argument("--config", action="append", default=None, help="configuration folder (repeatable)")
    parser.add_argument(
        "--view-delay", type=int, action="append", default=None, help="frames until the sensor's views reach memory"
    )
    parser.add_argument("--seed", type=int, action="append", default=None, help="world and schedule seed (repeatable)")
    parser.add_argument(
        "--revisit-turn", type=float, default=0.0, help="degrees the revisits' viewpoint turns about each object"
    )
    parser.add_argument(
        "--curious-orbit",
        type=float,
        action="append",
        default=None,
        help="degrees the camera circles an object once learning mode is on (the simulator node's curious look; "
        "repeatable, 0: still)",
    )
    parser.add_argument("--quick", action="store_true", help="12 objects")
    parser.add_argument("--tag", default="demo_replay", help="JSON name in bench/results/")
    args = parser.parse_args(argv)
    objects = 12 if args.quick else args.objects
    runs = []
    for seed, config, view_delay, orbit in itertools.product(
        args.seed or [0], args.config or [None], args.view_delay or [0], args.curious_orbit or [0.0]
    ):
        run = replay(objects, config, seed, view_delay, args.revisit_turn, orbit)
        runs.append(run)
        print(
            f"seed {seed}, {run['config']}, view delay {view_delay}, revisit turn {args.revisit_turn:g}, curious orbit "
            f"{orbit:g} ({run['circled_frames']} frames circled): {objects} objects, "
            f"revisit accuracy {run['revisit_accuracy']:.3f}, "
            f"{run['memories']} memories ({run['stored_in_gaps']} stored in gaps), threshold {run['threshold']:.4f}, "
            f"{run['twin_samples']} of {run['sampled']} nearest-other samples are the same object (threshold "
            f"{run['threshold_recomputed']:.4f}, without them {run['threshold_without_twins']:.4f}), "
            f"sharing a memory: {', '.join(run['sharing_a_memory']) or 'none'} ({run['seconds']:.0f} s)",
            flush=True,
        )
    common.save(args.tag, {"runs": runs})


if __name__ == "__main__":
    main()
