"""Print the markdown tables of bench/RESULTS.md from bench/results/*.json.

Usage: python bench/report.py [digits] [plasticity] [plasticity_rates]
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
    print(
        "| K | Hebbian, k selected by CV (mean ± sd, 3 seeds) | k chosen | Hebbian k=1 | Hebbian k=3 | k-means (mean ± sd) | Δ vs k-means | k-means + invariant read-out | train time Hebbian / k-means | target | pass |"
    )
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
    print(
        f"\nLogistic regression on raw pixels (supervised, same split): {100 * data['logistic_regression_raw']:.2f} %."
    )
    print("\nPer seed (selected read-out / k-means):")
    for run in data["runs"]:
        print(
            f"K={run['K']} seed {run['seed']}: {100 * run['hebbian_selected']:.2f} (k={run['hebbian_k']}) / {100 * run['kmeans']:.2f}; units used {run['hebbian_units_used']}"
        )


def _rate(entry: dict, key: str, percent: bool = True) -> str:
    """``1.23e9 (21 %)`` for one path, ``–`` when the record has no such path (older runs)."""
    if key not in entry:
        return "–"
    pct = entry.get("percent_of_bound", {}).get(key) if percent else None
    return f"{entry[key] / 1e9:.2f}e9" + ("" if pct is None else f" ({pct:.0f} %)")


def _with_layer_step(entry: dict) -> dict:
    """Records before the layer ran on the kernels called ``Layer.step`` just ``layer``."""
    entry = dict(entry)
    if "layer" in entry:
        entry.setdefault("layer_step", entry["layer"])
        if "percent_of_bound" in entry:
            entry["percent_of_bound"] = {
                "layer_step": entry["percent_of_bound"].get("layer"),
                **entry["percent_of_bound"],
            }
    return entry


def plasticity(data: dict) -> None:
    bw = data["bandwidth"]
    print(f"Machine: {machine_line(data['machine'])}; load average at start {data.get('load_average_at_start')}\n")
    print(
        f"Bandwidth ({bw['array_mib']:.0f} MiB arrays): numpy copy {bw['numpy_copy_gbs']:.1f} GB/s, numpy in-place scale "
        f"{bw['numpy_inplace_scale_gbs']:.1f} GB/s, numba read-modify-write stream ({bw['numba_threads']} thr) "
        f"{bw['numba_rw_stream_gbs']:.1f} GB/s, numba triad {bw['numba_triad_gbs']:.1f} GB/s. Bound used = "
        f"{bw['bound_updates_per_s'] / 1e9:.2f}e9 float32 updates/s (best in-place stream, start {bw['bound_updates_per_s_start'] / 1e9:.2f}e9 / end {bw['bound_updates_per_s_end'] / 1e9:.2f}e9).\n"
    )
    print(
        "Per sample (updates/s, % of the bandwidth bound; target: the layer paths ≥ 50 % at 784×400 and 4096×1024):\n"
    )
    print(
        "| W | rule | core `*_step(out=w)` | **`Layer.step`** | **`Layer.learn`** | `Layer.step`, numpy fallback | bare kernel | step / core | layer ≥ 50 % |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for shape, rules in data["per_sample_updates_per_s"].items():
        for rule, entry in rules.items():
            entry = _with_layer_step(entry)
            pct = entry["percent_of_bound"]
            note = " (dense-equiv.)" if rule == "competitive" else ""
            target = shape in ("784x400", "4096x1024")
            layer_ok = min(pct["layer_step"], pct.get("layer_learn", 0)) >= 50
            verdict = ("pass" if layer_ok else "FAIL") if target else "(not a target size)"
            print(
                f"| {shape} | {rule} | {_rate(entry, 'core')} | {_rate(entry, 'layer_step')} | {_rate(entry, 'layer_learn')} | "
                f"{_rate(entry, 'layer_numpy_step')} | {_rate(entry, 'kernel')}{note} | {entry['layer_step'] / entry['core']:.1f}× | {verdict} |"
            )
    print("\nBatched (sample-synapse updates/s, B samples per pass over W; target ≥ 1e10):\n")
    print(
        "| W, B | rule | core `*_step` (GEMM) | **`Layer.step`** (forward + update) | **`Layer.learn`** | blocked Sanger kernel | layer ≥ 1e10 |"
    )
    print("|---|---|---|---|---|---|---|")
    for key, rules in data["batched_sample_synapse_updates_per_s"].items():
        for rule, entry in rules.items():
            entry = _with_layer_step(entry)
            step_ok, learn_ok = entry["layer_step"] >= 1e10, entry.get("layer_learn", 0) >= 1e10
            verdict = {(True, True): "pass", (False, True): "learn only", (True, False): "step only"}.get(
                (step_ok, learn_ok), "FAIL"
            )
            print(
                f"| {key} | {rule} | {_rate(entry, 'core', False)} | {_rate(entry, 'layer_step', False)} | "
                f"{_rate(entry, 'layer_learn', False)} | {_rate(entry, 'kernel', False)} | {verdict} |"
            )
    if "stdp_sim_s_per_wall_s" not in data:
        return
    stdp = data["stdp_sim_s_per_wall_s"]
    print("\nSTDP 784×400, Poisson 10 Hz in and out, dt 1 ms (simulated s per wall s):\n")
    print("| implementation | sim s / wall s |")
    print("|---|---|")
    for name, value in stdp["ours"].items():
        print(f"| hebbian_ros {name} | {value:.1f} |")
    for entry in stdp["brian2"]:
        print(
            f"| Brian2 {entry['brian2']} {entry['target']}, {entry['formulation']} traces, OpenMP threads {entry['openmp_threads']} | {entry['sim_per_wall']:.1f} |"
        )
    if stdp.get("ratio_best_ours_to_best_brian2"):
        print(f"\nBest ours / best Brian2 = {stdp['ratio_best_ours_to_best_brian2']:.1f}× (target ≥ 10×).")


def main() -> None:
    names = sys.argv[1:] or ["digits", "plasticity"]
    for name in names:
        path = RESULTS / f"{name}.json"
        if path.exists():
            print(f"\n### {name}\n")
            report = digits if name == "digits" else plasticity  # plasticity, plasticity_rates[_quick]
            report(json.loads(path.read_text()))


if __name__ == "__main__":
    main()
