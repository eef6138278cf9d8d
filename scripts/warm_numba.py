"""Compile the numba kernels once into numba's on-disk cache (``cache=True``), so node processes and test
runs load them (≈0.4 s) instead of compiling them (seconds per process, cold).

numba caches next to each source file (``__pycache__/*.nbi, *.nbc``), keyed by that file's path and
mtime: the source checkout (tests, demo.sh, the graph started from the repo root) and the copy CMake
installs into the venv (``ros2 run`` / ``ros2 launch``) each have their own cache. scripts/setup.sh runs
this once for each: with ``PYTHONPATH=<repo>`` for the checkout, without for the installed copy.

Warms what runs by default: the feature layers' fused kernels in float32 (one signature per kernel, whatever
the rule's bounds), the sensor's oriented-edge kernel, the camera decoders of the packed encodings, and,
with ``--all`` (what the test suite also runs), the parallel kernel variants (``threads`` > 1, large layers)
and the event-driven STDP of ``experiments``. Prints which copy it warmed and how long it took.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def warm_layers() -> None:
    from hebbian_ros.core.plasticity.layer import Layer

    for rule in ("hebb", "oja", "sanger", "competitive"):  # the kernel rules; bcm and stdp are plain numpy
        layer = Layer(16, 8, rule, compiled=True)
        layer.warm_up()  # step (fused forward + update) and, for competitive, the update kernel
        x = np.full(16, 50.0, np.float32)
        layer.learn(x, layer.forward(x))  # fused_update for hebb/oja/sanger too


def warm_sensor() -> None:
    """The sensor's oriented-edge kernel, on frames decoded the way the sensor node decodes them."""
    from hebbian_ros.core.sensing.image_decoding import decode_image
    from hebbian_ros.core.sensing.retina import Retina, RetinaParams

    retina = Retina(RetinaParams.from_parameters(None))
    for encoding, channels in (("rgb8", 3), ("mono8", 1)):
        image = decode_image(16, 16, encoding, 16 * channels, bytes(16 * 16 * channels))
        retina.see(image, 1 / 30, validate=False)


def warm_parallel() -> None:
    from hebbian_ros.core.plasticity import kernels

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 16).astype(np.float32)
    for rule in kernels.RULES:
        w = rng.uniform(0, 1, (8, 16)).astype(np.float32)
        y = np.clip(w @ x, 0, 1).astype(np.float32)
        kernels.fused_update(rule, x, y, w, 0.01, bounds="l2", compiled=True, threads=2)
        if rule != "instar":
            kernels.fused_step(rule, x, w, 0.01, bounds="clip", compiled=True, threads=2)


def warm_decoders() -> None:
    from hebbian_ros.core.sensing import image_decoding

    for encoding, (family, _) in getattr(image_decoding, "PACKED", {}).items():
        height = width = 4
        row_bytes = 2 * width if family == "yuv422" else width
        lines = height * 3 // 2 if family == "nv21" else height
        try:
            image_decoding.decode_image(height, width, encoding, row_bytes, bytes(row_bytes * lines))
        except ValueError as error:  # a layout this guess does not fit: compiled on first use instead
            print(f"[warm_numba] {encoding}: not warmed ({error})", file=sys.stderr)


def warm_event_stdp() -> None:
    from hebbian_ros.core.plasticity.stdp import STDPParams, stdp_init_state
    from hebbian_ros.experiments.event_stdp import events_from_raster, poisson_events, stdp_run

    rng = np.random.default_rng(0)
    pre, post = rng.random((20, 6)) < 0.3, rng.random((20, 5)) < 0.3
    for dtype in (np.float32, np.float64):
        w = rng.uniform(0.2, 0.8, (5, 6)).astype(dtype)
        stdp_run(
            events_from_raster(pre), events_from_raster(post), w, stdp_init_state(6, 5), STDPParams(), compiled=True
        )
    poisson_events(np.array([10.0, 50.0]), 1e-3, 100, rng)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="also the parallel variants and the event-driven STDP")
    args = parser.parse_args(argv)
    import hebbian_ros

    start = time.perf_counter()
    steps = [warm_layers, warm_sensor, warm_decoders] + ([warm_parallel, warm_event_stdp] if args.all else [])
    for step in steps:
        step()
    where = next(iter(hebbian_ros.__path__))
    print(
        f"[warm_numba] {where}: {', '.join(s.__name__ for s in steps)} in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
