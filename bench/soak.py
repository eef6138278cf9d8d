"""Soak: the whole learning loop for minutes at 100 frames/s, as separate supervised processes.

    python bench/soak.py                      # 10 minutes (600 s) at 100 frames/s
    python bench/soak.py --duration 30        # what test/ros/test_soak.py runs

sensor -> layer1 -> layer2 -> memory -> neuromodulator run as one process each under
:class:`hebbian_ros.graph.supervisor.Supervisor` (with periodic checkpoints), on a private DDS domain
with localhost-only discovery. This process publishes camera frames at ``--rate`` (shapes in colours and
positions, some new, most seen before, with blank gaps) and measures:

* **memory (RSS) of every node** from ``/proc/<pid>/status``, sampled every second; growth is the median
  of the last 10 % of the run against the median just after the warm-up (the first 20 %, at least 5 s);
* **no lost inhibition**: memory publishes one Inhibition for every familiar live Recognition, both
  with the input frame's stamp. The nodes do not count what they publish, so this counts on the receiving
  side against what the sender must have sent: every stamp whose first Recognition arrived as a live
  answer (within ``--live-latency`` of the frame; replays of a learned pattern come later and carry an
  old stamp) and is familiar must have exactly one Inhibition, and every Inhibition a familiar
  Recognition;
* **no lost learning-mode broadcasts**: two independent subscribers (separate DDS participants) must
  receive the same sequence, and the sequence must be complete: an a-ha is followed by its replays
  counting down ``replays_left`` without a gap, then learning mode off;
* that no node crashed or restarted (same PIDs throughout), and that each learner's checkpoints load
  after the run (current or .prev), including the save on shutdown.

Before the soak it times a checkpoint write and restore (verified load + ``load_state_dict``) for the
largest default layer (layer1, 384 -> 128) and for a 4096 x 1024 layer. Results: printed and written to
``bench/results/soak.json`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np

from hebbian_ros.evaluation.probe import Observer, stamp_ns, wait_until

LEARNERS = ("layer1", "layer2", "memory", "neuromodulator")
LOOP = ("sensor", *LEARNERS)
#: receivers' reader history: minutes of this process starved of CPU lose nothing
SOAK_DEPTH = 100_000
OBJECTS = [
    f"{colour}_{shape}"
    for colour in ("red", "blue", "yellow", "green", "magenta", "cyan")
    for shape in ("box", "disc", "bar")
]


# --- checkpoint timing -----------------------------------------------------------------------------


def checkpoint_times(directory: Path, repeats: int = 5) -> dict:
    """Median write and restore times [ms] of a trained-looking layer of each size (write includes fsync)."""
    from hebbian_ros.core.checkpoint import load_latest, save_checkpoint
    from hebbian_ros.core.plasticity.layer import Layer

    results = {}
    for label, (n_in, n_out) in {"layer1_384x128": (384, 128), "layer_4096x1024": (4096, 1024)}.items():
        layer = Layer(n_in, n_out, "sanger", seed=1)
        path = directory / f"{label}.npz"
        writes, reads = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            save_checkpoint(path, layer.state_dict())
            writes.append(time.perf_counter() - start)
            target = Layer(n_in, n_out, "sanger", seed=2)
            start = time.perf_counter()
            load_latest(path, accept=target.load_state_dict)
            reads.append(time.perf_counter() - start)
            assert np.array_equal(target.weights, layer.weights)
        results[label] = {
            "bytes": path.stat().st_size,
            "write_ms": 1e3 * statistics.median(writes),
            "restore_ms": 1e3 * statistics.median(reads),
        }
    return results


# --- memory of the node processes ------------------------------------------------------------------


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_growth(samples: list[tuple[float, int]], duration: float) -> dict:
    """Median RSS just after the warm-up against the median of the last 10 % of the run."""
    warm_up = max(5.0, 0.2 * duration)
    window = max(3.0, 0.1 * duration)
    early = [kib for t, kib in samples if warm_up <= t < warm_up + window]
    late = [kib for t, kib in samples if t >= duration - window]
    if not early or not late:
        return {"samples": len(samples), "growth_percent": None}
    before, after = statistics.median(early), statistics.median(late)
    return {
        "samples": len(samples),
        "warm_up_s": warm_up,
        "after_warm_up_kib": before,
        "end_kib": after,
        "peak_kib": max(kib for _, kib in samples),
        "growth_percent": 100.0 * (after - before) / before,
    }


# --- receiving side --------------------------------------------------------------------------------


def inhibition_accounting(
    recognitions, inhibitions, published: dict[int, float], live_latency: float, replay_stamps: set[int] = frozenset()
) -> dict:
    """Every familiar live Recognition -> exactly one Inhibition with its stamp, and no Inhibition without one.

    A replay carries the stamp of the last live frame; when that frame's live rates were dropped on the way
    (streams are best effort), the replay's Recognition is the first and only one with the stamp. Stamps seen
    on a replayed top-layer sample (``replay_stamps``) are therefore not classified.
    """
    first: dict[int, tuple[float, object]] = {}
    familiar_stamps = set()
    for arrival, msg in recognitions:
        key = stamp_ns(msg.header.stamp)
        first.setdefault(key, (arrival, msg))
        if msg.familiar:
            familiar_stamps.add(key)
    expected = {
        key
        for key, (arrival, msg) in first.items()
        if msg.familiar and key in published and key not in replay_stamps and arrival - published[key] <= live_latency
    }
    late = sum(
        1
        for key, (arrival, msg) in first.items()
        if msg.familiar and key in published and arrival - published[key] > live_latency
    )
    counts: dict[int, int] = defaultdict(int)
    seen: dict[int, tuple] = {}
    duplicate_examples = []
    for arrival, msg in inhibitions:
        key = stamp_ns(msg.header.stamp)
        counts[key] += 1
        if key in seen and len(duplicate_examples) < 5:
            first_arrival, first_msg = seen[key]
            duplicate_examples.append(
                {
                    "stamp": key,
                    "apart_s": round(arrival - first_arrival, 4),
                    "same_content": (first_msg.strength, first_msg.memory_id, first_msg.cause)
                    == (msg.strength, msg.memory_id, msg.cause),
                }
            )
        seen.setdefault(key, (arrival, msg))
    return {
        "recognitions_received": len(recognitions),
        "familiar_live_recognitions": len(expected),
        "familiar_first_answers_too_late_to_classify": late,
        "replayed_stamps_not_classified": len(replay_stamps),
        "inhibitions_received": len(inhibitions),
        "inhibitions_missing": len([key for key in expected if counts.get(key, 0) == 0]),
        "inhibitions_duplicated": sum(max(0, n - 1) for n in counts.values()),
        "inhibitions_without_familiar_recognition": len([k for k in counts if k not in familiar_stamps]),
        "duplicate_examples": duplicate_examples,
    }


def learning_mode_accounting(stream_a, stream_b, replays: int, window: tuple[int, int] | None = None) -> dict:
    """Both subscribers got the same broadcasts, and the sequence has no gap.

    ``window``: only broadcasts stamped in ``[start, end]`` [ns] count, so that one sent while the receivers
    were cleared, or still on its way when they were read, is not taken for a loss at one of them.
    """

    def key(msg):
        return (stamp_ns(msg.header.stamp), msg.cause, msg.active, msg.replays_left, msg.memory_id)

    if window is not None:
        stream_a, stream_b = (
            [(t, m) for t, m in stream if window[0] <= stamp_ns(m.header.stamp) <= window[1]]
            for stream in (stream_a, stream_b)
        )
    a, b = [key(m) for _, m in stream_a], [key(m) for _, m in stream_b]
    from hebbian_ros.msg import LearningMode

    # None: anything may come next; k >= 0: the replay with replays_left == k; -1: learning mode off.
    gaps, expected_next, gap_examples, previous = 0, None, [], None
    for _, msg in stream_a:
        if expected_next is not None and msg.cause != LearningMode.CAUSE_MANUAL:
            if expected_next >= 0:
                gap = not (msg.cause == LearningMode.CAUSE_REPLAY and msg.replays_left == expected_next)
            else:
                gap = msg.cause != LearningMode.CAUSE_NONE
            if gap and len(gap_examples) < 10:
                gap_examples.append(
                    {
                        "expected_replays_left": expected_next,
                        "got_cause": msg.cause,
                        "got_replays_left": msg.replays_left,
                        "previous": previous,
                    }
                )
            gaps += gap
        previous = (msg.cause, msg.replays_left, round(stamp_ns(msg.header.stamp) * 1e-9, 3))
        if msg.cause == LearningMode.CAUSE_AHA:
            expected_next = replays - 1 if replays > 0 else -1
        elif msg.cause == LearningMode.CAUSE_REPLAY:
            expected_next = msg.replays_left - 1 if msg.replays_left > 0 else -1
        else:
            expected_next = None
    causes = defaultdict(int)
    for _, msg in stream_a:
        causes[{0: "none", 1: "novelty", 2: "aha", 3: "replay", 4: "manual"}.get(msg.cause, str(msg.cause))] += 1
    return {
        "broadcasts_subscriber_a": len(a),
        "broadcasts_subscriber_b": len(b),
        "same_sequence_at_both": a == b,
        "only_at_a": len(set(a) - set(b)),
        "only_at_b": len(set(b) - set(a)),
        "sequence_gaps": gaps,
        "gap_examples": gap_examples,
        "by_cause": dict(causes),
        "ahas": sum(1 for _, m in stream_a if m.cause == LearningMode.CAUSE_AHA),
        "episodes": sum(1 for _, m in stream_a if m.cause == LearningMode.CAUSE_NOVELTY),
    }


# --- the run ---------------------------------------------------------------------------------------


def private_environment(workdir: Path) -> dict:
    env = dict(os.environ)
    env.setdefault("ROS_DOMAIN_ID", str(random.SystemRandom().randint(1, 200)))
    env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = env.get("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env.setdefault("ROS_LOG_DIR", str(workdir / "ros_log"))
    env.setdefault("ROS_HOME", str(workdir / "ros_home"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def stimuli(seed: int):
    """Endless (name, offset, frames): visits of known and new views, each after a blank gap."""
    rng = random.Random(seed)
    views = [(name, (0, 0)) for name in OBJECTS[:6]]
    while True:
        if rng.random() < 0.15:  # sometimes something new: another object or a shifted view
            views.append((rng.choice(OBJECTS), (rng.randint(-12, 12), rng.randint(-12, 12))))
        name, offset = rng.choice(views[-40:])
        yield "blank", (0, 0), rng.randint(30, 80)
        yield name, offset, rng.randint(80, 200)


def run_soak(
    duration: float = 600.0,
    rate: float = 100.0,
    workdir: Path | None = None,
    seed: int = 0,
    live_latency: float = 0.08,
    checkpoint_period: float = 5.0,
    log=print,
) -> dict:
    """Run the soak; return every figure (see the module docstring)."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="hebbian_soak_"))
    env = private_environment(workdir)
    os.environ.update({k: env[k] for k in ("ROS_DOMAIN_ID", "ROS_AUTOMATIC_DISCOVERY_RANGE")})

    import yaml
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header

    from hebbian_ros.core.checkpoint import load_latest
    from hebbian_ros.experiments.stimuli import scene
    from hebbian_ros.graph.spec import load_graph
    from hebbian_ros.graph.supervisor import Supervisor
    from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition
    from hebbian_ros.nodes.conversions import image_to_msg
    from hebbian_ros.ros import qos

    checkpoints = workdir / "checkpoints"
    results: dict = {"duration_s": duration, "target_rate_hz": rate, "domain_id": env["ROS_DOMAIN_ID"]}
    results["checkpoint_times"] = checkpoint_times(workdir)
    log(f"checkpoint times: {json.dumps(results['checkpoint_times'])}")

    overrides = workdir / "soak_overrides.yaml"
    overrides.write_text(
        yaml.safe_dump(
            {
                name: {"ros__parameters": {"checkpoint_dir": str(checkpoints), "checkpoint_period": checkpoint_period}}
                for name in LEARNERS
            }
        )
    )
    specs = [s for s in load_graph(groups=("loop",)) if s.name in LOOP]
    supervisor = Supervisor(specs, (str(overrides),), env=env)
    replays = int(
        yaml.safe_load((REPO / "config" / "neuromodulator.yaml").read_text())["neuromodulator"]["ros__parameters"].get(
            "replays", 5
        )
    )

    # The receivers keep a history deep enough for minutes of this process being starved of CPU, so such a
    # moment is not counted as a loss in the graph.
    a = Observer(
        "soak_receiver_a",
        {
            "hebbian/recognition": (Recognition, qos.EVENT),
            "hebbian/inhibition": (Inhibition, qos.EVENT),
            "hebbian/learning_mode": (LearningMode, qos.STATE),
            "hebbian/layer2/rates": (FiringRates, qos.STREAM),
        },
        depth=SOAK_DEPTH,
    )
    b = Observer("soak_receiver_b", {"hebbian/learning_mode": (LearningMode, qos.STATE)}, depth=SOAK_DEPTH)
    camera = a.node.create_publisher(Image, "camera/image_raw", qos.STREAM)
    published: dict[int, float] = {}
    rss: dict[str, list] = {name: [] for name in LOOP}
    supervisor.start()
    pids = {name: child.process.pid for name, child in supervisor.children.items()}
    try:
        # Wait until the loop answers (discovery), with blank frames.
        blank = scene("blank")

        def publish_blank() -> None:
            camera.publish(image_to_msg(blank, Header(stamp=a.node.get_clock().now().to_msg())))
            supervisor.poll()

        if not wait_until(lambda: a.records("hebbian/recognition"), 60.0, poll=0.05, each=publish_blank):
            raise TimeoutError("the graph did not answer within 60 s")
        a.clear()
        b.clear()
        window_start = stamp_ns(a.node.get_clock().now().to_msg())  # broadcasts counted from here on
        log(f"graph up (pids {pids}); soaking {duration:g} s at {rate:g} frames/s")

        images: dict = {}
        schedule = stimuli(seed)
        period = 1.0 / rate
        start = time.monotonic()
        next_frame, next_sample, frames, late = start, start, 0, 0
        remaining, current = 0, None
        while True:
            now = time.monotonic()
            if now - start >= duration:
                break
            if now >= next_sample:
                for name, pid in pids.items():
                    kib = rss_kib(pid)
                    if kib is not None:
                        rss[name].append((now - start, kib))
                supervisor.poll()
                next_sample += 1.0
            if remaining == 0:
                name, offset, remaining = next(schedule)
                key = (name, offset)
                if key not in images:
                    images[key] = scene(name, offset=offset)
                current = images[key]
            stamp = a.node.get_clock().now().to_msg()
            published[stamp_ns(stamp)] = time.monotonic()
            camera.publish(image_to_msg(current, Header(stamp=stamp, frame_id="camera")))
            frames += 1
            remaining -= 1
            next_frame += period
            delay = next_frame - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                late += 1
                if delay < -1.0:  # fell far behind: do not burst to catch up
                    next_frame = time.monotonic()
        elapsed = time.monotonic() - start
        time.sleep(1.0)  # let the last answers arrive
        window_end = stamp_ns(a.node.get_clock().now().to_msg())
        time.sleep(0.5)  # broadcasts stamped before window_end reach both receivers
        results["frames_published"] = frames
        results["achieved_rate_hz"] = frames / elapsed
        results["frames_behind_schedule"] = late
        top = a.records("hebbian/layer2/rates")
        live_stamps = [stamp_ns(m.header.stamp) for _, m in top if not m.replay]
        results["top_layer_rates_received"] = len(top)
        results["top_layer_replays_received"] = sum(1 for _, m in top if m.replay)
        results["top_layer_live_duplicate_stamps"] = len(live_stamps) - len(set(live_stamps))
        results["recognition_duplicate_stamps_first_answers"] = sum(1 for _ in a.records("hebbian/recognition")) - len(
            {stamp_ns(m.header.stamp) for _, m in a.records("hebbian/recognition")}
        )
        results["stamps_published_unique"] = len(published) == frames
        results["restarts"] = list(supervisor.events)
        results["same_pids"] = {name: child.process.pid for name, child in supervisor.children.items()} == pids
        results["inhibition"] = inhibition_accounting(
            a.records("hebbian/recognition"),
            a.records("hebbian/inhibition"),
            published,
            live_latency,
            {stamp_ns(m.header.stamp) for _, m in top if m.replay},
        )
        results["learning_mode"] = learning_mode_accounting(
            a.records("hebbian/learning_mode"),
            b.records("hebbian/learning_mode"),
            replays,
            (window_start, window_end),
        )
        results["rss"] = {name: rss_growth(samples, elapsed) for name, samples in rss.items()}
    finally:
        stopped_at = time.time()
        codes = supervisor.stop()
        a.close()
        b.close()
    results["exit_codes"] = codes
    loaded = {}
    for name in LEARNERS:
        path = checkpoints / f"{name}.npz"
        try:
            _, used, problems = load_latest(path)
            loaded[name] = {
                "loaded": str(used.name),
                "saved_on_shutdown": used.stat().st_mtime >= stopped_at - 0.5,
                "problems": problems,
            }
        except Exception as error:  # noqa: BLE001 - reported, judged by the caller
            loaded[name] = {"loaded": None, "error": str(error)}
    results["checkpoints_after_run"] = loaded
    results["memory_growth_max_percent"] = max(
        (r["growth_percent"] for r in results["rss"].values() if r["growth_percent"] is not None), default=None
    )
    return results


def verdict(results: dict, max_growth_percent: float = 5.0) -> list[str]:
    """What failed (empty: the soak passed)."""
    problems = []
    if results["restarts"] or not results["same_pids"]:
        problems.append(f"nodes crashed or restarted: {results['restarts']}")
    for name, figures in results["rss"].items():
        if figures["growth_percent"] is None or figures["growth_percent"] >= max_growth_percent:
            problems.append(f"{name}: RSS growth {figures['growth_percent']} % after warm-up")
    inhibition = results["inhibition"]
    if inhibition["familiar_live_recognitions"] == 0:
        problems.append("no familiar recognition: the inhibition accounting tested nothing")
    for key in ("inhibitions_missing", "inhibitions_duplicated", "inhibitions_without_familiar_recognition"):
        if inhibition[key]:
            problems.append(f"{key}: {inhibition[key]}")
    mode = results["learning_mode"]
    if not mode["same_sequence_at_both"] or mode["sequence_gaps"]:
        problems.append(f"learning-mode broadcasts lost: {mode}")
    if mode["ahas"] == 0:
        problems.append("no a-ha: the learning-mode accounting tested nothing")
    for name, outcome in results["checkpoints_after_run"].items():
        if not outcome.get("loaded") or not outcome.get("saved_on_shutdown"):
            problems.append(f"{name}: checkpoint after the run {outcome}")
    if any(code not in (0, -2) for code in results["exit_codes"].values()):
        problems.append(f"unclean exit: {results['exit_codes']}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of soak (default 600)")
    parser.add_argument("--rate", type=float, default=100.0, help="camera frames per second (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the stimulus sequence")
    parser.add_argument(
        "--live-latency",
        type=float,
        default=0.08,
        help="a first answer later than this [s] is not classified as live (default 0.08)",
    )
    parser.add_argument("--max-growth", type=float, default=5.0, help="RSS growth allowed after warm-up [%%]")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "soak.json")
    args = parser.parse_args(argv)
    results = run_soak(args.duration, args.rate, seed=args.seed, live_latency=args.live_latency)
    results["problems"] = verdict(results, args.max_growth)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str))
    print(
        json.dumps(
            {
                k: results[k]
                for k in ("achieved_rate_hz", "memory_growth_max_percent", "inhibition", "learning_mode", "problems")
            },
            indent=2,
            default=str,
        )
    )
    print(f"results: {args.out}")
    return 1 if results["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
