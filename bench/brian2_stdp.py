"""Brian2 reference for the STDP speed benchmark (runs in its own venv: Brian2 2.9 needs numpy < 2.4).

Same workload as ``bench/plasticity.py``'s STDP case: ``n_in`` Poisson inputs and ``n_out``
Poisson outputs at ``rate`` Hz, all-to-all synapses, pair-based additive STDP with traces
(A+ 0.005, A- 0.00525, tau 20 ms), weights clipped to [0, 1], dt 1 ms. Two formulations:
``synapse``: Brian2's textbook per-synapse event-driven traces; ``neuron``: traces kept on the
neurons and read by the synapses (fewer operations per event). Prints one JSON object.
Usage: python brian2_stdp.py TARGET FORMULATION SIM_SECONDS [n_in n_out rate]
TARGET: numpy | cython | cpp_standalone.
"""

import json
import os
import sys
import tempfile
import time


def main() -> None:
    target, formulation, sim_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
    n_in, n_out, rate = (
        (int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])) if len(sys.argv) > 6 else (784, 400, 10.0)
    )
    import brian2 as b2

    b2.prefs.logging.console_log_level = "ERROR"
    workdir = tempfile.mkdtemp(prefix="brian2_bench_")
    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = int(os.environ.get("BRIAN2_THREADS", "0"))
    else:
        b2.prefs.codegen.target = target
        b2.prefs.codegen.runtime.cython.cache_dir = os.path.join(workdir, "cython")
    b2.defaultclock.dt = 1 * b2.ms
    b2.seed(1)
    tau_pre = tau_post = 20 * b2.ms
    a_plus, a_minus, w_max = 0.005, 0.00525, 1.0
    if formulation == "synapse":
        pre = b2.PoissonGroup(n_in, rate * b2.Hz)
        post = b2.PoissonGroup(n_out, rate * b2.Hz)
        syn = b2.Synapses(
            pre,
            post,
            """w : 1
            dapre/dt = -apre / tau_pre : 1 (event-driven)
            dapost/dt = -apost / tau_post : 1 (event-driven)""",
            on_pre="w = clip(w - a_minus * apost, 0, w_max)\napre += 1",
            on_post="w = clip(w + a_plus * apre, 0, w_max)\napost += 1",
        )
    else:
        eqs = "dx_tr/dt = -x_tr / tau_pre : 1\nr : Hz"
        pre = b2.NeuronGroup(n_in, eqs, threshold="rand() < r * dt", reset="x_tr += 1", method="exact")
        post = b2.NeuronGroup(n_out, eqs, threshold="rand() < r * dt", reset="x_tr += 1", method="exact")
        pre.r = rate * b2.Hz
        post.r = rate * b2.Hz
        syn = b2.Synapses(
            pre,
            post,
            "w : 1",
            on_pre="w = clip(w - a_minus * x_tr_post, 0, w_max)",
            on_post="w = clip(w + a_plus * x_tr_pre, 0, w_max)",
        )
    syn.connect()
    syn.w = "0.25 + 0.5 * rand()"
    net = b2.Network(b2.collect())
    # warm-up: code generation and compilation happen here (cython), not in the timed run
    started = time.perf_counter()
    if target != "cpp_standalone":
        net.run(10 * b2.ms)
    setup_s = time.perf_counter() - started
    started = time.perf_counter()
    net.run(sim_s * b2.second)
    if target == "cpp_standalone":
        b2.device.build(directory=workdir, compile=True, run=True, clean=False)
        total = time.perf_counter() - started
        wall = float(b2.device._last_run_time)  # the simulation loop alone, measured by Brian2
        setup_s = total - wall
    else:
        wall = time.perf_counter() - started
    weights = syn.w[:]
    print(
        json.dumps(
            {
                "brian2": b2.__version__,
                "target": target,
                "formulation": formulation,
                "sim_seconds": sim_s,
                "wall_seconds": wall,
                "setup_seconds": setup_s,
                "sim_per_wall": sim_s / wall,
                "mean_weight": float(weights.mean()),
                "n_in": n_in,
                "n_out": n_out,
                "rate_hz": rate,
            }
        )
    )


if __name__ == "__main__":
    main()
