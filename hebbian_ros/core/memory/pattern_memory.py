"""Pattern memory: recognise the top layer's pattern among stored ones, store new ones while learning.

Patterns are stored as unit vectors and compared by cosine similarity, so recognition does not
depend on how strongly the sensor is inhibited (habituation scales rates, not their direction).

Structural plasticity (optional, :mod:`hebbian_ros.core.structure.structural`, :mod:`hebbian_ros.core.structure.neurogenesis`):
with ``params.structural`` each memory can grow duplicate copies at its a-ha (:meth:`PatternMemory.grow_duplicates`)
and is recognised through its best entry; unused copies are pruned; prototypes plus copies stay within a
synapse budget. With ``params.neurogenesis`` a full memory asks for new units (``FULL``) and grows them on a
grant (:meth:`PatternMemory.grow_units`). Changes are reported by :meth:`PatternMemory.pop_events`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.memory.match_whitening import MatchWhitening, WhiteningParams
from hebbian_ros.core.parameters import MEMORY
from hebbian_ros.core.structure.neurogenesis import GrowthDemand, NeurogenesisParams, grown_capacity
from hebbian_ros.core.structure.structural import (
    DuplicatePool,
    StructuralChange,
    StructuralKind,
    StructuralParams,
    perturbed_copies,
    select_copies,
)

#: own-view similarities a young memory needs before they set its threshold (about one learning episode)
OWN_VIEWS_NEEDED = 10
#: own-view similarities kept (the most recent)
OWN_VIEWS_KEPT = 1000
#: nearest-other samples above the threshold's quantile a second look waits for (100 memories at quantile 0.97)
SECOND_LOOK_TAIL = 3
#: ``episode_views``: frames of the current look kept as tags until memory stores or the look ends; as many of the
#: look's frames before a store are asked back from the sensor
TAGGED_FRAMES = 64


@dataclass(frozen=True)
class MemoryParams:
    """Parameters of :class:`PatternMemory`.

    :param dim: size of the patterns (the top layer's unit count).
    :param capacity: number of patterns that fit; when full, the least-used one is recycled.
    :param familiarity_threshold: cosine similarity at or above which a pattern is familiar (with
        ``threshold_quantile``: until ``adaptive_after`` memories are stored; with ``young_threshold``
        ``"own_views"`` only until ``OWN_VIEWS_NEEDED`` views of what it learned were seen).
    :param threshold_quantile: adaptive decision threshold; ``0`` keeps ``familiarity_threshold``. Each
        stored memory's similarity to its nearest other memory is a sample of how close two different
        things look in this representation; the threshold is this quantile of those samples, so the share of
        never-seen patterns called familiar stays put however crowded the representation grows.
    :param young_threshold: until ``adaptive_after`` memories are stored there are too few such samples.
        ``"fixed"``: ``familiarity_threshold``. ``"floor"``: ``familiarity_threshold``, which then stays the
        least the adaptive threshold may be: calibrated like it on a development world (bench/young_threshold.py),
        it keeps a quantile of the first memories' few samples from letting a tail case through (a same-coloured
        object of another shape taken for a known one at first sight: bench/RESULTS.md 5r). ``"own_views"``: the
        ``1 - threshold_quantile`` quantile of how similar each learned stimulus's own later views were to its
        memory while it was learned (about that share of a known stimulus's views fall below it), which belongs to
        the representation memory reads where one fixed cosine does not: different but alike things (digits after
        multiscale weights, 0.95-0.97) were all familiar to a young memory at 0.95, which then never learned them
        (bench/RESULTS.md 5h).
    :param adaptive_after: memories needed before the adaptive threshold replaces the fixed one.
    :param local_vigilance: a memory's distance ``1 - cosine`` to a pattern is scaled by
        ``((1 - median(nearest)) / (1 - nearest)) ** local_vigilance``, ``nearest`` being its similarity to its nearest
        memory of another episode (the local density, as in the local outlier factor). One threshold for all asks as
        much of an object among look-alikes as of one unlike anything stored; with this, the first asks more (a
        same-coloured thing of another shape is not taken for it) and the second accepts a view farther from the
        learned one. The winner is the memory with the best such similarity; a perfect match stays 1
        (bench/RESULTS.md 5s). ``0``: the cosine.
    :param consolidation_rate: how far a recognised memory moves towards the pattern per sample
        while learning mode is on (scaled by the learning level).
    :param min_activity: mean rate [Hz] below which a pattern is too weak to be recognised or stored
        (silence is neither familiar nor worth learning).
    :param drift_similarity: within one learning episode, a novel view at least this similar to the
        memory the episode is about (stored or recognised in it) is that stimulus drifting (onset
        transient, habituation, a late frame) and is consolidated into it instead of stored anew;
        values at or above ``familiarity_threshold`` switch this off.
    :param recognition_hold: a recognised memory stays recognised while no other memory is recognised, no onset
        intervenes (``onset_similarity``) and ``1 - similarity`` stays within this many times ``1 - threshold``
        (0: off). Memory's feedback inhibits the sensor and distorts the next frames, on crowded inputs below the
        threshold and towards a neighbour (learned digits' new views: 268 of 774 recognitions lost within 5
        frames when a hold ended as soon as a neighbour was nearer, bench/RESULTS.md 5n). While held, the reported
        similarity is the best since the recognition began, and nothing is consolidated below the threshold.
    :param onset_similarity: a frame less similar than this to the last one is an onset, a new stimulus: it ends
        a held recognition, and a held memory stays at least this similar to the frame. Without it a low
        adaptive threshold (0.73 among ten coloured shapes) gave the hold an unlimited reach, and it swallowed
        every new stimulus seen straight after a known one (bench/RESULTS.md 5o). Frames of one moving look
        change by less, so the feedback's distortion and the look's own motion do not end a hold.
    :param second_look: a stimulus not recognised at its onset gets one second look: :meth:`PatternMemory.recall`
        asks for it (``Recall.look_again``) and :meth:`PatternMemory.recognise_view` matches the sensor's gaze views of
        it. One look meets a known object off-centre, nearer or tilted; its gaze views bring one of them back near
        the view memory learned (bench/RESULTS.md 5t). A view must reach :attr:`PatternMemory.view_threshold`,
        calibrated on entry-against-entry samples; the live frame keeps its own threshold (5u).
    :param episode_views: a learning episode keeps each side its stimulus showed, as copies
        (:meth:`PatternMemory.learn_view`; a side is a frame none of the memory's entries holds within
        ``structural.distinct_below``): the frames of the look before memory stored it (tagged as they came and
        captured by the store; as first seen: ``Recall.look_frames``), and, while the episode lasts, a recognised or
        held frame instead of moving the prototype (as seen live; as first seen: ``Recall.keep_view``). The sensor sends
        frames as first seen (full gain, nothing adapted) when memory asks, as it sends gaze views. Without it an object
        turning in view kept the one frame memory stored, a dozen frames into the look, and consolidation dragged its
        prototype along to the last side. Needs ``structural``.
    :param steady_frames: a novel pattern is stored only once its look has lasted more than this many frames
        without an onset (``onset_similarity``). A look's first frames mix the new stimulus with the sensor's
        adaptation to the scene before; stored then (a learning mode still on from the stimulus before), they are an
        after-image no later look shows again, and a robot that never sees silence between objects stored one per
        object it left (bench/RESULTS.md 5v). Recognition is unaffected. 0: from a look's first frame.
    :param structural: duplicate copies, pruning and the synapse budget; ``None``: one prototype per memory.
    :param neurogenesis: growth of units when full; ``None``: a full memory recycles its least-used one.
    :param match_whitening: familiarity (and the adaptive threshold's samples) measured after a whitening by
        the stored entries, applied to probe and entries alike (:mod:`~hebbian_ros.core.memory.match_whitening`);
        ``None``: plain cosine. Drift, path and copy decisions within an episode stay plain cosines.
    """

    dim: int
    capacity: int = MEMORY.default("capacity")
    familiarity_threshold: float = MEMORY.default("familiarity_threshold")
    consolidation_rate: float = MEMORY.default("consolidation_rate")
    min_activity: float = MEMORY.default("min_activity")
    drift_similarity: float = MEMORY.default("drift_similarity")
    threshold_quantile: float = MEMORY.default("threshold_quantile")
    adaptive_after: int = MEMORY.default("adaptive_after")
    young_threshold: str = MEMORY.default("young_threshold")
    local_vigilance: float = MEMORY.default("local_vigilance")
    recognition_hold: float = MEMORY.default("recognition_hold")
    onset_similarity: float = MEMORY.default("onset_similarity")
    second_look: bool = MEMORY.default("second_look")
    episode_views: bool = MEMORY.default("episode_views")
    steady_frames: int = MEMORY.default("steady_frames")
    structural: StructuralParams | None = None
    neurogenesis: NeurogenesisParams | None = None
    match_whitening: WhiteningParams | None = None

    def __post_init__(self) -> None:
        for name in ("dim", "capacity", "adaptive_after", "steady_frames"):
            object.__setattr__(self, name, check.as_int(name, getattr(self, name)))
        for name in (
            "familiarity_threshold",
            "consolidation_rate",
            "min_activity",
            "drift_similarity",
            "threshold_quantile",
            "local_vigilance",
            "recognition_hold",
            "onset_similarity",
        ):
            object.__setattr__(self, name, check.as_real(name, getattr(self, name)))
        if self.dim <= 0 or self.capacity <= 0:
            raise ValueError(f"dim and capacity: must be positive, got {self.dim}, {self.capacity}")
        if not 0.0 < self.familiarity_threshold <= 1.0:
            raise ValueError(f"familiarity_threshold: must be in (0, 1], got {self.familiarity_threshold}")
        if not 0.0 <= self.threshold_quantile < 1.0:
            raise ValueError(f"threshold_quantile: must be in [0, 1), got {self.threshold_quantile}")
        MEMORY["young_threshold"].check(self.young_threshold)
        MEMORY["second_look"].check(self.second_look)
        MEMORY["episode_views"].check(self.episode_views)
        MEMORY["steady_frames"].check(self.steady_frames)
        if not 0.0 <= self.local_vigilance <= 1.0:
            raise ValueError(f"local_vigilance: must be in [0, 1], got {self.local_vigilance}")
        if self.adaptive_after < 2:
            raise ValueError(f"adaptive_after: must be >= 2, got {self.adaptive_after}")
        if not 0.0 < self.drift_similarity <= 1.0:
            raise ValueError(f"drift_similarity: must be in (0, 1], got {self.drift_similarity}")
        if not 0.0 <= self.consolidation_rate <= 1.0:
            raise ValueError(f"consolidation_rate: must be in [0, 1], got {self.consolidation_rate}")
        if not 0.0 <= self.recognition_hold <= 100.0:
            raise ValueError(f"recognition_hold: must be in [0, 100], got {self.recognition_hold}")
        if not 0.0 < self.onset_similarity <= 1.0:
            raise ValueError(f"onset_similarity: must be in (0, 1], got {self.onset_similarity}")
        if not self.min_activity >= 0:
            raise ValueError(f"min_activity: must be >= 0, got {self.min_activity}")
        if self.structural is not None and not isinstance(self.structural, StructuralParams):
            raise ValueError(f"structural: expected StructuralParams or None, got {type(self.structural).__name__}")
        if self.neurogenesis is not None and not isinstance(self.neurogenesis, NeurogenesisParams):
            raise ValueError(
                f"neurogenesis: expected NeurogenesisParams or None, got {type(self.neurogenesis).__name__}"
            )
        if self.match_whitening is not None and not isinstance(self.match_whitening, WhiteningParams):
            raise ValueError(
                f"match_whitening: expected WhiteningParams or None, got {type(self.match_whitening).__name__}"
            )
        if self.neurogenesis is not None and self.neurogenesis.max_capacity < self.capacity:
            raise ValueError(
                f"neurogenesis.max_capacity: must be >= capacity ({self.capacity}), "
                f"got {self.neurogenesis.max_capacity}"
            )
        if self.synapse_budget < self.capacity * self.dim:
            raise ValueError(
                f"structural.synapse_budget: must hold every prototype, >= capacity x dim = "
                f"{self.capacity * self.dim}, got {self.synapse_budget}"
            )

    @property
    def synapse_budget(self) -> int:
        """Bound on stored synapses, (prototypes in use + copies) x dim."""
        units = self.capacity if self.neurogenesis is None else self.neurogenesis.max_capacity
        if self.structural is None:
            return units * self.dim
        return self.structural.synapse_budget or units * (1 + self.structural.copies) * self.dim

    @property
    def max_capacity(self) -> int:
        """Most units memory can have: the neurogenesis cap, as far as the synapse budget holds prototypes."""
        units = self.capacity if self.neurogenesis is None else self.neurogenesis.max_capacity
        return min(units, self.synapse_budget // self.dim)


class Recall(NamedTuple):
    """Outcome of presenting one pattern to memory."""

    memory_id: int  #: best match, -1 if none
    similarity: float  #: cosine to it, 0..1, as its vigilance sees it (held: the best since the recognition began)
    familiar: bool  #: similarity >= threshold (or a held recognition): the signal propagates
    stored: bool  #: the pattern was stored as a new memory
    unpropagated: float  #: mean rate that did not propagate [Hz] (0 when familiar)
    look_again: bool = False  #: a new stimulus memory does not know: its gaze views may (``second_look``)
    #: ``episode_views``, on a store: the look's frames before this one, which memory kept as seen and keeps as views
    #: of the new memory as first seen too once the sensor sends them (:meth:`learn_view`)
    look_frames: int = 0
    #: ``episode_views``: this frame showed a side of the episode's memory that none of its entries held; memory kept it
    #: as a view, and keeps it as first seen too once the sensor sends that (:meth:`learn_view`)
    keep_view: bool = False


class PatternMemory:
    """A fixed-capacity store of unit-norm patterns with usage counts."""

    def __init__(self, params: MemoryParams) -> None:
        self._params = params
        self.patterns = np.zeros((params.capacity, params.dim), np.float32)
        self.used = np.zeros(params.capacity, bool)
        self.hits = np.zeros(params.capacity, np.int64)
        #: bumped whenever a prototype changes (derived views of the patterns redo only those rows)
        self.revision = np.zeros(params.capacity, np.int64)
        #: learning episode each memory was stored in: memories of one episode are one stimulus's views
        self.episode_of = np.full(params.capacity, -1, np.int64)
        #: each memory's cosine to its nearest memory of another episode (derived, not checkpointed): its prototype
        #: against the other episodes' entries, as one live frame is matched
        self.nearest = np.full(params.capacity, -1.0, np.float32)
        #: the same, entry against entry, as a second look's views are matched (``second_look``; -1 without it)
        self.nearest_views = np.full(params.capacity, -1.0, np.float32)
        structural = params.structural
        #: duplicate copies of memories (``None`` without structural plasticity)
        self.pool = (
            None
            if structural is None
            else DuplicatePool(
                min(params.synapse_budget // params.dim - 1, params.max_capacity * structural.copies), params.dim
            )
        )
        self._episode: deque = deque(maxlen=structural.episode_samples if structural else 1)
        self._tags: deque = deque(maxlen=TAGGED_FRAMES)  # the look's frames (unit norm) until a store: episode_views
        self._demand = None if params.neurogenesis is None else GrowthDemand(params.neurogenesis.wait_samples)
        self._events: deque = deque(maxlen=256)
        #: similarities of learning samples to the memory their episode is about (its own later views)
        self.own_views: deque = deque(maxlen=OWN_VIEWS_KEPT)
        self._path = -1  # memory confirmed in this episode whose path new samples extend (-1: none)
        self._current = -1  # memory this learning episode is about: stored or recognised in it (-1: none)
        self._held, self._held_similarity = -1, 0.0  # recognition held from the last frame (-1: none)
        self._last: np.ndarray | None = None  # last frame's pattern (unit norm): an onset ends a held recognition
        self._looked_again = False  # this look's stimulus had its second look (an onset makes it False)
        self._look_frames = 0  # frames of the current look: since the last onset or silence
        #: the whitening memory matches through (``None``: plain cosine)
        self.whitening = None if params.match_whitening is None else MatchWhitening(params.match_whitening, params.dim)
        self._compared: tuple | None = None  # revisions of prototypes and entries, and both as compared
        self._vigilance_cache: tuple | None = None  # (threshold, weight), nearest, used and the factors they gave

    @property
    def params(self) -> MemoryParams:
        """Memory's parameters; new ones apply from the next pattern."""
        return self._params

    @params.setter
    def params(self, params: MemoryParams) -> None:
        changed = params.second_look != self._params.second_look
        self._params = params
        if changed:  # entry-against-entry samples are kept or dropped
            self._recompute_nearest()

    @property
    def size(self) -> int:
        """Number of stored patterns."""
        return int(self.used.sum())

    @property
    def capacity(self) -> int:
        """Units (memories) memory has now; neurogenesis raises it up to ``params.max_capacity``."""
        return int(self.patterns.shape[0])

    @property
    def synapses(self) -> int:
        """Stored synapses: (prototypes in use + copies) x dim; never above ``params.synapse_budget``."""
        return (self.size + (0 if self.pool is None else self.pool.size)) * self.params.dim

    @property
    def copies(self) -> np.ndarray:
        """Duplicate copies held by each memory (zeros without structural plasticity)."""
        return np.zeros(self.capacity, np.int64) if self.pool is None else self.pool.counts(self.capacity)

    @property
    def threshold(self) -> float:
        """The similarity at which a pattern is familiar now (fixed, or adaptive: see :class:`MemoryParams`)."""
        return self._threshold(self.nearest)

    @property
    def view_threshold(self) -> float:
        """The similarity a second look's view must reach: the threshold, calibrated on entry-against-entry samples.

        A never-seen stimulus's second look scores the best of its views against every entry, a higher statistic
        than one live frame's; its samples are each memory's best entry against another episode's entries.
        """
        return self._threshold(self.nearest_views) if self._views_sampled() else self.threshold

    def _threshold(self, nearest: np.ndarray) -> float:
        """:attr:`threshold` from nearest-other samples ``nearest`` (one per memory; -1: none)."""
        q = self.params.threshold_quantile
        if q == 0.0:
            return self.params.familiarity_threshold
        if self._adaptive_in_force(nearest):
            adaptive = float(min(np.quantile(nearest[self._sampled(nearest)], q), 0.999))
            return (
                max(adaptive, self.params.familiarity_threshold) if self.params.young_threshold == "floor" else adaptive
            )
        if self.params.young_threshold == "own_views" and len(self.own_views) >= OWN_VIEWS_NEEDED:
            return float(min(np.quantile(np.fromiter(self.own_views, np.float64), 1.0 - q), 0.999))
        return self.params.familiarity_threshold

    def _second_look_ready(self) -> bool:
        """Whether memory's threshold is calibrated for the best of many views: adaptive, with its tail sampled.

        A young memory's fixed threshold was set for one view; and with few samples the adaptive quantile sits at
        their largest, which a never-seen object's best view exceeds about once in as many objects as there are
        samples. The second look waits until ``SECOND_LOOK_TAIL`` samples lie above the quantile.
        """
        samples = int(self._sampled(self.nearest_views).sum())
        return (
            self._views_sampled()
            and self._adaptive_in_force(self.nearest_views)
            and round(samples * (1.0 - self.params.threshold_quantile), 9) >= SECOND_LOOK_TAIL
        )

    def _views_sampled(self) -> bool:
        """Whether memory keeps entry-against-entry samples for a second look's threshold."""
        return self.params.second_look and self.pool is not None

    def _adaptive_in_force(self, nearest: np.ndarray) -> bool:
        """Whether the adaptive threshold decides on samples ``nearest``: a quantile, and enough of them."""
        return self.params.threshold_quantile > 0.0 and int(self._sampled(nearest).sum()) >= self.params.adaptive_after

    def _sampled(self, nearest: np.ndarray) -> np.ndarray:
        """Memories in use with a sample in ``nearest``: a nearest memory of another episode (one alone has none)."""
        return self.used & (nearest > -1.0)

    def _vigilance(self, threshold: float) -> np.ndarray | None:
        """Per memory, the factor ``local_vigilance`` scales its distance ``1 - cosine`` by (``threshold``: now).

        ``((1 - median(nearest)) / (1 - nearest)) ** w``: above 1 for a memory whose nearest other is nearer than most
        memories' (it asks more), below 1 for an isolated one; a perfect match stays 1 whatever the factor. A nearest
        other above the threshold is one thing's view that memory missed once, not a look-alike: it counts as at the
        threshold. With ``young_threshold`` ``"floor"`` no memory accepts a cosine below ``familiarity_threshold``.
        ``None`` when off or fewer than two memories have a nearest other; 1 for a memory without one.
        """
        weight = self.params.local_vigilance
        if weight == 0.0:
            return None
        cached = self._vigilance_cache  # the factors change only with the nearest others, the threshold and the weight
        if (
            cached is not None
            and cached[0] == (threshold, weight)
            and np.array_equal(cached[1], self.nearest)
            and np.array_equal(cached[2], self.used)
        ):
            return cached[3]
        factor = self._vigilance_factor(threshold, weight)
        self._vigilance_cache = ((threshold, weight), self.nearest.copy(), self.used.copy(), factor)
        return factor

    def _vigilance_factor(self, threshold: float, weight: float) -> np.ndarray | None:
        """:meth:`_vigilance` computed afresh."""
        known = self._sampled(self.nearest)
        if np.count_nonzero(known) < 2:
            return None
        distance = 1.0 - np.minimum(self.nearest, np.float32(threshold)).astype(np.float64)
        distance = np.maximum(distance, 1e-6)
        factor = np.where(known, (np.median(distance[known]) / distance) ** weight, 1.0)
        if self.params.young_threshold == "floor":  # an isolated memory asks less, never less than the floor
            np.maximum(factor, (1.0 - threshold) / max(1.0 - self.params.familiarity_threshold, 1e-6), out=factor)
        return factor.astype(np.float32)

    def _update_nearest(self, slot: int) -> None:
        """``patterns[slot]`` is new or moved: its nearest-other similarity, and the others' against it.

        A memory's nearest other is the best entry (prototype or copy) of another episode's memory, as a
        never-seen pattern is matched against every entry.
        """
        patterns, entries = self._as_compared()
        if self._views_sampled():  # a new memory has no other entry yet; a moved one keeps what its copies found
            self._views_nearest(slot, patterns[slot][None], renew=not (self.pool.owner == slot).any())
        similarity = patterns @ patterns[slot]
        others = self.used & (self.episode_of != self.episode_of[slot])
        nearest = float(similarity[others].max()) if others.any() else -1.0
        if self.pool is not None:
            copies = self.pool.owner >= 0
            copies &= self.episode_of[np.maximum(self.pool.owner, 0)] != self.episode_of[slot]
            if copies.any():
                nearest = max(nearest, float((entries[copies] @ patterns[slot]).max()))
        self.nearest[slot] = nearest
        np.maximum(self.nearest, np.where(others, similarity, -1.0), out=self.nearest)

    def _raise_nearest(self, memory_id: int, vectors: np.ndarray) -> None:
        """New copies ``vectors`` of ``memory_id``: other episodes' memories may now be nearer to it."""
        if self._views_sampled():
            self._views_nearest(memory_id, self._compare(np.asarray(vectors, np.float32)))
        others = self.used & (self.episode_of != self.episode_of[memory_id])
        if others.any() and len(vectors):
            patterns, _ = self._as_compared()
            similarity = (patterns @ self._compare(np.asarray(vectors, np.float32)).T).max(axis=1)
            np.maximum(self.nearest, np.where(others, similarity, -1.0), out=self.nearest)

    def _recompute_nearest(self) -> None:
        """Every memory's nearest-other similarities from scratch (after a restore), both kinds."""
        self.nearest = np.full(self.capacity, -1.0, np.float32)
        self.nearest_views = np.full(self.capacity, -1.0, np.float32)
        rows = np.flatnonzero(self.used)
        patterns, entries = self._as_compared()
        if self._views_sampled():
            for memory_id in rows:  # each memory's entries against every other entry
                copies = np.flatnonzero(self.pool.owner == memory_id)
                vectors = np.concatenate([patterns[memory_id][None], entries[copies]])
                self._views_nearest(int(memory_id), vectors, renew=True)
        if rows.size > 1:
            similarity = patterns[rows] @ patterns[rows].T
            episodes = self.episode_of[rows]
            similarity[episodes[:, None] == episodes[None, :]] = -1.0
            self.nearest[rows] = similarity.max(axis=1)
        if self.pool is not None and rows.size > 1:
            copies = np.flatnonzero(self.pool.owner >= 0)
            if copies.size:
                similarity = patterns[rows] @ entries[copies].T
                mine = self.episode_of[rows][:, None] == self.episode_of[self.pool.owner[copies]][None, :]
                similarity[mine] = -1.0
                self.nearest[rows] = np.maximum(self.nearest[rows], similarity.max(axis=1))

    def _views_nearest(self, memory_id: int, vectors: np.ndarray, renew: bool = False) -> None:
        """:attr:`nearest_views`: nearest-other similarities as a second look sees them, entry against entry.

        A second look matches every gaze view of a stimulus against every stored entry, so a never-seen object
        scores the best of its views; a memory's sample of "two different things" is likewise the best of its
        entries (its fixation, gaze views and copies) against another episode's. ``vectors`` (as compared) are
        entries of ``memory_id`` that are new or moved: the others' samples and its own can only rise, unless
        ``renew`` (they are all it has) sets its own.
        """
        patterns, entries = self._as_compared()
        episode = self.episode_of[memory_id]
        best = -1.0
        others = np.flatnonzero(self.used & (self.episode_of != episode))
        if others.size:
            similarity = (patterns[others] @ vectors.T).max(axis=1)
            np.maximum.at(self.nearest_views, others, similarity)
            best = float(similarity.max())
        end = self.pool.end
        if end:
            owner = self.pool.owner[:end]
            rows = np.flatnonzero((owner >= 0) & (self.episode_of[np.maximum(owner, 0)] != episode))
            if rows.size:
                similarity = (entries[:end] @ vectors.T).max(axis=1)[rows]  # a view of the pool: no copy
                np.maximum.at(self.nearest_views, owner[rows], similarity)
                best = max(best, float(similarity.max()))
        self.nearest_views[memory_id] = best if renew else max(float(self.nearest_views[memory_id]), best)

    def _follow_whitening(self) -> None:
        """Refit the whitening when due (stored entries grew by ``REFIT_GROWTH``); then every nearest changes."""
        if self.whitening is None:
            return
        copies = None if self.pool is None else self.pool.owner >= 0
        stored, owners = self.patterns[self.used], np.flatnonzero(self.used)
        if copies is not None:
            stored = np.vstack([stored, self.pool.entries[copies]])
            owners = np.concatenate([owners, self.pool.owner[copies]])
        if self.whitening.due(len(stored)):
            self.whitening.fit(stored, owners)
            self._compared = None
            self._recompute_nearest()

    def _compare(self, units: np.ndarray) -> np.ndarray:
        """Rows ``units`` as memory compares them (whitened, or as they are)."""
        return units if self.whitening is None else self.whitening(units)

    def _as_compared(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(prototypes, pool entries) as memory compares them; whitened rows are redone only where stored ones changed."""
        entries = None if self.pool is None else self.pool.entries
        if self.whitening is None:
            return self.patterns, entries
        revisions = (self.revision, None if self.pool is None else self.pool.revision)
        cached = self._compared
        if cached is None or cached[0].shape != self.revision.shape:
            compared = [self.whitening(self.patterns), None if entries is None else self.whitening(entries)]
            self._compared = (revisions[0].copy(), None if revisions[1] is None else revisions[1].copy(), *compared)
            return compared[0], compared[1]
        for k, stored in enumerate((self.patterns, entries)):  # the cache's revisions follow in place
            if stored is not None:
                changed = np.flatnonzero(revisions[k] != cached[k])
                if changed.size:
                    cached[2 + k][changed] = self.whitening(stored[changed])
                    cached[k][changed] = revisions[k][changed]
        return cached[2], cached[3]

    def match(self, pattern: np.ndarray) -> tuple[int, float]:
        """Best-matching stored memory and its cosine similarity (``(-1, 0.0)`` if none).

        With duplicate copies a memory's similarity is that of its best entry (prototype or copy), its distance
        scaled by its ``local_vigilance`` factor.
        """
        memory_id, similarity, *_ = self._match_entry(pattern)
        return memory_id, similarity

    def _match_entry(
        self, pattern: np.ndarray, held: int = -1, threshold: float | None = None
    ) -> tuple[int, float, int, float, int]:
        """:meth:`match` plus the winning copy's pool row (-1: the prototype won), and the same two for memory
        ``held`` (its best entry's similarity and row; ``0.0, -1`` when ``held`` < 0)."""
        unit = _unit(self._checked(pattern))
        if unit is None or not self.used.any():
            return -1, 0.0, -1, 0.0, -1
        similarity, prototypes, rows = self._scored(unit[None], self.threshold if threshold is None else threshold)
        similarity, prototypes = similarity[:, 0], prototypes[:, 0]
        rows = None if rows is None else rows[:, 0]

        def entry(memory_id: int) -> tuple[float, int]:
            row = -1
            if rows is not None and rows.size:
                mine = np.where(self.pool.owner == memory_id, rows, -np.inf)
                candidate = int(np.argmax(mine))
                if mine[candidate] > prototypes[memory_id]:
                    row = candidate
            return float(np.clip(similarity[memory_id], 0.0, 1.0)), row

        best = int(np.argmax(similarity))
        return best, *entry(best), *(entry(held) if held >= 0 and self.used[held] else (0.0, -1))

    def _scored(self, units: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """How each memory scores unit patterns ``units`` (K, dim), as :meth:`match` scores one.

        :returns: per memory and unit (capacity, K), its best entry's similarity with its distance scaled by its
            ``local_vigilance`` factor at ``threshold``; the prototypes' own similarity; the pool's per-row
            similarity (rows, K), ``None`` without structural plasticity. Unused memories score ``-inf``.
        """
        self._follow_whitening()
        patterns, entries = self._as_compared()
        units = self._compare(units)
        prototypes = np.where(self.used[:, None], patterns @ units.T, -np.inf)
        similarity = prototypes.copy()
        rows = None if self.pool is None else self.pool.best(units, similarity, entries)
        factor = self._vigilance(threshold)
        if factor is not None:
            similarity = 1.0 - (1.0 - similarity) * factor[:, None]
        return similarity, prototypes, rows

    def recall(self, pattern: np.ndarray, learning_level: float, replay: bool = False) -> Recall:
        """Recognise ``pattern``; while ``learning_level`` > 0 consolidate a match or store a novelty.

        A novelty within ``drift_similarity`` of the memory this learning episode is about (or, after
        its a-ha, on that memory's path) is not stored: one stimulus, one memory, whatever view of it
        arrives first. The episode is about the memory it stores, or else the first it recognises; only
        that memory consolidates, so a new stimulus that briefly resembles an old memory while it is
        learned does not pull the old memory towards itself. With ``learning_level == 0`` memory is left
        bit-identical: no plasticity is spent. A ``replay`` (the sensor re-presenting a confirmed stimulus to
        consolidate it) may consolidate but never becomes a new memory: when it comes after the episode ended (its
        look is over), memory would otherwise store what it already holds a second time.
        """
        pattern = self._checked(pattern)
        if not 0.0 <= check.as_real("learning_level", learning_level) <= 1.0:
            raise ValueError(f"learning_level: must be within [0, 1], got {learning_level}")
        activity = float(pattern.mean(dtype=np.float64))  # a float32 sum of huge rates would overflow
        if activity < self.params.min_activity or activity == 0.0:
            self._end_look(silent=True)
            return Recall(-1, 0.0, False, False, activity)  # too weak to recognise or to store
        threshold = self.threshold
        continues = self._continues(pattern)
        held = self._held if continues else -1
        if not continues:  # an onset: another stimulus, which the episode's memory must not absorb
            self._end_look(silent=False)
        self._look_frames += 1
        episode_memory = self._current
        memory_id, similarity, row, held_similarity, held_row = self._match_entry(pattern, held, threshold)
        above = memory_id >= 0 and similarity >= threshold
        if not above and held not in (-1, memory_id) and self._within_reach(held_similarity, threshold):
            # the feedback's distortion made another memory nearer, but none recognised: the recognition stays
            memory_id, similarity, row = held, held_similarity, held_row
        familiar = above or (held >= 0 and memory_id == held and self._within_reach(similarity, threshold))
        cosine = similarity
        if self.params.recognition_hold > 0:
            if familiar and memory_id == held:
                similarity = max(similarity, self._held_similarity)
            self._held, self._held_similarity = (memory_id, similarity) if familiar else (-1, 0.0)
        stored, drift, keep_view, look_frames = False, 0.0, False, 0
        if self.pool is not None:
            self.pool.tick()
            if familiar and row >= 0:
                self.pool.tag(row)
        if familiar:
            self.hits[memory_id] += 1
            own = learning_level > 0 and self._current in (-1, memory_id)  # only the episode's own learns
            # a held frame (below the threshold) is its stimulus turned or distorted: kept as a view, never blended in
            keep_view = own and self._keeps_view(memory_id, pattern, replay)
            if own and not keep_view and above:
                self._consolidate(memory_id, pattern, self.params.consolidation_rate * learning_level)
                if row >= 0:
                    self.pool.consolidate(row, _unit(pattern), self.params.consolidation_rate * learning_level)
        elif learning_level > 0:
            unit = _unit(pattern)
            on_path = self._grow_on_path(unit)
            drift = 0.0 if on_path > 0 else self._drift(unit)
            if on_path > 0:  # a drifted view of the confirmed memory: one more copy, not a new memory
                memory_id, similarity = self._path, on_path
            elif drift > 0:  # the episode's stimulus drifting: the same memory learns the view
                memory_id, similarity = self._current, drift
                keep_view = self._keeps_view(memory_id, pattern, replay)
                if not keep_view:
                    self._consolidate(memory_id, pattern, self.params.consolidation_rate * learning_level)
            elif not replay and self._look_frames > self.params.steady_frames:
                # a replay re-presents a stimulus already stored: never a new memory; a look's first frames are the
                # sensor still adapting from the scene before
                slot = self._store(pattern)
                if slot >= 0:  # -1: a full memory waits for neurogenesis
                    memory_id, similarity, stored = slot, 1.0, True
                    if self.params.episode_views and self.pool is not None:
                        look_frames = min(self._look_frames - 1, TAGGED_FRAMES)
                    self._capture_tags(slot)
        if learning_level > 0 and not stored and memory_id >= 0 and memory_id == episode_memory:
            self.own_views.append(min(cosine if familiar else similarity, 1.0))  # a later view of its stimulus
        if learning_level == 0 or (familiar and memory_id != self._path):
            self._path = -1
        if learning_level == 0:
            self._current = -1
        elif stored or (familiar and self._current < 0):
            self._current = memory_id
        if learning_level > 0 and self.pool is not None:
            self.pool.capture()
            self._prune()
            if familiar or stored or drift > 0:
                self._episode.append((memory_id, _unit(pattern)))
        if self.params.episode_views and not replay and not stored:
            self._tags.append(_unit(pattern))
        look_again = (
            self.params.second_look
            and not (familiar or stored or self._looked_again)
            and memory_id >= 0
            and self._second_look_ready()
        )
        self._looked_again |= look_again
        return Recall(
            memory_id,
            min(similarity, 1.0),
            familiar,
            stored,
            0.0 if familiar else activity,
            look_again,
            look_frames,
            keep_view,
        )

    def recognise_view(self, pattern: np.ndarray) -> Recall:
        """Match one view of the second look at the stimulus in view (``Recall.look_again``); store nothing.

        A view at or above :attr:`view_threshold` recognises its memory, which memory then holds as if the live frame
        had recognised it (``recognition_hold``: the next frames of the look stay familiar while within reach);
        the best view seen so far in this look is kept. No plasticity is spent; with no held recognition or no
        ``recognition_hold`` the verdict is this view's alone. A view that arrives after the look that asked for it
        ended (silence, or an onset that did not ask again) is of another stimulus: it is not matched.
        """
        return self.recognise_views(np.asarray(pattern)[None])

    def recognise_views(self, patterns: np.ndarray) -> Recall:
        """:meth:`recognise_view` for ``patterns`` (K, dim), the views a second look brought at once: their best."""
        patterns = np.asarray(patterns, np.float32)
        if patterns.ndim != 2 or not len(patterns):
            raise ValueError(f"patterns: expected (K, {self.params.dim}) views, got shape {patterns.shape}")
        units = [_unit(self._checked(p)) for p in patterns]
        units = [u for u in units if u is not None]
        if not units or not self.used.any() or not self._looked_again:
            return Recall(-1, 0.0, False, False, 0.0)
        threshold = self.view_threshold
        similarity, *_ = self._scored(np.stack(units), threshold)
        memory_id, view = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
        memory_id, best = int(memory_id), float(np.clip(similarity[memory_id, view], 0.0, 1.0))
        if best < threshold:
            return Recall(memory_id, best, False, False, 0.0)
        if self._held >= 0 and self._held_similarity >= best:  # an earlier view recognised better
            return Recall(self._held, min(self._held_similarity, 1.0), True, False, 0.0)
        self.hits[memory_id] += 1
        if self.params.recognition_hold > 0:
            self._held, self._held_similarity = memory_id, best
        return Recall(memory_id, best, True, False, 0.0)

    def _capture_tags(self, memory_id: int) -> None:
        """``episode_views``: a new memory keeps the distinct frames its look showed before memory stored it, as seen.

        Memory stores only once novelty has built up (a dozen frames into a look), and an object turning meanwhile
        showed sides the stored frame does not: the frames were tagged as they came, and the store captures them
        (synaptic tagging and capture: Frey & Morris 1997). They are the frames as the adapting sensor sent them, as a
        revisit's first frames come (RESULTS 5w); the sensor sends the same frames as first seen (``look_frames``).
        """
        if self._tags and self.pool is not None:
            candidates = np.stack(self._tags)
            distinct_below = self.params.structural.distinct_below
            chosen = select_copies(candidates, self._entries_of(memory_id), len(candidates), distinct_below)
            self._add_copies(memory_id, chosen)
        self._tags.clear()

    def _entries_of(self, memory_id: int) -> np.ndarray:
        """Memory ``memory_id``'s entries as stored: its prototype, then its copies (structural plasticity)."""
        return np.vstack([self.patterns[memory_id][None], self.pool.entries[self.pool.owner == memory_id]])

    def _keeps_view(self, memory_id: int, pattern: np.ndarray, replay: bool) -> bool:
        """``episode_views``: keep the live frame as a view of the episode's memory when no entry holds it, and ask the
        sensor for the same frame as first seen (``Recall.keep_view``).

        The live frame is the side as the sensor sees it by then, adapted to the stimulus and inhibited by memory's
        own feedback, as a revisit's later frames will be; the frame as first seen is the side as a fresh look shows it.
        Memory keeps both: a look turning ±20° gave a 30° pose 0.992 and 0.983 on two seeds with both, 0.987 and
        0.975 with the first-seen frames alone, 0.981 and 0.961 with the live ones alone (RESULTS 5zb).
        """
        return self.params.episode_views and not replay and self._keep_view(memory_id, _unit(pattern))

    def _end_look(self, *, silent: bool) -> None:
        """An onset or silence (``silent``) ends the look: the episode's claim on later frames, the a-ha's path, the
        second look and the tags; silence also ends a held recognition and forgets the frame onsets compare with."""
        self._path = self._current = -1
        self._looked_again = False
        self._tags.clear()
        self._look_frames = 0
        if silent:
            self._held = -1
            self._last = None

    def _within_reach(self, similarity: float, threshold: float) -> bool:
        """Whether a held memory this similar to the frame is still recognised below ``threshold`` (``recognition_hold``,
        bounded by ``onset_similarity``)."""
        hold = self.params.recognition_hold
        return hold > 0 and similarity >= max(1.0 - hold * (1.0 - threshold), self.params.onset_similarity)

    def _continues(self, pattern: np.ndarray) -> bool:
        """Whether ``pattern`` continues last frame's: no onset (``onset_similarity``) in between."""
        unit = _unit(pattern)
        last, self._last = self._last, unit
        if last is None or unit is None:
            return False
        return float(last @ unit) >= self.params.onset_similarity

    def grow_duplicates(self, memory_id: int) -> int:
        """Grow copies of confirmed memory ``memory_id`` (on the a-ha); return how many were grown.

        Copies are this learning episode's samples of the memory that differ most from its entries,
        filled up with perturbed prototypes when ``structural.noise > 0``. They draw on the free pool;
        when the synapse budget is reached the least recently used copies of other memories are recycled.
        Until the episode ends (learning level 0), silence or another memory is recognised, novel samples
        within ``structural.path_similarity`` of the memory's entries (the view drifting as the sensor
        habituates) become further copies instead of new memories. Without structural plasticity, or
        for an unknown / unused memory, nothing happens.
        """
        structural = self.params.structural
        memory_id = check.as_int("memory_id", memory_id)
        if self.pool is None or not 0 <= memory_id < self.capacity or not self.used[memory_id]:
            return 0
        self._path = memory_id
        mine = self.pool.owner == memory_id
        wanted = structural.copies - int(mine.sum())
        if wanted <= 0:
            return 0
        samples = [unit for owner, unit in self._episode if owner == memory_id]
        candidates = np.array(samples, np.float32).reshape(-1, self.params.dim)
        chosen = select_copies(candidates, self._entries_of(memory_id), wanted, structural.distinct_below)
        if len(chosen) < wanted and structural.noise > 0:
            rng = np.random.default_rng((structural.seed, memory_id, self.pool.clock))
            chosen = np.vstack(
                [chosen, perturbed_copies(self.patterns[memory_id], wanted - len(chosen), structural.noise, rng)]
            )
        return self._add_copies(memory_id, chosen)

    def learn_view(self, memory_id: int, pattern: np.ndarray) -> bool:
        """Keep ``pattern``, a view of memory ``memory_id`` from a moved gaze, as one more copy of it.

        When memory stores a new memory the sensor looks around the stimulus
        (:mod:`hebbian_ros.core.sensing.gaze`): those views are that memory's by construction (the gaze moved,
        not the object), however little they resemble its prototype, so they are neither recognised nor stored
        as memories of their own. A view within ``structural.distinct_below`` of one of the memory's entries
        adds nothing. Views are not limited by ``structural.copies``, only by the synapse budget (least
        recently used copies of other memories are recycled). :returns: whether a copy was grown. Without
        structural plasticity, or for an unknown / unused memory, nothing happens.
        """
        pattern = self._checked(pattern)
        memory_id = check.as_int("memory_id", memory_id)
        if not 0 <= memory_id < self.capacity or not self.used[memory_id]:
            return False
        return self._keep_view(memory_id, _unit(pattern))

    def _keep_view(self, memory_id: int, unit: np.ndarray | None) -> bool:
        """:meth:`learn_view` for a memory in use and a checked pattern's unit vector (``None``: silent)."""
        if self.pool is None or unit is None:
            return False
        if self._best_entry(memory_id, unit) >= self.params.structural.distinct_below:
            return False
        return self._add_copies(memory_id, unit[None]) > 0

    def _add_copies(self, memory_id: int, vectors: np.ndarray) -> int:
        """Copies of ``memory_id`` from the free pool, recycling least recently used ones of others if needed."""
        if not len(vectors):
            return 0
        shortfall = len(vectors) - self._room()
        if shortfall > 0:
            self._recycle_copies(self.pool.least_recent(shortfall, exclude=memory_id))
        grown = self.pool.add(memory_id, vectors[: max(self._room(), 0)])
        if self.whitening is not None:
            self.whitening.added += grown
        if grown and self.params.threshold_quantile > 0:
            self._raise_nearest(memory_id, vectors[:grown])
        if grown:
            self._events.append(StructuralChange(StructuralKind.GROW_DUPLICATE, memory_id, grown))
        return grown

    def _room(self) -> int:
        """Copies that fit now: within the synapse budget and the pool."""
        budget = self.params.synapse_budget // self.params.dim - self.size - self.pool.size
        return min(budget, int((self.pool.owner < 0).sum()))

    def _grow_on_path(self, unit: np.ndarray) -> float:
        """A copy of the confirmed memory from ``unit`` if it continues the memory's path; its similarity or 0."""
        memory_id = self._path
        if self.pool is None or memory_id < 0:
            return 0.0
        if int((self.pool.owner == memory_id).sum()) >= self.params.structural.copies:
            return 0.0
        similarity = self._best_entry(memory_id, unit)
        if similarity < self.params.structural.path_similarity:
            return 0.0
        return max(similarity, 1e-6) if self._add_copies(memory_id, unit[None]) else 0.0

    def _drift(self, unit: np.ndarray) -> float:
        """Similarity of ``unit`` to the episode's memory (best entry) if within ``drift_similarity``, else 0."""
        memory_id = self._current
        if memory_id < 0 or not self.used[memory_id]:
            return 0.0
        similarity = self._best_entry(memory_id, unit)
        return max(similarity, 1e-6) if similarity >= self.params.drift_similarity else 0.0

    def _best_entry(self, memory_id: int, unit: np.ndarray) -> float:
        """Cosine of ``unit`` to memory ``memory_id``'s best entry: its prototype or one of its copies."""
        similarity = float(self.patterns[memory_id] @ unit)
        if self.pool is not None:
            similarity = max(
                similarity, float((self.pool.entries[self.pool.owner == memory_id] @ unit).max(initial=-1.0))
            )
        return similarity

    def grow_units(self, units: int) -> int:
        """Neurogenesis: add up to ``units`` empty units (within ``params.max_capacity``); return how many."""
        units = check.as_int("units", units, minimum=0)
        added = grown_capacity(self.capacity, units, self.params.max_capacity) - self.capacity
        if added:
            dim = self.params.dim
            self.patterns = np.concatenate([self.patterns, np.zeros((added, dim), np.float32)])
            self.used = np.concatenate([self.used, np.zeros(added, bool)])
            self.hits = np.concatenate([self.hits, np.zeros(added, np.int64)])
            self.revision = np.concatenate([self.revision, np.zeros(added, np.int64)])
            self.nearest = np.concatenate([self.nearest, np.full(added, -1.0, np.float32)])
            self.nearest_views = np.concatenate([self.nearest_views, np.full(added, -1.0, np.float32)])
            self.episode_of = np.concatenate([self.episode_of, np.full(added, -1, np.int64)])
            self._events.append(StructuralChange(StructuralKind.NEUROGENESIS, -1, added))
            if self._demand is not None:
                self._demand.satisfied()
        return added

    def pop_events(self) -> list[StructuralChange]:
        """Structural changes since the last call, oldest first (at most the last 256 are kept)."""
        events = list(self._events)
        self._events.clear()
        return events

    def state_dict(self) -> dict[str, np.ndarray]:
        """Arrays that fully describe the memory (for checkpoints).

        ``own_views`` holds the similarities that set a young memory's threshold. With structural plasticity
        or neurogenesis also ``capacity`` (units now) and, with duplicates, the pool: ``copies``,
        ``copy_owner``, ``copy_hits``, ``copy_last_use`` and ``clock``.
        """
        state = {
            "patterns": self.patterns.copy(),
            "used": self.used.copy(),
            "hits": self.hits.copy(),
            "episode_of": self.episode_of.copy(),
            "own_views": np.fromiter(self.own_views, np.float64, len(self.own_views)),
        }
        if self.pool is not None or self.params.neurogenesis is not None:
            state["capacity"] = np.array(self.capacity, np.int64)
        if self.pool is not None:
            state.update(self.pool.state_dict())
        if self.whitening is not None:
            state.update(self.whitening.state_dict())
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore from :meth:`state_dict`, checking everything before changing anything.

        The unit count may differ from ``params.capacity`` (neurogenesis grew it, or the configuration
        changed): any count up to ``params.max_capacity`` is accepted, and a memory with fewer than
        ``params.capacity`` units is padded with empty ones. Copies are restored with structural
        plasticity on and dropped with it off; a state without copies (older checkpoint) has none.
        """
        if not hasattr(state, "keys") or not hasattr(state, "__getitem__"):
            raise ValueError(f"memory state: expected a mapping of arrays, got {type(state).__name__}")
        arrays = {}
        for key in ("patterns", "used", "hits"):
            if key not in state:
                raise ValueError(f"memory state: missing {key!r}")
            try:
                value = np.asarray(state[key])
            except (TypeError, ValueError) as error:
                raise ValueError(f"{key}: not an array ({error})") from None
            if value.dtype.kind not in "biuf":
                raise ValueError(f"{key}: expected numbers, got dtype {value.dtype}")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{key}: contains NaN or inf")
            arrays[key] = value
        dim, patterns = self.params.dim, arrays["patterns"]
        if patterns.ndim != 2 or patterns.shape[1] != dim or patterns.shape[0] < 1:
            raise ValueError(f"patterns: expected shape (units, {dim}), got {patterns.shape}")
        units = patterns.shape[0]
        if units > self.params.max_capacity:
            raise ValueError(
                f"patterns: {units} units, this memory holds at most {self.params.max_capacity} "
                "(raise capacity or neurogenesis max_capacity)"
            )
        for key in ("used", "hits"):
            if arrays[key].shape != (units,):
                raise ValueError(f"{key}: expected shape ({units},), got {arrays[key].shape}")
        if "capacity" in state:
            capacity = np.asarray(state["capacity"])
            if capacity.shape != () or capacity.dtype.kind not in "iu" or int(capacity) != units:
                raise ValueError(f"capacity: expected {units} (the units in patterns), got {capacity!r}")
        used = arrays["used"].astype(bool)
        if "episode_of" in state:  # older checkpoints: every memory its own episode
            episode_of = np.asarray(state["episode_of"])
            if episode_of.shape != (units,) or episode_of.dtype.kind not in "iu":
                raise ValueError(f"episode_of: expected ({units},) integers, got {episode_of.dtype} {episode_of.shape}")
            episode_of = episode_of.astype(np.int64)
        else:
            episode_of = np.where(used, np.arange(units), -1).astype(np.int64)
        own_views = np.zeros(0, np.float64)
        if "own_views" in state:  # older checkpoints: none seen yet
            own_views = np.asarray(state["own_views"])
            # float32 rounding: a cosine may come out a hair above 1 (checkpoints written before it was clipped)
            if own_views.ndim != 1 or own_views.dtype.kind != "f" or not np.all(np.abs(own_views) <= 1.0 + 1e-5):
                raise ValueError(
                    f"own_views: expected a vector of similarities in [-1, 1], got {own_views.dtype} {own_views.shape}"
                )
        whitening = None
        if self.whitening is not None:  # checked on a scratch copy: nothing changes before everything is valid
            whitening = MatchWhitening(self.whitening.params, dim)
            whitening.load_state_dict(state)
        pool = None
        if self.pool is not None and "copies" in state:
            pool = self.pool.checked_state(state, units)
            owners = pool["copy_owner"][pool["copy_owner"] >= 0]
            if owners.size and not used[owners].all():
                raise ValueError("copy_owner: a copy belongs to a memory that is not in use")
            if (int(used.sum()) + owners.size) * dim > self.params.synapse_budget:
                raise ValueError(
                    f"copies: {(int(used.sum()) + owners.size) * dim} synapses exceed the "
                    f"synapse budget {self.params.synapse_budget}"
                )
        elif int(used.sum()) * dim > self.params.synapse_budget:
            raise ValueError(f"used: {int(used.sum())} memories exceed the synapse budget")
        pad = max(units, self.params.capacity) - units
        self.patterns = np.concatenate([patterns.astype(np.float32), np.zeros((pad, dim), np.float32)])
        self.used = np.concatenate([used, np.zeros(pad, bool)])
        self.hits = np.concatenate([arrays["hits"].astype(np.int64), np.zeros(pad, np.int64)])
        self.revision = np.zeros(len(self.hits), np.int64)
        self.episode_of = np.concatenate([episode_of, np.full(pad, -1, np.int64)])
        own_views = np.clip(own_views[-OWN_VIEWS_KEPT:], -1.0, 1.0)
        self.own_views = deque(own_views.astype(float).tolist(), maxlen=OWN_VIEWS_KEPT)
        if self.pool is not None:
            if pool is None:
                self.pool.clear()
            else:
                self.pool.load(pool)
        if whitening is not None:
            self.whitening = whitening
        self._compared = None
        self._recompute_nearest()
        self._episode.clear()
        self._end_look(silent=True)
        if self._demand is not None:
            self._demand.satisfied()

    def _store(self, pattern: np.ndarray) -> int:
        """Store ``pattern`` in a free unit, recycling when needed; -1 while a full memory waits for growth."""
        free = np.flatnonzero(~self.used)
        if not free.size and self._demand is not None and self.capacity < self.params.max_capacity:
            wait, ask = self._demand.defer()
            if ask:
                self._events.append(StructuralChange(StructuralKind.FULL, -1, 1))
            if wait:
                return -1
        slot = int(free[0]) if free.size else int(np.argmin(self.hits))
        if self._demand is not None:
            self._demand.satisfied()
        recycled = bool(self.used[slot])
        freed = 0 if self.pool is None else self.pool.release(slot)
        if recycled or freed:
            self._events.append(StructuralChange(StructuralKind.RECYCLE, slot, 1 + freed))
        if self.pool is not None and not recycled and self.synapses + self.params.dim > self.params.synapse_budget:
            self._recycle_copies(self.pool.least_recent(1, exclude=slot))  # a prototype needs an entry
        self.patterns[slot] = _unit(pattern)
        self.revision[slot] += 1
        if self.whitening is not None:
            self.whitening.added += 1
        self.used[slot] = True
        self.hits[slot] = 0
        # a second memory in one episode is the same stimulus again; a new episode is a new stimulus
        self.episode_of[slot] = self.episode_of[self._current] if self._current >= 0 else self.episode_of.max() + 1
        if recycled:  # the old pattern's neighbours may have had it as their nearest
            self._recompute_nearest()
        else:
            self._update_nearest(slot)
        return slot

    def _recycle_copies(self, rows: np.ndarray) -> None:
        """Free pool ``rows`` for new learning, reporting RECYCLE per owner."""
        owners, counts = np.unique(self.pool.owner[rows], return_counts=True)
        self.pool.remove(rows)
        for owner, count in zip(owners, counts):
            self._events.append(StructuralChange(StructuralKind.RECYCLE, int(owner), int(count)))

    def _prune(self) -> None:
        """Remove copies unused for ``structural.unused_lifetime`` presentations, reporting PRUNE per owner."""
        rows = self.pool.stale(self.params.structural.unused_lifetime)
        if rows.size:
            owners, counts = np.unique(self.pool.owner[rows], return_counts=True)
            self.pool.remove(rows)
            for owner, count in zip(owners, counts):
                self._events.append(StructuralChange(StructuralKind.PRUNE, int(owner), int(count)))

    def _consolidate(self, memory_id: int, pattern: np.ndarray, rate: float) -> None:
        moved = (1.0 - rate) * self.patterns[memory_id] + rate * _unit(pattern)
        self.patterns[memory_id] = _unit(moved)
        self.revision[memory_id] += 1
        if self.params.threshold_quantile > 0:
            self._update_nearest(memory_id)

    def _checked(self, pattern: np.ndarray) -> np.ndarray:
        try:
            pattern = np.asarray(pattern, dtype=np.float32).ravel()
        except (TypeError, ValueError) as error:
            raise ValueError(f"pattern: not an array of numbers ({error})") from None
        if pattern.size != self.params.dim:
            raise ValueError(f"pattern: expected {self.params.dim} values, got {pattern.size}")
        if not np.all(np.isfinite(pattern)):
            raise ValueError("pattern: contains NaN or inf")
        if pattern.min() < 0:
            raise ValueError("pattern: rates must be >= 0")
        return pattern


def _unit(vector: np.ndarray) -> np.ndarray | None:
    with np.errstate(over="ignore"):
        norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm):  # the float32 norm of rates near 3e38 overflows: take it in float64
        vector = np.asarray(vector, np.float64)
        norm = float(np.linalg.norm(vector))
    return None if norm == 0.0 else (vector / norm).astype(np.float32)


def memory_params(parameters: Mapping[str, Any] | None = None) -> MemoryParams:
    """:class:`MemoryParams` from memory_node's flat parameters (:data:`~hebbian_ros.core.parameters.MEMORY`).

    ``parameters`` may hold any subset (the rest are the schema's defaults) and names of the node that
    are not memory's (``input_topic``, ``inhibition_strength``, ...); an unknown name raises ``ValueError``.
    """
    p = MEMORY.resolve(parameters)
    structural = neurogenesis = None
    if p["structural"]:
        structural = StructuralParams(
            copies=p["copies"],
            synapse_budget=p["synapse_budget"],
            path_similarity=p["path_similarity"],
            distinct_below=p["copy_distinct_below"],
            noise=p["copy_noise"],
            unused_lifetime=p["unused_lifetime"],
            episode_samples=p["episode_samples"],
            seed=p["copy_seed"],
        )
    if p["max_capacity"] > p["capacity"]:
        neurogenesis = NeurogenesisParams(max_capacity=p["max_capacity"], wait_samples=p["growth_wait"])
    return MemoryParams(
        dim=p["dim"],
        capacity=p["capacity"],
        familiarity_threshold=p["familiarity_threshold"],
        consolidation_rate=p["consolidation_rate"],
        min_activity=p["min_activity"],
        drift_similarity=p["drift_similarity"],
        threshold_quantile=p["threshold_quantile"],
        adaptive_after=p["adaptive_after"],
        young_threshold=p["young_threshold"],
        local_vigilance=p["local_vigilance"],
        recognition_hold=p["recognition_hold"],
        onset_similarity=p["onset_similarity"],
        second_look=p["second_look"],
        episode_views=p["episode_views"],
        steady_frames=p["steady_frames"],
        structural=structural,
        neurogenesis=neurogenesis,
        match_whitening=(
            WhiteningParams(p["match_whitening_prior"], p["match_whitening_scatter"]) if p["match_whitening"] else None
        ),
    )
