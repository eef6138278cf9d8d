"""Print the markdown tables of bench/RESULTS.md from bench/results/*.json.

Usage: python bench/report.py [digits] [plasticity]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine_line(machine: dict) -> str:
    blas = ", ".join(
        f"{pool['prefix']} {pool['version']} ({pool['architecture']}, {pool['num_threads']} thr)"
        for pool in machine.get("blas") or []
        if pool.get("internal_api") == "openblas"
    )
    return (
        f"{machine['cpu_model']}, {machine['cores']} cores, {machine.get('memory_gib')} GiB, "
        f"Python {machine['python']}, numpy {machine['numpy']}, numba {machine.get('numba')}, BLAS: {blas}; "
        f"load average at save {machine.get('load_average_1_5_15min')}; {machine['date']}"
    )


def digits(data: dict) -> None:
    print(f"Machine: {machine_line(data['machine'])}\n")
    print("| K | Hebbian, k selected by CV (mean ± sd, 3 seeds) | k chosen | Hebbian k=1 | Hebbian k=3 | k-means (mean ± sd) | Δ vs k-means | k-means + invariant read-out | train time Hebbian / k-means | target | pass |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in data["table"]:
        h, km = row["hebbian_selected"], row["kmeans"]
        target = "> k-means" + (", ≥ 97 %" if row["K"] == 400 else "")
        passed = h["mean"] > km["mean"] and (row["K"] != 400 or h["mean"] >= 97.0)
        print(
            f"| {row['K']} | **{h['mean']:.2f} ± {h['sd']:.2f}** | {row['hebbian_k_chosen']} | "
            f"{row['hebbian_k1']['mean']:.2f} ± {row['hebbian_k1']['sd']:.2f} | {row['hebbian_k3']['mean']:.2f} ± {row['hebbian_k3']['sd']:.2f} | "
            f"{km['mean']:.2f} ± {km['sd']:.2f} | {h['mean'] - km['mean']:+.2f} | "
            f"{row['kmeans_invariant_selected']['mean']:.2f} ± {row['kmeans_invariant_selected']['sd']:.2f} | "
            f"{row['hebbian_train_s']:.2f} s / {row['kmeans_train_s']:.3f} s = {row['train_time_ratio']:.1f}× | {target} | {'pass' if passed else 'FAIL'} |"
        )
    print(f"\nLogistic regression on raw pixels (supervised, same split): {100 * data['logistic_regression_raw']:.2f} %.")
    print("\nPer seed (selected read-out / k-means):")
    for run in data["runs"]:
        print(f"K={run['K']} seed {run['seed']}: {100 * run['hebbian_selected']:.2f} (k={run['hebbian_k']}) / {100 * run['kmeans']:.2f}; units used {run['hebbian_units_used']}")


def plasticity(data: dict) -> None:
    bw = data["bandwidth"]
    print(f"Machine: {machine_line(data['machine'])}\n")
    print(
        f"Bandwidth ({bw['array_mib']:.0f} MiB arrays): numpy copy {bw['numpy_copy_gbs']:.1f} GB/s, numpy in-place scale "
        f"{bw['numpy_inplace_scale_gbs']:.1f} GB/s, numba read-modify-write stream ({bw['numba_threads']} thr) "
        f"{bw['numba_rw_stream_gbs']:.1f} GB/s, numba triad {bw['numba_triad_gbs']:.1f} GB/s. Bound used = "
        f"{bw['bound_updates_per_s'] / 1e9:.2f}e9 float32 updates/s (best in-place stream, start {bw['bound_updates_per_s_start'] / 1e9:.2f}e9 / end {bw['bound_updates_per_s_end'] / 1e9:.2f}e9).\n"
    )
    print("Per sample (updates/s, % of the bandwidth bound):\n")
    print("| W | rule | core `*_step(out=w)` | `Layer.step` | fused kernel | kernel / core | kernel ≥ 50 % of bound |")
    print("|---|---|---|---|---|---|---|")
    for shape, rules in data["per_sample_updates_per_s"].items():
        for rule, entry in rules.items():
            pct = entry["percent_of_bound"]
            note = " (dense-equiv.)" if rule == "competitive" else ""
            ok = "n/a (sparse)" if rule == "competitive" else ("pass" if pct["kernel"] >= 50 else "FAIL")
            print(
                f"| {shape} | {rule} | {entry['core'] / 1e9:.2f}e9 ({pct['core']:.0f} %) | {entry['layer'] / 1e9:.2f}e9 ({pct['layer']:.0f} %) | "
                f"{entry['kernel'] / 1e9:.2f}e9 ({pct['kernel']:.0f} %){note} | {entry['kernel'] / entry['core']:.1f}× | {ok} |"
            )
    print("\nBatched (sample-synapse updates/s, B samples per pass over W; target ≥ 1e10):\n")
    print("| W, B | rule | core `*_step` (GEMM) | `Layer.step` | blocked Sanger kernel | best ≥ 1e10 |")
    print("|---|---|---|---|---|---|")
    for key, rules in data["batched_sample_synapse_updates_per_s"].items():
        for rule, entry in rules.items():
            kernel = f"{entry['kernel'] / 1e9:.1f}e9" if "kernel" in entry else "–"
            best = max(entry.values())
            print(f"| {key} | {rule} | {entry['core'] / 1e9:.1f}e9 | {entry['layer'] / 1e9:.1f}e9 | {kernel} | {'pass' if best >= 1e10 else 'FAIL'} |")
    stdp = data["stdp_sim_s_per_wall_s"]
    print("\nSTDP 784×400, Poisson 10 Hz in and out, dt 1 ms (simulated s per wall s):\n")
    print("| implementation | sim s / wall s |")
    print("|---|---|")
    for name, value in stdp["ours"].items():
        print(f"| hebbian_ros {name} | {value:.1f} |")
    for entry in stdp["brian2"]:
        print(f"| Brian2 {entry['brian2']} {entry['target']}, {entry['formulation']} traces, OpenMP threads {entry['openmp_threads']} | {entry['sim_per_wall']:.1f} |")
    if stdp.get("ratio_best_ours_to_best_brian2"):
        print(f"\nBest ours / best Brian2 = {stdp['ratio_best_ours_to_best_brian2']:.1f}× (target ≥ 10×).")


def main() -> None:
    names = sys.argv[1:] or ["digits", "plasticity"]
    for name in names:
        path = RESULTS / f"{name}.json"
        if path.exists():
            print(f"\n### {name}\n")
            {"digits": digits, "plasticity": plasticity}[name](json.loads(path.read_text()))


if __name__ == "__main__":
    main()
