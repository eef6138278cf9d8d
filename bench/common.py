"""Shared helpers of the benchmarks: machine description, timing, JSON results."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
if str(REPO) not in sys.path:  # use the working tree's hebbian_ros, not an installed copy
    sys.path.insert(0, str(REPO))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, numpy/BLAS (threadpoolctl), numba, date: stored with every result."""
    import numpy as np

    info: dict[str, Any] = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "OPENBLAS_CORETYPE_before_run_sh": os.environ.get("HEBBIAN_ORIG_OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE_before_run_sh": os.environ.get("HEBBIAN_ORIG_OPENBLAS_L2_SIZE"),
    }
    try:
        info["load_average_1_5_15min"] = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        info["memory_gib"] = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: pool.get(k) for k in ("internal_api", "prefix", "version", "architecture", "num_threads")}
            for pool in threadpool_info()
        ]
    except ImportError:
        info["blas"] = None
    try:
        import numba

        info["numba"] = numba.__version__
        info["numba_threads"] = numba.get_num_threads()
    except ImportError:
        info["numba"] = None
    return info


def best_time(
    function: Callable[[], Any], repeats: int = 5, number: int = 1, min_seconds: float = 0.0
) -> dict[str, float]:
    """Run ``function`` ``number`` times per repeat; seconds per call (best and median of repeats).

    ``number`` grows until one repeat lasts ``min_seconds``; one untimed warm-up call first.
    """
    function()
    if min_seconds > 0:
        while True:
            started = time.perf_counter()
            for _ in range(number):
                function()
            if time.perf_counter() - started >= min_seconds:
                break
            number *= 2
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(number):
            function()
        samples.append((time.perf_counter() - started) / number)
    return {"best": min(samples), "median": statistics.median(samples), "number": number, "repeats": repeats}


def save(name: str, payload: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` with the machine description added."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "machine": machine_info(), **payload}
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    print(f"saved {path.relative_to(REPO)}")
    return path


def per_source_main(
    argv: list[str] | None,
    doc: str,
    name: str,
    sources: str,
    quick_source: str,
    measure: Callable[[str, int, int, Callable[[str], None]], dict],
    extra: dict[str, Any] | None = None,
    report: Callable[[dict[str, Any]], None] | None = None,
) -> int:
    """The command line of the per-source analyses (``--sources``, ``--n``, ``--seed``, ``--quick``).

    ``measure(source, n, seed, log)`` runs per source; ``report(result)`` prints the tables; the result is saved as
    ``bench/results/<name>.json`` (``<name>_quick.json`` with ``--quick``: ``quick_source`` at N = 100).
    """
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--sources", default=sources)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help=f"{quick_source}, N = 100 (about a minute)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sources, args.n = quick_source, 100
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", flush=True)

    result: dict[str, Any] = {"n": args.n, "seed": args.seed, **(extra or {}), "sources": {}}
    for source in args.sources.split(","):
        result["sources"][source] = measure(source, args.n, args.seed, log)
    if report is not None:
        report(result)
    save(f"{name}_quick" if args.quick else name, result)
    return 0
