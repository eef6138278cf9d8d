"""``report``: the PNG report of a run from an MCAP recording (``record``, ``demo --record`` or rosbag2).

Reads the recording back into a :class:`~hebbian_ros.evaluation.run_log.RunLog` (no ROS needed) and
writes rates.png (rates per population with inhibition and learning-mode events), habituation.png
(per stimulus), weights.png (weight norms over time per layer), receptive_fields.png (learned
receptive fields) and summary.json / summary.md::

    report out/demo-20250101-120000/run.mcap                # into run-report/ beside it
    report run.mcap --out my_report --namespace robot1

Given a recognition benchmark result (``bench/recognition.py``'s JSON) instead, it draws recognition versus
the number of objects learned and the per-stage separation, per stimulus source::

    report bench/results/recognition.json --out my_report
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hebbian_ros.evaluation.recording import read_run_log
from hebbian_ros.evaluation.report import summary_markdown, write_report
from hebbian_ros.evaluation.summary import summarise


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="report",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("path", type=Path, help="MCAP recording, or a recognition benchmark JSON")
    parser.add_argument("--out", type=Path, default=None, help="report folder (default: <recording>-report)")
    parser.add_argument("--namespace", default="", help="namespace of the recorded graph")
    return parser.parse_args(argv)


def make_report(path: Path, out: Path | None = None, namespace: str = "") -> tuple[list[Path], str]:
    """Write the report of recording ``path`` into ``out``; return the files and the summary as Markdown."""
    out = out or path.with_name(f"{path.stem}-report")
    log = read_run_log(path, namespace)
    if not log.rates and not log.recognition:
        raise ValueError(f"{path}: no hebbian rates or recognition recorded")
    summary = summarise(log)
    return write_report(log, summary, out), summary_markdown(summary)


def recognition_report(path: Path, out: Path | None = None) -> tuple[list[Path], str]:
    """Recognition-versus-N and per-stage separation plots of a recognition benchmark JSON, per source."""
    import json

    from hebbian_ros.evaluation.recognition import plot_recognition_vs_n, plot_stage_separation

    out = out or path.with_name(f"{path.stem}-report")
    out.mkdir(parents=True, exist_ok=True)
    result = json.loads(path.read_text())
    if not isinstance(result, dict) or "sources" not in result:
        raise ValueError(f"{path}: not a recognition benchmark result (no 'sources')")
    files = [
        plot_recognition_vs_n(result, out / "recognition_vs_n.png"),
        plot_stage_separation(result, out / "stages.png"),
    ]
    return files, f"recognition report of {path} ({', '.join(result['sources'])})"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``report`` console script."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.path.suffix == ".json":
            files, markdown = recognition_report(args.path, args.out)
        else:
            files, markdown = make_report(args.path, args.out, args.namespace)
    except (OSError, ValueError) as error:
        print(f"report: {error}", file=sys.stderr)
        return 1
    print(markdown)
    for path in files:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
