"""Plasticity speed: synapse updates per second against this machine's memory bandwidth, and
STDP simulated seconds per wall second against Brian2, all measured in the same run.

Bound. A dense in-place update reads and writes every float32 weight once (8 bytes), so the
memory-bandwidth bound in updates/s is the element rate of an in-place read-modify-write
stream ``a = a·s + t`` over arrays far larger than the caches (256 MiB); we take the best of
numpy (1 thread) and numba (all threads) for it, and also report numpy copy and a STREAM triad.
784×400 (1.2 MiB) and 4096×1024 (16 MiB) fit in the caches of this CPU, so rates above the DRAM
bound are possible; 8192×4096 (128 MiB) is added as the out-of-cache case.

Per sample: one ``(x, y)`` pair per pass over ``W``; counts ``n_in·n_out`` updates. Paths:
``core`` = the rule's ``*_step(..., out=w, validate=False)``; ``layer_step`` = ``Layer.step``
(forward + update + default bounds, what a node does: L2 rows for hebb and competitive);
``layer_learn`` = ``Layer.learn`` with the layer's own output (update + bounds); ``layer_numpy_*``
the same with ``compiled=False`` (the numpy fallback without numba); ``kernel`` = the bare
``hebbian_ros.core.plasticity.kernels`` update (numba), no bounds.
Competitive: one winner (k = 1); ``core`` updates every row (losers with rate 0), ``kernel`` only
the winner's row, so its figure is dense-equivalent and not comparable with the bound.
Batched: B samples per pass, counts ``B·n_in·n_out`` sample-synapse updates; ``kernel`` is the
blocked ``sanger_batch_update``.

STDP: 784 Poisson inputs and 400 Poisson outputs at 10 Hz, all-to-all, pair-based additive STDP
with hard bounds, dt = 1 ms. Ours: ``Layer.learn`` per step (spike drawing included),
``stdp_step`` per step (spikes drawn beforehand), and ``event_stdp`` (spike drawing + compiled
event-driven run). Brian2 runs in its own venv (``bench/brian2_stdp.py``; compilation excluded).

Usage: python bench/plasticity.py [--quick] [--no-brian2] [--rates-only | --only stdp]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import common
import numpy as np

from hebbian_ros.core.plasticity import kernels
from hebbian_ros.core.plasticity.competitive import CompetitiveParams, compete, competitive_step
from hebbian_ros.core.plasticity.hebb import HebbParams, hebb_step
from hebbian_ros.core.plasticity.layer import Layer
from hebbian_ros.core.plasticity.oja import OjaParams, SangerParams, oja_step, sanger_step
from hebbian_ros.core.plasticity.stdp import STDPParams, stdp_init_state, stdp_step

HERE = Path(__file__).resolve().parent
BANDWIDTH_FLOATS = 64 * 1024 * 1024  # 256 MiB per float32 array


def measure_bandwidth(quick: bool) -> dict:
    import numba

    @numba.njit(parallel=True, cache=True)
    def rw_stream(a, s, t):
        for i in numba.prange(a.size):
            a[i] = a[i] * s + t

    @numba.njit(parallel=True, cache=True)
    def triad(a, b, c, s):
        for i in numba.prange(a.size):
            a[i] = b[i] + s * c[i]

    n = BANDWIDTH_FLOATS // (4 if quick else 1)
    a = np.ones(n, dtype=np.float32)
    b = np.ones(n, dtype=np.float32)
    c = np.ones(n, dtype=np.float32)
    s, t = np.float32(0.999), np.float32(0.001)
    repeats = 3 if quick else 5
    copy = common.best_time(lambda: np.copyto(a, b), repeats)["best"]
    scale = common.best_time(lambda: np.multiply(a, s, out=a), repeats)["best"]
    stream = common.best_time(lambda: rw_stream(a, s, t), repeats)["best"]
    tri = common.best_time(lambda: triad(a, b, c, s), repeats)["best"]
    result = {
        "array_mib": 4 * n / 2**20,
        "numpy_copy_gbs": 8 * n / copy / 1e9,
        "numpy_inplace_scale_gbs": 8 * n / scale / 1e9,
        "numba_rw_stream_gbs": 8 * n / stream / 1e9,
        "numba_triad_gbs": 12 * n / tri / 1e9,
        "numba_threads": numba.get_num_threads(),
    }
    result["bound_updates_per_s"] = max(n / scale, n / stream)
    return result


def _pair(n_in, n_out, rng, batch=None):
    w = rng.uniform(0, 1, (n_out, n_in)).astype(np.float32)
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    shape = (n_in,) if batch is None else (batch, n_in)
    x = rng.uniform(0, 1, shape).astype(np.float32)
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.clip(x @ w.T, -1, 1).astype(np.float32) * np.float32(0.1)
    win = compete(x @ w.T, CompetitiveParams(k=1)).astype(np.float32)
    return w, x, y, win


CORE = {
    "hebb": (hebb_step, HebbParams(eta=1e-4)),
    "oja": (oja_step, OjaParams(eta=1e-4)),
    "sanger": (sanger_step, SangerParams(eta=1e-4)),
    "competitive": (competitive_step, CompetitiveParams(eta=1e-2)),
}
KERNELS = {
    "hebb": kernels.hebb_update,
    "oja": kernels.oja_update,
    "sanger": kernels.sanger_update,
    "competitive": kernels.instar_update,
}


def rate_case(n_in, n_out, bound, quick, rng, batch=None):
    w0, x, y, win = _pair(n_in, n_out, rng, batch)
    per_pass = n_in * n_out * (1 if batch is None else batch)
    min_s = 0.05 if quick else 0.2
    repeats = 3 if quick else 7

    def rate(function):
        return per_pass / common.best_time(function, repeats, min_seconds=min_s)["best"]

    out = {}
    for rule, (step, params) in CORE.items():
        post = win if rule == "competitive" else y
        entry = {}
        w = w0.copy()
        entry["core"] = rate(lambda: step(x, post, w, params, out=w, validate=False))
        # the layer as a node uses it: rates in Hz, default bounds (l2 for hebb and competitive)
        rates = np.ascontiguousarray(x * np.float32(100.0))
        for path, compiled in (("layer", None), ("layer_numpy", False)):
            if path == "layer_numpy" and batch is not None:
                continue  # mini-batches take the same BLAS path with or without numba
            layer = Layer(n_in, n_out, rule=rule, params=params, seed=0, max_rate_hz=100.0, compiled=compiled)
            entry[f"{path}_step"] = rate(lambda: layer.step(rates))
            output = layer.forward(rates)
            entry[f"{path}_learn"] = rate(lambda: layer.learn(rates, output))
        if batch is None:
            w = w0.copy()
            kernel = KERNELS[rule]
            entry["kernel"] = rate(lambda: kernel(x, post, w, params.eta))
        elif rule == "sanger":
            w = w0.copy()
            entry["kernel"] = rate(lambda: kernels.sanger_batch_update(x, y, w, params.eta))
        out[rule] = entry
    return out


def stdp_ours(quick, rng):
    from hebbian_ros.experiments.event_stdp import poisson_events, stdp_run

    n_in, n_out, rate = 784, 400, 10.0
    params = STDPParams()
    result = {}
    # Layer.learn per step: Poisson spikes drawn inside, as a node does
    layer = Layer(n_in, n_out, rule="stdp", params=params, seed=0, max_rate_hz=100.0)
    x = np.full(n_in, rate, dtype=np.float32)
    y = np.full(n_out, rate, dtype=np.float32)
    steps = 300 if quick else 2000
    layer.learn(x, y)
    started = time.perf_counter()
    for _ in range(steps):
        layer.learn(x, y)
    result["layer_learn"] = steps * 1e-3 / (time.perf_counter() - started)
    # stdp_step per step on pre-drawn spikes
    pre = rng.random((steps, n_in)) < rate * 1e-3
    post = rng.random((steps, n_out)) < rate * 1e-3
    w = rng.uniform(0.25, 0.75, (n_out, n_in)).astype(np.float32)
    state = stdp_init_state(n_in, n_out)
    started = time.perf_counter()
    for t in range(steps):
        _, state = stdp_step(pre[t], post[t], w, state, params, out=w, validate=False)
    result["core_stdp_step"] = steps * 1e-3 / (time.perf_counter() - started)
    # event-driven compiled run (row-blocked walk), spike drawing included in the timing; the
    # same run without the drawing ("_run_only") and the drawing alone are kept for reference
    import numba

    sim_steps = 5000 if quick else 20000
    rates_in, rates_out = np.full(n_in, rate), np.full(n_out, rate)
    draw_best = float("inf")
    for threads in (1, None):
        w = rng.uniform(0.25, 0.75, (n_out, n_in)).astype(np.float32)
        stdp_run(
            poisson_events(rates_in, 1e-3, 10, rng),
            poisson_events(rates_out, 1e-3, 10, rng),
            w,
            stdp_init_state(n_in, n_out),
            params,
            out=w,
            threads=threads,
        )
        best = best_run = 0.0
        for _ in range(3 if quick else 7):
            started = time.perf_counter()
            pre_events = poisson_events(rates_in, 1e-3, sim_steps, rng)
            post_events = poisson_events(rates_out, 1e-3, sim_steps, rng)
            drawn = time.perf_counter()
            stdp_run(pre_events, post_events, w, stdp_init_state(n_in, n_out), params, out=w, threads=threads)
            done = time.perf_counter()
            best = max(best, sim_steps * 1e-3 / (done - started))
            best_run = max(best_run, sim_steps * 1e-3 / (done - drawn))
            draw_best = min(draw_best, drawn - started)
        name = f"event_stdp_{threads or numba.get_num_threads()}thr"
        result[name] = best
        result[f"{name}_run_only"] = best_run
    result["poisson_drawing_only"] = sim_steps * 1e-3 / draw_best
    return result


def run_stdp(args, rng) -> dict:
    """Ours and Brian2's STDP side by side, with the load average before and after."""
    load_start = [round(v, 2) for v in os.getloadavg()]
    stdp = stdp_ours(args.quick, rng)
    for name, value in stdp.items():
        print(f"  ours   {name:<28} {value:8.1f} sim s / wall s", flush=True)
    brian = [] if args.no_brian2 else stdp_brian2(args.quick)
    best_brian = max((entry["sim_per_wall"] for entry in brian), default=None)
    best_ours = max(value for name, value in stdp.items() if name.startswith("event_stdp") and name.endswith("thr"))
    if best_brian:
        print(
            f"STDP: ours {best_ours:.1f} vs Brian2 best {best_brian:.1f} sim s / wall s -> {best_ours / best_brian:.1f}x",
            flush=True,
        )
    return {
        "ours": stdp,
        "brian2": brian,
        "ratio_best_ours_to_best_brian2": (best_ours / best_brian) if best_brian else None,
        "load_average_before_after": [load_start, [round(v, 2) for v in os.getloadavg()]],
    }


def brian2_python() -> str | None:
    venv = os.environ.get("HEBBIAN_BRIAN2_VENV")
    candidates = [Path(venv) / "bin" / "python"] if venv else []
    candidates.append(Path(sys.prefix) / "brian2" / "bin" / "python")
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    return None


def stdp_brian2(quick) -> list:
    python = brian2_python()
    if python is None:
        print("Brian2 venv not found (bench/run.sh sets it up); skipping Brian2", file=sys.stderr)
        return []
    runs = [
        ("cpp_standalone", "neuron", 20, "0"),
        ("cpp_standalone", "neuron", 20, "2"),
        ("cpp_standalone", "synapse", 10, "0"),
    ]
    if not quick:
        runs += [("cython", "neuron", 5, "0"), ("cython", "synapse", 5, "0")]
    else:
        runs = runs[:1]
    results = []
    for target, formulation, seconds, threads in runs:
        env = dict(os.environ, BRIAN2_THREADS=threads)
        try:
            done = subprocess.run(
                [python, str(HERE / "brian2_stdp.py"), target, formulation, str(seconds)],
                capture_output=True,
                text=True,
                timeout=600,
                env=env,
            )
            line = done.stdout.strip().splitlines()[-1]
            entry = json.loads(line)
            entry["openmp_threads"] = int(threads)
            results.append(entry)
            print(
                f"  brian2 {target:<15} {formulation:<8} threads={threads}: {entry['sim_per_wall']:8.1f} sim s / wall s",
                flush=True,
            )
        except (subprocess.SubprocessError, IndexError, json.JSONDecodeError) as error:
            print(f"  brian2 {target} {formulation} failed: {error}", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller arrays, fewer repeats, one Brian2 run")
    parser.add_argument("--no-brian2", action="store_true")
    parser.add_argument(
        "--rates-only",
        action="store_true",
        help="skip STDP; save as plasticity_rates[_quick].json (leaves the full record alone)",
    )
    parser.add_argument("--only", choices=["stdp"], help="only the STDP comparison; saves plasticity_stdp[_quick].json")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    if args.only == "stdp":
        common.save(
            "plasticity_stdp_quick" if args.quick else "plasticity_stdp", {"stdp_sim_s_per_wall_s": run_stdp(args, rng)}
        )
        return
    load_start = [round(v, 2) for v in os.getloadavg()]

    bandwidth = measure_bandwidth(args.quick)
    bound = bandwidth["bound_updates_per_s"]
    print(
        f"memory: numpy copy {bandwidth['numpy_copy_gbs']:.1f} GB/s, in-place scale "
        f"{bandwidth['numpy_inplace_scale_gbs']:.1f} GB/s, numba r/w stream {bandwidth['numba_rw_stream_gbs']:.1f} GB/s, "
        f"triad {bandwidth['numba_triad_gbs']:.1f} GB/s -> bound {bound / 1e9:.2f}e9 float32 updates/s",
        flush=True,
    )
    shapes = [(784, 400), (4096, 1024)] + ([] if args.quick else [(8192, 4096)])
    per_sample, batched = {}, {}
    for n_in, n_out in shapes:
        per_sample[f"{n_in}x{n_out}"] = rate_case(n_in, n_out, bound, args.quick, rng)
    for n_in, n_out in shapes[:2]:
        for batch in (64, 256):
            batched[f"{n_in}x{n_out}_B{batch}"] = rate_case(n_in, n_out, bound, args.quick, rng, batch=batch)
    # the machine is shared: measure the bound again at the end and keep the higher (stricter) one
    again = measure_bandwidth(args.quick)
    bandwidth["bound_updates_per_s_start"] = bound
    bandwidth["bound_updates_per_s_end"] = again["bound_updates_per_s"]
    bound = bandwidth["bound_updates_per_s"] = max(bound, again["bound_updates_per_s"])
    print(f"bound used: {bound / 1e9:.2f}e9 updates/s (start/end max)", flush=True)
    for key, rules in per_sample.items():
        for rule, entry in rules.items():
            entry["percent_of_bound"] = {p: 100 * v / bound for p, v in entry.items() if p != "percent_of_bound"}
            entry["layer_step_over_core"] = entry["layer_step"] / entry["core"]
            cells = "  ".join(
                f"{p} {v / 1e9:6.2f}e9 ({entry['percent_of_bound'][p]:4.0f}%)"
                for p, v in entry.items()
                if p in entry["percent_of_bound"]
            )
            print(
                f"per-sample {key:>10} {rule:<12} {cells}  step/core {entry['layer_step_over_core']:.1f}x", flush=True
            )
    for key, rules in batched.items():
        for rule, entry in rules.items():
            cells = "  ".join(f"{p} {v / 1e9:6.1f}e9" for p, v in entry.items())
            print(f"batched {key:>16} {rule:<12} {cells}", flush=True)
    rates = {
        "bandwidth": bandwidth,
        "per_sample_updates_per_s": per_sample,
        "batched_sample_synapse_updates_per_s": batched,
    }
    rates["load_average_at_start"] = load_start
    if args.rates_only:
        common.save("plasticity_rates_quick" if args.quick else "plasticity_rates", rates)
        return

    common.save(
        "plasticity_quick" if args.quick else "plasticity", {**rates, "stdp_sim_s_per_wall_s": run_stdp(args, rng)}
    )


if __name__ == "__main__":
    main()
