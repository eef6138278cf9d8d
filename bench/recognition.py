"""Recognition at scale (issue 14): learn N objects one look each, then tell them from never-seen ones.

Protocol, per stimulus source (bench/stimulus_sets.py) and per N, each N from a fresh pipeline:

1. Learning. For each of the N objects in turn: a blank gap (``GAP_LEARN`` frames of the source's
   blank view), then ``LEARN_FRAMES`` frames of its learning view (+-1 px jitter per frame), through
   ``pipeline.frame(image, DT, learn=True)``: the neuromodulator decides when to learn, as in the demo.
   ``--learning-turn DEG`` (generated objects): the object turns from -DEG to +DEG during its look instead
   (a robot turning it or circling it); the ``pose`` probe (+-30 deg) stays beyond a turn below 30 deg.
   ``--pose-turn DEG`` turns the ``pose`` probe by +-DEG instead (how far one look carries a turn).
2. Probes, learning off. A probe is a fresh look: ``reset_sensor()``, ``GAP_PROBE`` blank frames, then
   ``VIEW_FRAMES`` frames of one view; the verdict is memory's on view frame ``VERDICT`` (1-based, a
   fixed index; ``max_over_look`` in the JSON is the best similarity over the look). Probes: each
   learned object under every view kind of the source (``same`` = the learning view again; new views:
   shift, scale, rotation, lighting, and for the simulator a new object pose) and as many never-seen
   objects under the same kinds, so a view change alone does not tell them apart.
3. Metrics per method and view kind (``new`` pools every kind but ``same``): hit rate (learned called
   familiar), false-familiar rate (never-seen called familiar), AUROC of the familiarity score (learned
   vs never-seen; threshold-free), hit rate at the threshold that gives 5 % false-familiar
   (``hit@5%FF``, the fair comparison across methods), memory size (units, capacity, synapses including
   structural copies, state bytes) and time per probe frame / per match. For the pipeline also ``identified``: the
   share of learned objects whose best-matching memory is their own, whatever the similarity. For generated objects
   each new view is also split by kind of object (family, lying or upright; ``by_group``): a new pose fails boxes,
   not spheres. What memory's mistakes share with what it took them for (``by_category``; digits: the digit;
   generated objects: shape, colours): objects taken at first sight for another (a merge), never-seen ones called
   familiar, and a learned object's best match.
4. Methods, same frames, same run:
   * ``pipeline``: the pipeline under test (default ``Loop.from_config()``); score = memory's
     similarity, decision = memory's own ``familiar``.
   * ``rates_nn``: nearest-neighbour memory on the sensor's rates (no layers), cosine.
   * ``pixel_nn``: nearest-neighbour memory on the 64x64x3 pixels, cosine, mean-subtracted per frame or
     raw, whichever gives the higher pooled new-view AUROC at that N (the variant is reported).
   Both NN memories store as many vectors as the pipeline's memory holds after learning
   (prototypes + copies): if that is at least N, frames evenly spaced over each object's learning
   look (rested sensor for the rates); if fewer, the most recent objects (one frame each, at frame
   ``VERDICT`` of the look), like a memory that recycles its oldest units. ``pixel_nn_all`` stores
   every learned object (one frame each): the reference of the issue's figures. An NN memory's own
   decision threshold is calibrated on what it stored only: the 95th percentile of each stored vector's
   cosine to its nearest vector of another object (so about 5 % false-familiar), no test data used.
5. Drift (N >= 300): the first 10 objects are probed (learning view and shifted view) right after the
   10th was learned (on a copy of the pipeline) and again after all N; reported: how many of those
   recognised at 10 still are at N, by the same memory, and apart from those taken for an earlier object at their
   first look (a merge, not drift): of the ones a memory of their own recognised at 10, how many it still does.
6. Per-stage separation: at each stage (pixels, sensor rates, layer1, layer2, ..., memory input) the
   median cosine of learned-object probes and of never-seen probes to their nearest stored vector, and
   the AUROC of that nearest-neighbour score. Stored = the stage's vectors of all N learning looks
   (frame ``VERDICT`` of a fresh look, weights after learning). Sensor and layer stages are a fresh,
   uninhibited sensor and the layers' ``forward`` (learning off); ``memory_input`` is what memory
   received in the pipeline's probe (inhibition included).

Pluggable: ``--config DIR`` (a folder with the same YAML files as config/) or ``--pipeline
module:function`` (a factory ``function(config_dir_or_None)`` returning any object with ``frame(image,
dt, learn)`` -> a step with ``.recall`` (``similarity``, ``familiar``, ``memory_id``, ``stored``) and
``.top``, ``reset_sensor()``, ``memory`` and ``layers``). A pipeline may define ``probe_stages(frames,
dt)`` (frames ``(T, B, 64, 64, 3)`` uint8, a fresh look each) returning ``{stage: (B, dim)}`` vectors at
the last frame; without it the stages are computed from the Loop's sensor and layers as above.

Usage: python bench/recognition.py [--quick] [--sources photos,sim,digits,meshes] [--n 10,30,100,300,1000]
       [--config DIR] [--pipeline module:function] [--seed 0] [--tag NAME]
Writes bench/results/recognition.json (``_custom`` with --config/--pipeline, ``_quick`` with --quick, or
--tag NAME) and a dated copy, PNG plots next to them; the default full run also rewrites the recognition
section of bench/RESULTS.md (the baseline).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt_module
import importlib
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import common
import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")

from stimulus_sets import Source, make_source  # noqa: E402

from hebbian_ros.evaluation.recognition import (  # noqa: E402
    auroc,
    auroc_difference,
    chance_same_category,
    false_familiar_at_hit,
    hit_at_false_familiar,
    identified,
    nn_cosine,
    plot_recognition_vs_n,
    plot_stage_separation,
    same_category,
    separation,
    threshold_at_hit,
    unit_rows,
)
from hebbian_ros.sim.curiosity import CURIOUS_STEP, curious_path  # noqa: E402

DT = 1 / 30
GAP_LEARN = 15
LEARN_FRAMES = 30
GAP_PROBE = 3
VIEW_FRAMES = 6
VERDICT = 5  # 1-based view frame whose verdict counts
DRIFT_FIRST = 10
DRIFT_MIN_N = 300  # --drift-from
STAGE_TIE = 0.0005  # AUROC: below half the tables' last digit a stage ties its input
FULL_N = (10, 30, 100, 300, 1000)
QUICK_N = (10, 30, 100)
METHODS = ("pipeline", "rates_nn", "pixel_nn", "pixel_nn_all")


# --- the pipeline under test -----------------------------------------------------------------------


def pipeline_factory(config: str | None, hook: str | None):
    """A function returning a fresh pipeline: ``Loop.from_config(config)`` or the ``module:function`` hook."""
    if hook:
        module, _, name = hook.partition(":")
        function = importlib.import_module(module)
        for part in (name or "build").split("."):  # e.g. hebbian_ros.core.loop:Loop.from_config
            function = getattr(function, part)
        return lambda: function(config)
    from hebbian_ros.core.loop import Loop

    return lambda: Loop.from_config(config)


def memory_size(pipeline) -> dict[str, Any]:
    """Units in use, capacity, synapses (incl. structural copies), stored vectors, state bytes."""
    memory = pipeline.memory
    dim = getattr(getattr(memory, "params", None), "dim", None)
    out: dict[str, Any] = {
        "units": int(getattr(memory, "size", 0)),
        "capacity": int(getattr(memory, "capacity", 0)),
        "synapses": int(getattr(memory, "synapses", 0)),
        "dim": dim,
    }
    out["stored_vectors"] = out["synapses"] // dim if dim and out["synapses"] else out["units"]
    pool = getattr(memory, "pool", None)
    out["copies"] = int(getattr(pool, "size", 0)) if pool is not None else 0
    try:
        out["state_bytes"] = int(sum(np.asarray(v).nbytes for v in memory.state_dict().values()))
    except Exception:  # a custom memory without state_dict
        out["state_bytes"] = None
    out["layer_synapses"] = int(sum(np.asarray(layer.weights).size for layer in getattr(pipeline, "layers", [])))
    return out


class Stages:
    """Vectors of each stage (sensor rates, layer outputs) for fresh, uninhibited looks, learning off."""

    def __init__(self, pipeline) -> None:
        self.pipeline = pipeline
        self.custom = getattr(pipeline, "probe_stages", None)

    def __call__(self, frames: list[np.ndarray]) -> dict[str, np.ndarray]:
        """``frames``: T arrays (B, 64, 64, 3), one look per column; stage vectors (B, dim) at the last frame.

        Sensor: a copy of the pipeline's ``retina``, reset for every look (no inhibition); layers: ``forward``.
        """
        if self.custom is not None:
            return {k: np.asarray(v, np.float32) for k, v in self.custom(np.stack(frames), DT).items()}
        p = self.pipeline
        if not hasattr(p, "retina"):
            return {}
        retina = copy.deepcopy(p.retina)  # the pipeline's sensor, its parameters, none of its state
        rows = []
        for b in range(len(frames[0])):
            retina.reset()
            for images in frames:
                rates = retina.see(images[b].astype(np.float32) / np.float32(255.0), DT, validate=False)
            rows.append(np.asarray(rates, np.float32).ravel())
        x = np.stack(rows)
        input_max = float(retina.max_rate)
        out = {"rates": x.copy()}
        for i, layer in enumerate(getattr(p, "layers", [])):
            x = layer.forward(np.minimum(x / input_max, 1.0) * np.float32(layer.max_rate_hz))
            input_max = float(layer.max_rate_hz)
            out[f"layer{i + 1}"] = np.asarray(x, np.float32).copy()
        return out


def probe(pipeline, blank: np.ndarray, view: np.ndarray | list[np.ndarray]) -> dict[str, Any]:
    """One fresh look with learning off: reset, blank gap, the view; verdict at frame ``VERDICT``."""
    views = view if isinstance(view, list) else [view] * VIEW_FRAMES
    pipeline.reset_sensor()
    for _ in range(GAP_PROBE):
        pipeline.frame(blank, DT, learn=False)
    similarity, memory_ids, familiar = [], [], []
    seconds = 0.0
    verdict = None
    for i, image in enumerate(views):
        started = time.perf_counter()
        step = pipeline.frame(image, DT, learn=False)
        seconds += time.perf_counter() - started
        similarity.append(float(step.recall.similarity))
        memory_ids.append(int(step.recall.memory_id))
        familiar.append(bool(step.recall.familiar))
        if i == VERDICT - 1:
            verdict = step
    return {
        "score": similarity[VERDICT - 1],
        "familiar": familiar[VERDICT - 1],
        "memory_id": memory_ids[VERDICT - 1],
        "top": np.asarray(verdict.top, np.float32).ravel().copy(),
        "max_over_look": max(similarity),
        "by_frame": {"similarity": similarity, "memory_id": memory_ids, "familiar": familiar},
        "seconds": seconds,
        "frames": len(views),
    }


# --- nearest-neighbour baselines --------------------------------------------------------------------


def calibrated_threshold(stored: np.ndarray, owners: np.ndarray, quantile: float = 0.95) -> float:
    """95th percentile of each stored vector's cosine to its nearest stored vector of another object."""
    if len(stored) < 2 or len(set(owners.tolist())) < 2:
        return 0.99
    s = unit_rows(stored)
    best = np.full(len(s), -1.0)
    for start in range(0, len(s), 1024):
        sim = s[start : start + 1024] @ s.T
        same = owners[start : start + 1024, None] == owners[None, :]
        sim[same] = -np.inf
        best[start : start + len(sim)] = sim.max(axis=1)
    return float(np.quantile(best[np.isfinite(best)], quantile))


def look_indices(budget: int, n: int) -> list[int]:
    """Learning-look frames (0-based) an NN memory of ``budget`` entries draws from: frame VERDICT first,
    then evenly spaced up to the last, as many as one object may get."""
    per = min(-(-max(1, budget) // n), LEARN_FRAMES - VERDICT + 1)
    spaced = np.linspace(VERDICT - 1, LEARN_FRAMES - 1, per).round().astype(int)
    return list(dict.fromkeys(int(i) for i in spaced))


def matched_store(looks: np.ndarray, budget: int) -> tuple[np.ndarray, np.ndarray]:
    """The vectors an NN memory of ``budget`` entries keeps (see module docstring) and their objects.

    ``looks``: (N, K, dim) vectors of the learning-look frames :func:`look_indices` gave (frame VERDICT first).
    """
    n, k = looks.shape[:2]
    budget = max(1, int(budget))
    if budget < n:
        owners = np.arange(n - budget, n)
        return looks[owners, 0], owners
    per = np.full(n, budget // n)
    per[: budget % n] += 1
    rows, owners = [], []
    for obj in range(n):
        m = int(min(per[obj], k))
        idx = np.unique(np.linspace(0, k - 1, m).round().astype(int)) if m > 1 else np.array([0])
        rows.append(looks[obj, idx])
        owners += [obj] * len(idx)
    return np.concatenate(rows), np.asarray(owners)


def nn_metrics(stored: np.ndarray, owners: np.ndarray, pos: dict[str, np.ndarray], neg: dict[str, np.ndarray]):
    """Per view kind: hit, false-familiar (calibrated threshold), AUROC, hit@5%FF, plus timing."""
    threshold = calibrated_threshold(stored, owners)
    out: dict[str, Any] = {"threshold": threshold, "stored_vectors": int(len(stored))}
    scores = {kind: (nn_cosine(stored, pos[kind]), nn_cosine(stored, neg[kind])) for kind in pos}
    for kind, (p, n) in scores.items():
        out[kind] = cell(p, n, p > threshold, n > threshold)
    new = [k for k in scores if k != "same"]
    if new:
        p = np.concatenate([scores[k][0] for k in new])
        n = np.concatenate([scores[k][1] for k in new])
        out["new"] = cell(p, n, p > threshold, n > threshold)
    query = unit_rows(next(iter(pos.values()))[:50])
    s = unit_rows(stored)

    def lookups() -> None:
        for q in query:
            int(np.argmax(s @ q))

    out["match_us"] = common.best_time(lookups, repeats=3)["best"] / len(query) * 1e6
    out["state_bytes"] = int(s.nbytes)
    out["synapses"] = int(s.size)
    return out


def cell(pos: np.ndarray, neg: np.ndarray, pos_familiar: np.ndarray, neg_familiar: np.ndarray) -> dict[str, float]:
    return {
        "hit": float(np.mean(pos_familiar)),
        "false_familiar": float(np.mean(neg_familiar)),
        "auroc": auroc(pos, neg),
        "hit_at_5ff": hit_at_false_familiar(pos, neg, 0.05),
        "ff_at_90hit": false_familiar_at_hit(pos, neg, 0.9),
        "median_learned": float(np.median(pos)),
        "median_novel": float(np.median(neg)),
        "probes": int(len(pos) + len(neg)),
    }


# --- one run: N objects --------------------------------------------------------------------------------


class Frames:
    """Learning looks and views of a source, cached across the runs of one source.

    ``curious_turn`` [deg] > 0 (3-D sources): a learning look stays still until the neuromodulator switches learning
    mode on, and from the next frame the object turns along :func:`curious_path`, rendered live: the robot turns
    (or circles) only what it does not know. ``learn`` asks :meth:`learning_frame` frame by frame.
    """

    def __init__(self, source: Source, seed: int, curious_turn: float = 0.0) -> None:
        self.source, self.seed = source, seed
        self._looks: dict[int, np.ndarray] = {}
        self._views: dict[tuple[int, str], np.ndarray] = {}
        self.blank = source.blank()
        if curious_turn and not hasattr(source, "objects"):
            raise ValueError(f"curious_turn: source {source.name!r} has no 3-D objects to turn")
        self.curious = curious_path(curious_turn, CURIOUS_STEP)
        self.turned_frames = 0
        self._shown: dict[int, dict[int, np.ndarray]] = {}

    def learning_frame(self, obj: int, frame: int, since_learning: int) -> np.ndarray:
        """Frame ``frame`` of object ``obj``'s learning look; ``since_learning``: frames since learning mode came on
        (-1: not on), which turn the object with ``curious_turn``."""
        if 0 <= since_learning < len(self.curious):
            self.turned_frames += 1
            rng = np.random.default_rng([self.seed, obj, 97, since_learning])
            image = self.source.objects._render(obj, "same", rng, self.curious[since_learning])
            self._shown.setdefault(obj, {})[frame] = image
            return image
        self._shown.get(obj, {}).pop(frame, None)
        return self.look(obj)[frame]

    def shown_look(self, obj: int) -> np.ndarray:
        """The learning look as the last :meth:`learning_frame` calls showed it (turned frames included): what the
        nearest-neighbour baselines store."""
        look = self.look(obj)
        shown = self._shown.get(obj)
        if not shown:
            return look
        look = look.copy()
        for frame, image in shown.items():
            look[frame] = image
        return look

    def look(self, obj: int) -> np.ndarray:
        if obj not in self._looks:
            self._looks[obj] = self.source.learning_look(obj, LEARN_FRAMES, self.seed)
        return self._looks[obj]

    def view(self, obj: int, kind: str) -> np.ndarray:
        key = (obj, kind)
        if key not in self._views:
            self._views[key] = self.look(obj)[VERDICT - 1] if kind == "same" else self.source.view(obj, kind, self.seed)
        return self._views[key]


def learn(pipeline, frames: Frames, objects: list[int], on_object=None) -> dict[str, Any]:
    """Learning phase; memory id -> object stored while it was in view; seconds and episodes.

    ``merged``: each object that got no memory of its own -> the object whose memory recognised most of its look's
    frames (None: none did; it was never learned).
    """
    owner: dict[int, int] = {}
    merged: dict[int, int | None] = {}
    episodes = {"novelty": 0, "aha": 0}  # learning episodes begun, a-has confirmed
    started = time.perf_counter()
    count = 0
    turned_before = frames.turned_frames
    for k, obj in enumerate(objects):
        for _ in range(GAP_LEARN):
            pipeline.frame(frames.blank, DT, learn=True)
        stored, taken_for = False, Counter()
        since_learning = -1
        for f in range(LEARN_FRAMES):
            step = pipeline.frame(frames.learning_frame(obj, f, since_learning), DT, learn=True)
            count += 1
            if since_learning >= 0:
                since_learning += 1
            elif any(getattr(b, "active", False) for b in step.broadcasts):
                since_learning = 0
            if step.recall.stored:
                owner[int(step.recall.memory_id)] = obj
                stored = True
            elif step.recall.familiar and int(step.recall.memory_id) in owner:
                taken_for[owner[int(step.recall.memory_id)]] += 1
            for b in step.broadcasts:
                if getattr(b, "active", False) and _cause(b) in episodes:
                    episodes[_cause(b)] += 1
        if not stored:
            merged[obj] = taken_for.most_common(1)[0][0] if taken_for else None
        if on_object is not None:
            on_object(k, pipeline, owner)
    seconds = time.perf_counter() - started
    return {
        "owner": owner,
        "merged": merged,
        "learning_episodes": episodes["novelty"],
        "aha": episodes["aha"],
        "seconds": seconds,
        "us_per_frame": seconds / max(1, len(objects) * (GAP_LEARN + LEARN_FRAMES)) * 1e6,
        "curious_frames": frames.turned_frames - turned_before,  # frames turned (--curious-turn)
    }


def _cause(broadcast) -> str:
    cause = getattr(broadcast, "cause", None)
    return str(getattr(cause, "name", cause)).lower()


def learned_pipeline(name: str, n: int, seed: int) -> tuple[Source, Frames, list[int], list[int], Any]:
    """Source ``name``, its frames, N learned and N never-seen object ids, and the shipped loop once it learned the N.

    The start of the per-source analyses (``bench/layer_whitening.py``, ``memory_whitening.py``, ``verdict_frames.py``).
    """
    source = make_source(name, seed)
    frames = Frames(source, seed)
    learned, novel = source.learned_ids(n), source.novel_ids(n)
    loop = pipeline_factory(None, None)()
    learn(loop, frames, learned)
    return source, frames, learned, novel, loop


def probe_set(pipeline, frames: Frames, objects: list[int], kinds: tuple[str, ...]) -> dict[str, list[dict]]:
    return {kind: [probe(pipeline, frames.blank, frames.view(obj, kind)) for obj in objects] for kind in kinds}


def pipeline_metrics(pos: dict[str, list[dict]], neg: dict[str, list[dict]], learned: list[int], owner) -> dict:
    out: dict[str, Any] = {}
    for kind in pos:
        p = np.array([r["score"] for r in pos[kind]])
        n = np.array([r["score"] for r in neg[kind]])
        c = cell(p, n, np.array([r["familiar"] for r in pos[kind]]), np.array([r["familiar"] for r in neg[kind]]))
        c["hit_same_memory"] = float(
            np.mean([r["familiar"] and owner.get(r["memory_id"]) == obj for r, obj in zip(pos[kind], learned)])
        )
        c["identified"] = identified([r["memory_id"] for r in pos[kind]], learned, owner)
        c["auroc_max_over_look"] = auroc(
            [r["max_over_look"] for r in pos[kind]], [r["max_over_look"] for r in neg[kind]]
        )
        out[kind] = c
    new = [k for k in pos if k != "same"]
    p = np.array([r["score"] for k in new for r in pos[k]])
    n = np.array([r["score"] for k in new for r in neg[k]])
    pf = np.array([r["familiar"] for k in new for r in pos[k]])
    nf = np.array([r["familiar"] for k in new for r in neg[k]])
    out["new"] = cell(p, n, pf, nf)
    frames = sum(r["frames"] for k in pos for r in pos[k] + neg[k])
    seconds = sum(r["seconds"] for k in pos for r in pos[k] + neg[k])
    out["frame_us"] = seconds / max(1, frames) * 1e6
    return out


def by_group(
    source: Source, pos: dict[str, list[dict]], neg: dict[str, list[dict]], learned: list[int], owner: dict[int, int]
) -> dict:
    """Per kind of object (``source.group``; generated objects: family, lying or upright), for each new view: the
    AUROC of that group's learned objects against every never-seen one, memory's hit rate, and how many it identified
    (best match its own memory, whatever the similarity). Empty for a source without groups."""
    group = getattr(source, "group", None)
    if group is None:
        return {}
    names = np.array([group(obj) for obj in learned])
    objects = np.asarray(learned)
    members = {str(name): names == name for name in np.unique(names)}
    out: dict[str, Any] = {}
    for kind in (k for k in pos if k != "same"):
        scores = np.array([r["score"] for r in pos[kind]])
        familiar = np.array([r["familiar"] for r in pos[kind]])
        memory_ids = np.array([r["memory_id"] for r in pos[kind]])
        novel = np.array([r["score"] for r in neg[kind]])
        out[kind] = {
            name: {
                "objects": int(mask.sum()),
                "auroc": auroc(scores[mask], novel),
                "hit": float(familiar[mask].mean()),
                "identified": identified(memory_ids[mask], objects[mask], owner),
            }
            for name, mask in members.items()
        }
    return out


def by_category(
    source: Source,
    pos: dict[str, list[dict]],
    neg: dict[str, list[dict]],
    learned: list[int],
    novel: list[int],
    owner: dict[int, int],
    merged: dict[int, int | None],
) -> dict:
    """What memory's mistakes share with what it took them for, per category the source names
    (``source.categories``; digits: the digit; generated objects: shape, colours).

    Per category: how many objects were taken at first sight for an object of their category (a merge: no memory
    of their own); per view kind, how many never-seen objects called familiar were taken for one of their
    category, how many of those that score at least as high as 90 % of the learned ones (``at_90hit``) are of
    their match's, and how often a learned object's best match is an object of its category. ``chance``: the share
    of pairs of learned objects of one category. Empty for a source without categories.
    """
    out: dict[str, Any] = {}
    takers = list(merged.values())
    for name, category in getattr(source, "categories", {}).items():
        c: dict[str, Any] = {
            "chance": chance_same_category(learned, category),
            "merged": len(merged),
            "merged_same_category": same_category(list(merged), takers, category),
            "never_learned": sum(t is None for t in takers),
        }
        for kind in pos:
            best = [owner.get(int(r["memory_id"])) for r in pos[kind]]
            familiar = [(obj, owner.get(int(r["memory_id"]))) for r, obj in zip(neg[kind], novel) if r["familiar"]]
            hit90 = threshold_at_hit([r["score"] for r in pos[kind]], 0.9)
            above = [(obj, owner.get(int(r["memory_id"]))) for r, obj in zip(neg[kind], novel) if r["score"] >= hit90]
            c[kind] = {
                "identified_category": same_category(learned, best, category) / max(1, len(learned)),
                "false_familiar": len(familiar),
                "false_familiar_same_category": same_category(
                    [o for o, _ in familiar], [t for _, t in familiar], category
                ),
                "at_90hit": len(above),
                "at_90hit_same_category": same_category([o for o, _ in above], [t for _, t in above], category),
            }
        out[name] = c
    return out


def memory_match_us(pipeline, tops: np.ndarray) -> float | None:
    """One memory lookup (``memory.match``), best of 3 over up to 100 probe patterns [µs]."""
    match = getattr(pipeline.memory, "match", None)
    if match is None or len(tops) == 0:
        return None
    sample = tops[:100]

    def lookups() -> None:
        for top in sample:
            match(top)

    return common.best_time(lookups, repeats=3)["best"] / len(sample) * 1e6


def run_n(make_pipeline, frames: Frames, n: int, log, drift_from: int = DRIFT_MIN_N) -> dict[str, Any]:
    source = frames.source
    kinds = source.kinds
    learned, novel = source.learned_ids(n), source.novel_ids(n)
    pipeline = make_pipeline()
    drift: dict[str, Any] = {}
    drift_kinds = tuple(k for k in ("same", "shift") if k in kinds)

    def after_object(k: int, p, owner: dict[int, int]) -> None:
        if n >= drift_from and k == DRIFT_FIRST - 1:
            snapshot = copy.deepcopy(p)  # probes must not touch the learner's state (usage counts)
            drift["at_10"] = probe_set(snapshot, frames, learned[:DRIFT_FIRST], drift_kinds)
            drift["owner_at_10"] = dict(owner)

    t0 = time.perf_counter()
    learning = learn(pipeline, frames, learned, after_object)
    owner = learning.pop("owner")
    size = memory_size(pipeline)
    log(f"  N={n}: learned in {learning['seconds']:.1f} s, memory {size['units']} units, {size['synapses']} synapses")
    pos = probe_set(pipeline, frames, learned, kinds)
    neg = probe_set(pipeline, frames, novel, kinds)
    look_probes = [probe(pipeline, frames.blank, list(frames.look(obj)[:VIEW_FRAMES])) for obj in learned]
    methods: dict[str, Any] = {"pipeline": pipeline_metrics(pos, neg, learned, owner)}
    groups = by_group(source, pos, neg, learned, owner)
    if groups:
        methods["pipeline"]["by_group"] = groups
    categories = by_category(source, pos, neg, learned, novel, owner, learning["merged"])
    if categories:
        methods["pipeline"]["by_category"] = categories
    tops = np.stack([r["top"] for r in pos[kinds[0]]])
    methods["pipeline"]["match_us"] = memory_match_us(pipeline, tops)
    methods["pipeline"]["state_bytes"] = size["state_bytes"]
    methods["pipeline"]["synapses"] = size["synapses"]

    # stage vectors (fresh uninhibited looks, learning off): probes, and learning looks at the frames the
    # NN memories store (each frame's look: blank gap, then the jittered frames up to it)
    stages = Stages(pipeline)

    def stage_vectors(views: list[np.ndarray]) -> dict[str, np.ndarray]:
        out: dict[str, list[np.ndarray]] = {}
        for start in range(0, len(views), 256):
            chunk = np.stack(views[start : start + 256])
            blank = np.repeat(frames.blank[None], len(chunk), axis=0)
            for name, v in stages([blank] * GAP_PROBE + [chunk] * VERDICT).items():
                out.setdefault(name, []).append(v)
        return {k: np.concatenate(v) for k, v in out.items()}

    look_frames = np.stack([frames.shown_look(obj) for obj in learned])  # (N, F, 64, 64, 3), as learning saw them
    budget = size["stored_vectors"]
    stored_frames = look_indices(budget, n)
    look_stage: dict[str, np.ndarray] = {}
    for j, f in enumerate(stored_frames):
        for start in range(0, n, 256):
            chunk = look_frames[start : start + 256]
            blank = np.repeat(frames.blank[None], len(chunk), axis=0)
            seq = [blank] * GAP_PROBE + [chunk[:, i] for i in range(f - VERDICT + 1, f + 1)]
            for name, v in stages(seq).items():
                look_stage.setdefault(name, np.zeros((n, len(stored_frames), v.shape[1]), np.float32))[
                    start : start + 256, j
                ] = v
    pixels = look_frames[:, stored_frames].reshape(n, len(stored_frames), -1).astype(np.float32)
    verdict_index = 0  # stored_frames[0] is frame VERDICT

    probe_pixels = {k: np.stack([frames.view(o, k) for o in learned]).reshape(n, -1).astype(np.float32) for k in kinds}
    novel_pixels = {k: np.stack([frames.view(o, k) for o in novel]).reshape(n, -1).astype(np.float32) for k in kinds}
    probe_stage = {k: stage_vectors([frames.view(o, k) for o in learned]) for k in kinds}
    novel_stage = {k: stage_vectors([frames.view(o, k) for o in novel]) for k in kinds}

    if "rates" in look_stage:
        stored, owners = matched_store(look_stage["rates"], budget)
        methods["rates_nn"] = nn_metrics(
            stored, owners, {k: probe_stage[k]["rates"] for k in kinds}, {k: novel_stage[k]["rates"] for k in kinds}
        )

    def centred(x: np.ndarray) -> np.ndarray:
        return x - x.mean(axis=-1, keepdims=True)

    variants = {}
    for variant, f in (("raw", lambda x: x), ("centred", centred)):
        stored, owners = matched_store(f(pixels), budget)
        variants[variant] = nn_metrics(
            stored, owners, {k: f(probe_pixels[k]) for k in kinds}, {k: f(novel_pixels[k]) for k in kinds}
        )
    best = max(variants, key=lambda v: variants[v]["new"]["auroc"])
    methods["pixel_nn"] = {**variants[best], "variant": best}
    all_pixels = centred(pixels[:, verdict_index]) if best == "centred" else pixels[:, verdict_index]
    f = centred if best == "centred" else (lambda x: x)
    methods["pixel_nn_all"] = {
        **nn_metrics(
            all_pixels, np.arange(n), {k: f(probe_pixels[k]) for k in kinds}, {k: f(novel_pixels[k]) for k in kinds}
        ),
        "variant": best,
    }
    methods["pixel_nn"]["other_variant"] = {
        "variant": "raw" if best == "centred" else "centred",
        "new": variants["raw" if best == "centred" else "centred"]["new"],
    }

    # per-stage separation: stored = every learned object's learning look at frame VERDICT
    stage_table: dict[str, Any] = {}
    pooled_by_stage: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    stored_by_stage = {
        "pixels": pixels[:, verdict_index],
        "pixels_centred": centred(pixels[:, verdict_index]),
        **{k: v[:, verdict_index] for k, v in look_stage.items()},
    }
    stored_by_stage["memory_input"] = np.stack([r["top"] for r in look_probes])
    for name, stored in stored_by_stage.items():
        row: dict[str, Any] = {}
        pooled_p, pooled_n = [], []
        for kind in kinds:
            if name == "pixels":
                qp, qn = probe_pixels[kind], novel_pixels[kind]
            elif name == "pixels_centred":
                qp, qn = centred(probe_pixels[kind]), centred(novel_pixels[kind])
            elif name == "memory_input":
                qp = np.stack([r["top"] for r in pos[kind]])
                qn = np.stack([r["top"] for r in neg[kind]])
            else:
                qp, qn = probe_stage[kind][name], novel_stage[kind][name]
            sp, sn = nn_cosine(stored, qp), nn_cosine(stored, qn)
            row[kind] = separation(sp, sn)
            if kind != "same":
                pooled_p.append(sp)
                pooled_n.append(sn)
        if pooled_p:
            pooled_by_stage[name] = (np.concatenate(pooled_p), np.concatenate(pooled_n))
            row["new"] = separation(*pooled_by_stage[name])
        stage_table[name] = row
    # each stage against its input, on the same probes: is a difference more than the choice of probes?
    chain = [s for s in pooled_by_stage if not s.startswith("pixels")]
    for before, after in zip(chain, chain[1:]):
        (pa, na), (pb, nb) = pooled_by_stage[before], pooled_by_stage[after]
        stage_table[after]["new"]["vs_input"] = {"input": before, **auroc_difference((pa, pb), (na, nb))}

    def run_ff(kind: str) -> float:
        return methods["pipeline"][kind]["false_familiar"]

    if drift:
        at_end = probe_set(pipeline, frames, learned[:DRIFT_FIRST], drift_kinds)
        drift_out = {}
        owner_at_10 = drift["owner_at_10"]
        for kind in drift_kinds:
            before, after = drift["at_10"][kind], at_end[kind]
            # still recognised: familiar through the same memory as after 10 objects, a memory no other object
            # has been stored in since (recycled units would make "familiar" meaningless at large N)
            kept = [
                b["familiar"]
                and a["familiar"]
                and a["memory_id"] == b["memory_id"]
                and owner.get(a["memory_id"]) == owner_at_10.get(b["memory_id"])
                for b, a in zip(before, after)
            ]
            # what drift can erase: the first objects recognised after 10 by a memory they own (the others were
            # taken for an earlier object at their first look, a merge, and have no memory to lose)
            own = [b["familiar"] and owner_at_10.get(b["memory_id"]) == obj for b, obj in zip(before, learned)]
            drift_out[kind] = {
                "recognised_after_10": int(sum(r["familiar"] for r in before)),
                "own_memory_after_10": int(sum(own)),
                "own_memory_kept": int(sum(o and k for o, k in zip(own, kept))),
                "familiar_after_n": int(sum(r["familiar"] for r in after)),
                "still_recognised": int(sum(kept)),
                "still_recognised_share_of_10": sum(kept) / DRIFT_FIRST,
                "false_familiar_at_n": run_ff(kind),
            }
        drift = drift_out
    return {
        "n": n,
        "memory": size,
        "learning": learning,
        "methods": methods,
        "stages": stage_table,
        "drift": drift,
        "seconds": time.perf_counter() - t0,
    }


# --- output ----------------------------------------------------------------------------------------


def _f(value, digits=2) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def tables(result: dict[str, Any], kind: str = "new") -> str:
    lines = []
    for name, source in result["sources"].items():
        lines.append(f"\n**{name}** ({source['source'].get('objects')} objects available; {kind} views pooled: ")
        lines[-1] += ", ".join(k for k in source["source"]["kinds"] if k != "same") + ")\n"
        lines.append(
            "| N | method | hit | false-fam. | AUROC | hit@5%FF | FF@90%hit | same-view AUROC | units | synapses "
            "| state kB | match µs |"
        )
        lines.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for n, run in source["runs"].items():
            for method, m in run["methods"].items():
                c = m.get(kind, {})
                units = run["memory"]["units"] if method == "pipeline" else m.get("stored_vectors")
                label = method + (f" ({m['variant']})" if "variant" in m else "")
                lines.append(
                    f"| {n} | {label} | {_f(c.get('hit'))} | {_f(c.get('false_familiar'))} | {_f(c.get('auroc'))} "
                    f"| {_f(c.get('hit_at_5ff'))} | {_f(c.get('ff_at_90hit'))} | {_f(m.get('same', {}).get('auroc'))} "
                    f"| {units} | {m.get('synapses')} | {_f((m.get('state_bytes') or float('nan')) / 1000, 1)} "
                    f"| {_f(m.get('match_us'), 1)} |"
                )
        lines.append("")
        lines.append("Per view kind, pipeline AUROC / pixel_nn AUROC:")
        lines.append("")
        kinds = [k for k in source["source"]["kinds"]]
        lines.append("| N | " + " | ".join(kinds) + " |")
        lines.append("|---:|" + "---|" * len(kinds))
        for n, run in source["runs"].items():
            p, x = run["methods"]["pipeline"], run["methods"]["pixel_nn"]
            lines.append(f"| {n} | " + " | ".join(f"{_f(p[k]['auroc'])} / {_f(x[k]['auroc'])}" for k in kinds) + " |")
        for n, run in source["runs"].items():
            p = run["methods"]["pipeline"]
            if all("identified" in p[k] for k in kinds):
                lines.append("")
                lines.append(
                    f"Identified, N = {n} (a learned object's best-matching memory is its own, whatever the "
                    "similarity; learning off): " + ", ".join(f"{k} {_f(p[k]['identified'])}" for k in kinds) + "."
                )
        for n, run in source["runs"].items():
            for name, c in run["methods"]["pipeline"].get("by_category", {}).items():
                lines.append("")
                lines.append(
                    f"By {name}, N = {n} (pairs of learned objects alike in it by chance: {_f(c['chance'], 3)}): "
                    f"{c['merged']} objects got no memory of their own, {c['merged_same_category']} of them taken "
                    f"for an object of their {name} ({c['never_learned']} for none); never-seen objects called "
                    f"familiar, taken for one of their {name}: "
                    + ", ".join(
                        f"{k} {c[k]['false_familiar_same_category']} of {c[k]['false_familiar']}" for k in kinds
                    )
                    + "; never-seen objects scoring as high as 90 % of the learned ones, of their match's "
                    f"{name}: "
                    + ", ".join(f"{k} {c[k]['at_90hit_same_category']} of {c[k]['at_90hit']}" for k in kinds)
                    + f"; best match of a learned object's {name}: "
                    + ", ".join(f"{k} {_f(c[k]['identified_category'])}" for k in kinds)
                    + "."
                )
        lines.append("")
        lines.append("Per-stage separation (new views pooled; median NN cosine learned / never-seen, NN AUROC):")
        lines.append("")
        stage_names = list(next(iter(source["runs"].values()))["stages"])
        lines.append("| N | " + " | ".join(stage_names) + " |")
        lines.append("|---:|" + "---|" * len(stage_names))
        for n, run in source["runs"].items():
            cells = []
            for s in stage_names:
                c = run["stages"].get(s, {}).get(kind)
                cells.append(
                    "–" if c is None else f"{_f(c['median_learned'])} / {_f(c['median_novel'])}, {_f(c['auroc'])}"
                )
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
        drift_rows = [(n, run["drift"]) for n, run in source["runs"].items() if run.get("drift")]
        if drift_rows:
            lines.append("")
            for n, d in drift_rows:
                parts = [
                    f"{k}: {v['still_recognised']}/10 still recognised by the same memory "
                    f"({v['recognised_after_10']}/10 recognised after 10; {_own_kept(v)}; "
                    f"{v['familiar_after_n']}/10 familiar at N, false-familiar {v['false_familiar_at_n']:.2f})"
                    for k, v in d.items()
                ]
                lines.append(f"Drift, first 10 objects after N = {n}: " + "; ".join(parts) + ".")
        for n, run in source["runs"].items():
            pose = run["methods"]["pipeline"].get("by_group", {}).get("pose")
            if pose:
                lines.append("")
                lines.append(
                    f"Pose by kind of object, N = {n} (AUROC against every never-seen object, memory's hit, identified): "
                    + "; ".join(
                        f"{g} ({c['objects']}) {_f(c['auroc'], 3)}, {_f(c['hit'])}, {_f(c.get('identified'))}"
                        for g, c in pose.items()
                    )
                    + "."
                )
        lines.append("")
        lines.append("Targets of issue 14 (pipeline):")
        lines.append("")
        lines.append("| target | measured | met |")
        lines.append("|---|---|---|")
        for target, measured, met in targets(source):
            lines.append(f"| {target} | {measured} | {'yes' if met else ('–' if met is None else '**no**')} |")
    return "\n".join(lines)


def _own_kept(drift: dict[str, Any]) -> str:
    """Drift proper: of the first objects recognised after 10 by a memory of their own, how many still are."""
    if "own_memory_after_10" not in drift:  # a run before this field
        return "own memories not counted"
    return f"{drift['own_memory_kept']} of the {drift['own_memory_after_10']} recognised by their own memory after 10"


def targets(source: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """The issue's targets against one source's runs: (target, measured, met; None: not measured)."""
    runs = source["runs"]
    out: list[tuple[str, str, bool | None]] = []
    if "300" in runs:
        m = runs["300"]["methods"]["pipeline"]
        for kind in ("shift", "pose"):
            if kind in m:
                c = m[kind]
                out.append(
                    (
                        f"N = 300, {kind}: AUROC >= 0.95, false-familiar <= 5 % at hit >= 90 %",
                        f"AUROC {c['auroc']:.3f}, FF@90%hit {c['ff_at_90hit']:.2f}",
                        c["auroc"] >= 0.95 and c["ff_at_90hit"] <= 0.05,
                    )
                )
    below = [
        f"N={n}: {r['methods']['pipeline']['new']['auroc']:.2f} < {r['methods']['pixel_nn']['new']['auroc']:.2f}"
        for n, r in runs.items()
        if r["methods"]["pipeline"]["new"]["auroc"] < r["methods"]["pixel_nn"]["new"]["auroc"]
    ]
    out.append(
        ("every N: AUROC (new views) >= raw-pixel NN (same stored vectors)", "; ".join(below) or "all N", not below)
    )
    below_all = [
        f"N={n}: {r['methods']['pipeline']['new']['auroc']:.2f} < {r['methods']['pixel_nn_all']['new']['auroc']:.2f}"
        for n, r in runs.items()
        if r["methods"]["pipeline"]["new"]["auroc"] < r["methods"]["pixel_nn_all"]["new"]["auroc"]
    ]
    out.append(
        ("(also) every N: AUROC >= raw-pixel NN of every object", "; ".join(below_all) or "all N", not below_all)
    )
    if "1000" in runs:
        r = runs["1000"]
        a = r["methods"]["pipeline"]["new"]["auroc"]
        out.append(
            (
                "N = 1000: AUROC >= 0.90 (state, match time reported)",
                f"AUROC {a:.3f}, state {r['memory']['state_bytes'] or 0:,} B, match "
                f"{_f(r['methods']['pipeline']['match_us'], 1)} µs, frame {_f(r['methods']['pipeline']['frame_us'], 0)} µs",
                a >= 0.90,
            )
        )
    for n, r in runs.items():
        d = r.get("drift", {}).get("same")
        if d:
            out.append(
                (
                    f"drift: >= 90 % of the first 10 still recognised after N = {n}",
                    f"{d['still_recognised']}/10 by the same memory ({d['recognised_after_10']}/10 after 10; "
                    f"{_own_kept(d)})",
                    d["still_recognised"] >= 9,
                )
            )
    worse = []
    for n, r in runs.items():
        names = [s for s in r["stages"] if not s.startswith("pixels")]
        for a, b in zip(names, names[1:]):
            # a stage that ties its input (layer2 starts as layer1's copy: equal up to float rounding) is not worse
            if r["stages"][b]["new"]["auroc"] < r["stages"][a]["new"]["auroc"] - STAGE_TIE:
                ci = r["stages"][b]["new"].get("vs_input")
                interval = f" (difference {ci['delta']:+.3f}, 95 % {ci['low']:+.3f} … {ci['high']:+.3f})" if ci else ""
                worse.append(
                    f"N={n} {b} {r['stages'][b]['new']['auroc']:.3f} < {a} {r['stages'][a]['new']['auroc']:.3f}"
                    + interval
                )
    out.append(("each stage separates (NN AUROC) at least as well as its input", "; ".join(worse) or "all", not worse))
    return out


def update_results_md(
    result: dict[str, Any],
    json_name: str,
    marker: str = "recognition",
    title: str = "5. Recognition at scale (issue 14) — `bench/run.sh recognition` / `python bench/recognition.py`",
) -> None:
    """Write (or replace) the RESULTS.md section between ``<!-- marker:begin/end -->`` with ``result``'s tables."""
    path = Path(__file__).resolve().parent / "RESULTS.md"
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    p = result["protocol"]
    body = (
        f"{begin}\n## {title}\n\n"
        f"Run {result['machine']['date']} ({'quick' if result['quick'] else 'full'}, {result['seconds']:.0f} s), "
        f"code {(result.get('code', {}).get('commit') or 'unknown')[:10]}"
        f"{' + local changes' if result.get('code', {}).get('pipeline_code_modified') else ''}, "
        f"pipeline `{result['pipeline']['name']}`, JSON `bench/results/{json_name}`. Protocol (module docstring of "
        f"bench/recognition.py): N objects, one look each ({p['gap_learn']} blank + {p['learn_frames']} frames, "
        f"learning on, the neuromodulator decides), then probes with learning off: a fresh look ({p['gap_probe']} blank + "
        f"{p['view_frames']} frames), verdict on view frame {p['verdict_frame']}; N learned objects under each view kind "
        "against N never-seen objects under the same kind. hit / false-fam.: each method's own decision (pipeline: "
        "memory's `familiar`; NN baselines: threshold calibrated on their stored vectors only); AUROC and hit@5%FF are "
        "threshold-free comparisons. NN memories store as many vectors as the pipeline's memory (prototypes + copies); "
        "`pixel_nn_all` stores every learned object. units = pipeline memory units / NN stored vectors; synapses = "
        "memory synapses (pipeline incl. copies, not layers) / stored numbers; match µs = one memory lookup "
        "(pipeline: `memory.match`).\n"
        + tables(result)
        + f"\n\nPlots: `bench/results/{Path(json_name).stem}_vs_n.png`, `bench/results/{Path(json_name).stem}_stages.png`.\n{end}\n"
    )
    text = path.read_text() if path.exists() else ""
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", lambda _m: body, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + body
    path.write_text(text)
    print(f"updated {path.relative_to(common.REPO)}")


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value))


def code_version() -> dict[str, Any]:
    """Commit of the tree the bench runs from, and whether the pipeline's code differs from it."""
    import subprocess

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=common.REPO, capture_output=True, text=True, timeout=30)
            return done.stdout.strip() if done.returncode == 0 else ""
        except (OSError, subprocess.SubprocessError):
            return ""

    if os.environ.get("HEBBIAN_BENCH_COMMIT"):  # a snapshot (git archive) of that commit, not a checkout
        return {"commit": os.environ["HEBBIAN_BENCH_COMMIT"], "pipeline_code_modified": False, "modified": "snapshot"}
    changed = git("status", "--porcelain", "--", "hebbian_ros/core", "config", "bench/recognition.py")
    return {"commit": git("rev-parse", "HEAD") or None, "pipeline_code_modified": bool(changed), "modified": changed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 10, 30, 100 on the photos (<= 3 min)")
    parser.add_argument(
        "--sources",
        default=None,
        help="comma-separated: photos, sim, digits, meshes, sim_twins (default: photos, sim, digits, meshes; --quick: photos)",
    )
    parser.add_argument("--n", default=None, help="comma-separated N values")
    parser.add_argument("--config", default=None, help="folder with the config YAML files (default: config/)")
    parser.add_argument("--pipeline", default=None, help="module:function returning a pipeline (Loop interface)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--learning-turn",
        type=float,
        default=0.0,
        help="degrees: generated objects turn -DEG .. +DEG during their learning look (views from several sides)",
    )
    parser.add_argument(
        "--curious-turn",
        type=float,
        default=0.0,
        help="degrees: a 3-D object's learning look stays still until learning mode is on, then the object turns "
        f"0 -> +DEG -> -DEG -> 0 at {CURIOUS_STEP:g} deg a frame (the robot turns what it does not know)",
    )
    parser.add_argument(
        "--pose-turn",
        type=float,
        default=None,
        help="degrees: the generated objects' pose probe turns the object by +-DEG (default: 30)",
    )
    parser.add_argument("--drift-from", type=int, default=DRIFT_MIN_N, help="smallest N with the drift test")
    parser.add_argument("--tag", default=None, help="name of the result files (default: recognition[_custom][_quick])")
    parser.add_argument(
        "--no-results-md",
        action="store_true",
        help="do not update bench/RESULTS.md (only a full default run without --tag, --config or --pipeline does)",
    )
    args = parser.parse_args(argv)
    sources = (args.sources or ("photos" if args.quick else "photos,sim,digits,meshes")).split(",")
    ns = [int(v) for v in args.n.split(",")] if args.n else list(QUICK_N if args.quick else FULL_N)
    make_pipeline = pipeline_factory(args.config, args.pipeline)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", flush=True)

    result: dict[str, Any] = {
        "quick": args.quick,
        "code": code_version(),
        "pipeline": {"name": args.pipeline or f"Loop.from_config({args.config or 'config/'})", "config": args.config},
        "protocol": {
            "dt": DT,
            "gap_learn": GAP_LEARN,
            "learn_frames": LEARN_FRAMES,
            "gap_probe": GAP_PROBE,
            "view_frames": VIEW_FRAMES,
            "verdict_frame": VERDICT,
            "drift_first": DRIFT_FIRST,
            "seed": args.seed,
            "learning_turn": args.learning_turn,
            "curious_turn": args.curious_turn,
            "pose_turn": args.pose_turn,
        },
        "sources": {},
    }
    from threadpoolctl import threadpool_limits

    blas = threadpool_limits(1)  # one BLAS thread: NN lookups timed without thread hand-offs on a shared machine
    for name in sources:
        source = make_source(name, args.seed, args.learning_turn, args.pose_turn)
        frames = Frames(source, args.seed, args.curious_turn)
        log(f"source {name}: {source.size} objects, kinds {', '.join(source.kinds)}")
        runs = {}
        for n in ns:
            if n > source.max_n:
                log(f"  N={n} skipped: {name} holds 2 x {source.max_n} objects")
                continue
            runs[str(n)] = run_n(make_pipeline, frames, n, log, args.drift_from)
            m = runs[str(n)]["methods"]
            log(
                f"  N={n}: new views AUROC pipeline {m['pipeline']['new']['auroc']:.3f} "
                f"(hit {m['pipeline']['new']['hit']:.2f}, FF {m['pipeline']['new']['false_familiar']:.2f}), "
                f"rates_nn {m.get('rates_nn', {}).get('new', {}).get('auroc', float('nan')):.3f}, "
                f"pixel_nn {m['pixel_nn']['new']['auroc']:.3f}, pixel_nn_all {m['pixel_nn_all']['new']['auroc']:.3f}"
            )
        result["sources"][name] = {"source": source.describe(), "runs": runs}
    blas.restore_original_limits()
    result["seconds"] = time.perf_counter() - started
    print(tables(result))
    custom = args.config is not None or args.pipeline is not None
    tag = args.tag or "recognition" + ("_custom" if custom else "") + ("_quick" if args.quick else "")
    path = common.save(tag, json.loads(json.dumps(result, default=_json_default)))
    saved = json.loads(path.read_text())
    stamp = dt_module.datetime.now(dt_module.timezone.utc).strftime("%Y%m%d-%H%M")
    dated = path.with_name(f"{tag}_{stamp}.json")
    dated.write_text(path.read_text())
    print(f"saved {dated.relative_to(common.REPO)}")
    for plot, suffix in ((plot_recognition_vs_n, "vs_n"), (plot_stage_separation, "stages")):
        try:
            out = plot(saved, path.with_name(f"{tag}_{suffix}.png"))
            print(f"saved {out.relative_to(common.REPO)}")
        except Exception as error:  # plots must not lose a finished run
            print(f"plot {suffix} failed: {error!r}", file=sys.stderr)
    if not (args.no_results_md or args.quick or custom or args.tag):  # only the default full run is the baseline
        update_results_md(saved, path.name)
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
