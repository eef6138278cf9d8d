"""The main job: the whole learning loop on the embedded simulator, headless, for a bounded time.

Starts sensor, layers, memory, neuromodulator and the MuJoCo simulator as supervised processes
(config/graph.yaml, groups loop + simulation, all on sim time), watches them with a monitor node
while showing a live status line, stops when the scripted exploration ends, prints a summary and
writes a report (plots + figures) to an output folder it names.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor

from hebbian_ros.evaluation.monitor_node import MonitorNode
from hebbian_ros.evaluation.report import summary_markdown, write_report
from hebbian_ros.evaluation.summary import RunSummary, summarise
from hebbian_ros.graph.spec import config_dir, load_graph
from hebbian_ros.graph.supervisor import Supervisor

#: share of the view a generated object spans when the camera visits it (``--objects``; they are 5-38 cm): about as
#: the recognition benchmark frames them (its camera distance follows each object's size: 0.6-0.7 of the view)
OBJECTS_VIEW_FILL = 0.6


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="report folder (default out/demo-<time>)")
    parser.add_argument("--world", default="tabletop", help="world in worlds/ (default tabletop)")
    parser.add_argument(
        "--objects",
        type=int,
        default=0,
        help="explore N procedurally generated objects instead (a many_objects world written to the report "
        "folder; each visited once per round, in order: learning, then recognition); memory keeps each learning "
        "look's frames (memory option episode_views)",
    )
    parser.add_argument(
        "--view-fill",
        type=float,
        default=None,
        help="the camera approaches each object until it spans this share of the view (default: "
        f"{OBJECTS_VIEW_FILL} with --objects, generated objects of many sizes; 0, one viewpoint offset, otherwise)",
    )
    parser.add_argument(
        "--orbit",
        type=float,
        default=0.0,
        help="degrees: the camera circles each object from -DEG to +DEG during a visit, and memory keeps each side a "
        "learning look shows (memory option episode_views); 0: one viewpoint per visit",
    )
    parser.add_argument(
        "--curious-orbit",
        type=float,
        default=0.0,
        help="degrees: once learning mode comes on during a visit the camera circles the object from 0 to +DEG to "
        "-DEG and back, once per visit (what it does not know it looks around), and memory keeps each side it is "
        "shown (memory option episode_views); 0: a still camera (bench/RESULTS.md 5zh)",
    )
    parser.add_argument(
        "--revisit-turn",
        type=float,
        default=0.0,
        help="degrees: every revisit sees its object from a viewpoint turned this much about it, so the recognition "
        "accuracy is that of known objects from a new side; 0: the first visit's viewpoint",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="rounds of visits (1: objects introduced one by "
        "one with revisits; each further round revisits all in a shuffled order)",
    )
    parser.add_argument("--frames-per-view", type=int, default=30)
    parser.add_argument("--real-time-factor", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600.0, help="hard limit on wall time [s]")
    parser.add_argument("--params-file", action="append", default=[], help="extra parameter overrides")
    parser.add_argument("--quiet", action="store_true", help="no live status line")
    parser.add_argument(
        "--record",
        action="store_true",
        help="also record the run to <out>/run.mcap (MCAP with "
        "ROS 2 schemas: ros2 bag, Foxglove, `report`, `playback`) and add weights.png and "
        "receptive_fields.png from it to the report",
    )
    return parser.parse_args(argv)


def run_demo(args: argparse.Namespace) -> tuple[RunSummary, Path]:
    """Run the graph on the simulator until the exploration ends; return the summary and the report folder."""
    out = args.out or Path("out") / datetime.now().strftime("demo-%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    overrides = out / "parameters.yaml"
    world, order, fill = args.world, "expanding", 0.0
    if args.objects > 0:
        from hebbian_ros.sim.many_objects import write_world

        world, order = str(write_world(out / "many_objects.sdf", args.objects, args.seed).resolve()), "cyclic"
        fill = OBJECTS_VIEW_FILL
    fill = fill if args.view_fill is None else args.view_fill
    # circling the objects: memory keeps each side a learning look shows (RESULTS 5u); many objects: memory keeps the
    # look's frames, so a revisit is known from its first frame, before the second look's views come back (RESULTS 5w)
    turns = "".join(
        f"    {name}: {value}\n"
        for name, value in (
            ("view_orbit", args.orbit),
            ("curious_orbit", args.curious_orbit),
            ("revisit_turn", args.revisit_turn),
        )
        if value
    )
    looks_around = args.orbit or args.curious_orbit
    keep_looks = "memory:\n  ros__parameters:\n    episode_views: true\n" if looks_around or args.objects > 0 else ""
    overrides.write_text(
        "simulator:\n  ros__parameters:\n"
        f"    world: {world}\n    visit_order: {order}\n"
        f"    rounds: {args.rounds}\n    frames_per_view: {args.frames_per_view}\n"
        f"    real_time_factor: {args.real_time_factor}\n    seed: {args.seed}\n    view_fill: {fill}\n"
        "    wait_for_subscribers: [camera/image_raw, sim/ground_truth, hebbian/recognition]\n"
        # the exploration starts once memory answers the resting camera and the neuromodulator is up: a node still
        # starting (e.g. compiling its kernels on a loaded machine) would miss the first object's first frames
        "    wait_for_messages: [hebbian/recognition, hebbian/learning_mode]\n"
        "    settle_time: 2.0\n" + turns + keep_looks
    )
    extra = (
        str(config_dir() / "sim_time.yaml"),
        str(overrides.resolve()),
        *(str(Path(p).resolve()) for p in args.params_file),
    )
    supervisor = Supervisor(load_graph(groups=("loop", "simulation")), extra)
    context = Context()
    rclpy.init(context=context, args=["--ros-args", "--params-file", extra[0]])
    monitor = MonitorNode(context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(monitor)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    start = time.monotonic()
    supervisor.start()
    try:
        while time.monotonic() - start < args.timeout:
            supervisor.poll()
            with monitor.lock:
                phase, frames = monitor.phase, monitor.frames
                status = _status(monitor)
            if not args.quiet:
                print(f"\r[{time.monotonic() - start:6.1f} s] frame {frames:5d} {status}", end="", flush=True)
            if phase == "done":
                break
            if supervisor.given_up:
                print(f"\nnodes failed and were given up: {', '.join(supervisor.given_up)}", file=sys.stderr)
                break
            time.sleep(0.25)
        else:
            print(f"\ntimeout after {args.timeout:.0f} s", file=sys.stderr)
        time.sleep(0.5)  # let the last verdicts arrive
    finally:
        supervisor.stop()
        executor.shutdown()
        monitor.destroy_node()
        rclpy.try_shutdown(context=context)
    if not args.quiet:
        print()
    with monitor.lock:
        log = monitor.log
    summary = summarise(log)
    write_report(log, summary, out)
    if supervisor.events:
        (out / "supervisor_events.txt").write_text("\n".join(supervisor.events) + "\n")
    return summary, out


def _status(monitor: MonitorNode) -> str:
    log = monitor.log
    sensor = log.rates.get("sensor", [])
    rate = sensor[-1][1] if sensor else 0.0
    mode = log.events[-1] if log.events else None
    learning = "on " if mode is not None and mode.active else "off"
    memories = sum(r[4] for r in log.recognition)
    novelty = sum(e.cause == 1 for e in log.events)
    last = log.recognition[-1] if log.recognition else None
    seen = f"memory {last[1]:3d} sim {last[2]:.2f}" if last else ""
    return (
        f"| sensor {rate:6.2f} Hz | learning {learning} | novelty events {novelty:3d} | memories {memories:3d} | {seen}"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``demo`` console script."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.record:
        from hebbian_ros.evaluation.recording import record_demo

        summary, out = record_demo(run_demo, args)
    else:
        summary, out = run_demo(args)
    print(summary_markdown(summary))
    print(f"report: {out.resolve()}")
    return 0 if summary.frames > 0 and summary.objects_seen > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
