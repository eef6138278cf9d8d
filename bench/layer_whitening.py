"""What layer1 loses and what whitening its units could gain: offline, on the recognition benchmark's frames.

Learns N objects with the shipped :class:`hebbian_ros.core.loop.Loop` (``bench/recognition.py``'s protocol), then
takes the sensor's rates of fresh looks (learned objects' learning views at the verdict frame, as stored; learned
and never-seen objects' new views, as probes) and measures the nearest-neighbour AUROC (new views pooled) of
transforms of layer1's drive ``W x̂``, all fitted on the learned objects' stored vectors only:

* the sensor's rates and layer1 as shipped (ON/OFF rates);
* a fresh random projection of the same size (is layer1 more than one?);
* ZCA whitening of the drive, ``(C + floor² λ_max I)^(-1/2)``, fitted on all N learned objects, or only on the
  first k (how many objects whitening needs before it helps: the decorrelation option's fade-in and drift).
* at N' = 10, 30, 100 and N (the first N' learned objects against as many never-seen ones), layer1's ON/OFF rates
  (memory's input) as shipped against the same rates whitened with a shrinkage prior, ``(C + (floor² λ_max + (n0 / n) tr C) I)^(-1/2)`` with ``n``
  the learning samples of N' looks (42 each: 30 frames and 12 gaze views) and ``n0 = 300``: an estimate that stays
  near the identity while it has seen little. Both stored and probe vectors pass the same transform, so this is
  what memory would get by matching through a decorrelation of its own input, without drift.

``python bench/layer_whitening.py [--sources photos,sim,digits] [--n 300] [--quick]`` (``bench/run.sh layer_whitening``); JSON in
``bench/results/layer_whitening.json``. bench/RESULTS.md 5k.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import recognition as rec  # noqa: E402

FLOORS = (0.03, 0.1, 0.3)
FIRST = (10, 30, 100)
#: Shrinkage prior of the whitening [learning samples], and the learning samples per look (30 frames, 12 views).
PRIOR_SAMPLES, SAMPLES_PER_LOOK = 300, 42


def sensor_rates(stages: rec.Stages, frames: rec.Frames, views: list[np.ndarray]) -> np.ndarray:
    """Sensor rates of a fresh look at each view (blank gap, the view up to the verdict frame)."""
    out = []
    for start in range(0, len(views), 256):
        chunk = np.stack(views[start : start + 256])
        blank = np.repeat(frames.blank[None], len(chunk), axis=0)
        out.append(stages([blank] * rec.GAP_PROBE + [chunk] * rec.VERDICT)["rates"])
    return np.concatenate(out)


def measure(name: str, n: int, seed: int, log) -> dict:
    source, frames, learned, novel, loop = rec.learned_pipeline(name, n, seed)
    stages = rec.Stages(loop)
    looks = np.stack([frames.look(o) for o in learned])
    blank = np.repeat(frames.blank[None], n, axis=0)
    stored = stages([blank] * rec.GAP_PROBE + [looks[:, i] for i in range(rec.VERDICT)])["rates"]
    kinds = [k for k in source.kinds if k != "same"]
    pos = [sensor_rates(stages, frames, [frames.view(o, k) for o in learned]) for k in kinds]
    neg = [sensor_rates(stages, frames, [frames.view(o, k) for o in novel]) for k in kinds]
    log(f"{name} N={n}: rates of {len(stored)} stored and {2 * len(pos) * n} probe looks")

    layer = loop.layers[0]
    input_max = float(loop.retina.max_rate)
    weights = np.asarray(layer.weights, np.float32)

    def normalised(x: np.ndarray) -> np.ndarray:  # the layer's divisive input normalisation
        x = np.minimum(x / input_max, 1.0) * np.float32(layer.max_rate_hz)
        return x / (np.linalg.norm(x, axis=1, keepdims=True) + np.float32(layer._sigma))

    def auroc(f) -> float:
        s = f(stored)
        p = np.concatenate([rec.nn_cosine(s, f(v)) for v in pos])
        q = np.concatenate([rec.nn_cosine(s, f(v)) for v in neg])
        return float(rec.separation(p, q)["auroc"])

    def on_off(y: np.ndarray) -> np.ndarray:
        return np.concatenate([np.maximum(y, 0), np.maximum(-y, 0)], axis=1)

    rng = np.random.default_rng(seed)
    random_rows = rng.standard_normal(weights.shape).astype(np.float32)
    random_rows /= np.linalg.norm(random_rows, axis=1, keepdims=True)

    def drive(x: np.ndarray) -> np.ndarray:
        return normalised(x) @ weights.T

    def zca(fitted: np.ndarray, floor: float):
        mean = fitted.mean(axis=0)
        values, vectors = np.linalg.eigh(np.cov((fitted - mean).T, bias=True))
        values = np.clip(values, 0, None)
        transfer = (vectors / np.sqrt(values + floor**2 * values[-1])) @ vectors.T
        return lambda x: on_off((drive(x) - mean) @ transfer)

    def shrunk(n_first: int):
        fitted = on_off(drive(stored[:n_first]))
        mean, size = fitted.mean(axis=0), float(np.linalg.norm(fitted, axis=1).mean())
        values, vectors = np.linalg.eigh(np.cov((fitted - mean).T, bias=True))
        values = np.clip(values, 0, None)
        prior = 0.1**2 * values[-1] + PRIOR_SAMPLES / (SAMPLES_PER_LOOK * n_first) * values.sum()
        transfer = (vectors / np.sqrt(values + prior)) @ vectors.T

        def transform(x: np.ndarray) -> np.ndarray:
            z = on_off(drive(x))
            return (z - np.linalg.norm(z, axis=1, keepdims=True) / size * mean) @ transfer

        return transform

    def subset_auroc(f, n_first: int) -> float:
        s = f(stored[:n_first])
        p = np.concatenate([rec.nn_cosine(s, f(v[:n_first])) for v in pos])
        q = np.concatenate([rec.nn_cosine(s, f(v[:n_first])) for v in neg])
        return float(rec.separation(p, q)["auroc"])

    subsets = sorted({k for k in FIRST if k < n} | {n})
    out = {
        "shared_shrinkage": {
            str(k): {"layer1": subset_auroc(lambda x: on_off(drive(x)), k), "whitened": subset_auroc(shrunk(k), k)}
            for k in subsets
        },
        "rates": auroc(lambda x: x),
        "layer1": auroc(lambda x: layer.forward(np.minimum(x / input_max, 1.0) * np.float32(layer.max_rate_hz))),
        "random_projection": auroc(lambda x: on_off(normalised(x) @ random_rows.T)),
        "whitened_all": {str(f): auroc(zca(drive(stored), f)) for f in FLOORS},
        "whitened_first": {str(k): auroc(zca(drive(stored[:k]), 0.1)) for k in FIRST if k < n},
    }
    log(f"  {out}")
    return out


def report(result: dict) -> None:
    """The tables: NN AUROC per transform, then the shared whitening with its shrinkage prior."""
    print(
        f"\nN = {result['n']}, new views pooled, NN AUROC (whitening fitted on the learned objects' stored looks only)"
    )
    print(
        "| source | rates | layer1 | random projection | "
        + " | ".join(f"whitened, floor {f}" for f in FLOORS)
        + " | "
        + " | ".join(f"whitened from first {k}" for k in FIRST)
        + " |"
    )
    for name, r in result["sources"].items():
        cells = [r["rates"], r["layer1"], r["random_projection"], *r["whitened_all"].values()]
        cells += [r["whitened_first"].get(str(k), float("nan")) for k in FIRST]
        print(f"| {name} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    print("\nWhitening shared by stored and probe vectors, shrinkage prior (no drift): layer1 ON/OFF rates -> whitened")
    for name, r in result["sources"].items():
        print(
            f"{name}: "
            + ", ".join(f"N={k} {v['layer1']:.3f} -> {v['whitened']:.3f}" for k, v in r["shared_shrinkage"].items())
        )


def main(argv: list[str] | None = None) -> int:
    return common.per_source_main(
        argv, __doc__, "layer_whitening", "photos,sim,digits", "photos", measure, {"floors": FLOORS}, report
    )


if __name__ == "__main__":
    sys.exit(main())
