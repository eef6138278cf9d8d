"""``graph``: start the hebbian_ros node graph from config/graph.yaml without launch_ros.

Examples::

    graph                                  # the learning loop, one supervised process per node
    graph --groups loop simulation         # plus the embedded simulator
    graph --only sensor --in-process       # a subset, all in this process
    graph --params-file my_overrides.yaml --duration 60
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from hebbian_ros.graph.restart_policy import MAX_RESTARTS
from hebbian_ros.graph.spec import load_graph


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="graph",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--graph", type=Path, default=None, help="graph file (default: config/graph.yaml)")
    parser.add_argument("--groups", nargs="*", default=["loop"], help="node groups to run (default: loop)")
    parser.add_argument("--only", nargs="*", default=None, help="run only these nodes")
    parser.add_argument("--skip", nargs="*", default=[], help="do not run these nodes")
    parser.add_argument("--params-file", action="append", default=[], help="extra parameter file (overrides)")
    parser.add_argument("--in-process", action="store_true", help="all nodes in one process")
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--max-restarts", type=int, default=MAX_RESTARTS, help="restarts per crashed node")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``graph`` console script."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="[graph] %(message)s")
    specs = [
        s
        for s in load_graph(args.graph, tuple(args.groups))
        if (args.only is None or s.name in args.only) and s.name not in args.skip
    ]
    if not specs:
        logging.error("no node selected")
        return 2
    extra = tuple(str(Path(p).resolve()) for p in args.params_file)
    logging.info("starting %s", ", ".join(s.name for s in specs))
    if args.in_process:
        from hebbian_ros.graph.in_process import run_in_process

        run_in_process(specs, extra, args.duration)
        return 0
    from hebbian_ros.graph.supervisor import Supervisor

    supervisor = Supervisor(specs, extra, args.max_restarts)
    supervisor.run(args.duration)
    return 0


if __name__ == "__main__":
    sys.exit(main())
