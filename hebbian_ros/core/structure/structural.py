"""Structural plasticity of memory: duplicate prototype copies in a bounded pool of synapses.

A memory is recognised through its prototype (the consolidated pattern) *or* any of a few parallel
copies grown when its pattern is confirmed (the a-ha): samples of the same pattern seen during the
learning episode, picked to differ from each other (farthest first), optionally filled up with
noise-perturbed prototypes. Recognition takes the best entry of each memory, so an input that has
drifted from the prototype (noise, occlusion, habituation) still lands inside one of the copies.

Copies live in a :class:`DuplicatePool`: ``rows`` entries of ``dim`` synapses each, owned by a memory
or free. Each entry keeps usage statistics: ``hits`` (recognitions it won) and ``last_use`` (the
presentation count at its last win, or at its birth). Entries not used for ``unused_lifetime``
presentations are pruned and return to the free pool, which new copies and new memories draw from;
when nothing is free the least recently used copy is recycled. The owner (:class:`PatternMemory`)
keeps (prototypes in use + copies) x dim within its synapse budget at all times.

Usage is counted on every recognition, but, like every plastic change, written into the structure
only while learning mode is on: a recognition outside learning sets a *tag* on the winning entry and
advances a pending clock; the next plastic step captures tags and clock into ``hits``,
``last_use`` and ``clock`` (synaptic tagging and capture, Frey & Morris 1997). So with learning off
the checkpointed structure is bit-identical; tags are volatile (not checkpointed), like habituation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

import numpy as np

from hebbian_ros.core import validation as check
from hebbian_ros.core.parameters import MEMORY


class StructuralKind(IntEnum):
    """Kinds of structural change; values equal ``StructuralEvent.KIND_*``."""

    GROW_DUPLICATE = 0  #: copies grown for a confirmed memory
    PRUNE = 1  #: unused copies removed, their synapses back in the free pool
    RECYCLE = 2  #: an occupied copy or memory overwritten by new learning
    NEUROGENESIS = 3  #: new units (memories) added
    FULL = 4  #: a novel pattern found no free unit: memory asks for growth
    GROWTH = 5  #: the neuromodulator grants growth of units


class StructuralChange(NamedTuple):
    """One structural change of a population (published as ``hebbian_ros/StructuralEvent``)."""

    kind: StructuralKind
    memory_id: int  #: memory concerned, -1 for none or several
    count: int  #: copies grown / pruned / recycled, units added / requested / granted


@dataclass(frozen=True)
class StructuralParams:
    """Parameters of duplicate copies (see the module docstring).

    :param copies: copies a memory may hold besides its prototype.
    :param synapse_budget: bound on stored synapses, (prototypes in use + copies) x dim; ``0``
        allows every unit its prototype and all its copies.
    :param path_similarity: after the a-ha, a novel sample at least this similar (cosine) to an entry of
        the confirmed memory, on an unbroken path of samples (no silence, no other memory in between),
        becomes a copy of it instead of a new memory.
    :param distinct_below: a sample becomes a copy only if its cosine similarity to every entry
        the memory already has is below this (no redundant duplicates).
    :param noise: relative multiplicative noise of perturbed prototypes that fill the copies up when
        the episode gave too few distinct samples; ``0``: copies are samples only.
    :param unused_lifetime: presentations without a win after which a copy is pruned.
    :param episode_samples: recent learning-mode samples kept as candidates for copies.
    :param seed: seeds the perturbed copies (together with the memory id and the clock).
    """

    copies: int = MEMORY.default("copies")
    synapse_budget: int = MEMORY.default("synapse_budget")
    path_similarity: float = MEMORY.default("path_similarity")
    distinct_below: float = MEMORY.default("copy_distinct_below")
    noise: float = MEMORY.default("copy_noise")
    unused_lifetime: int = MEMORY.default("unused_lifetime")
    episode_samples: int = MEMORY.default("episode_samples")
    seed: int = MEMORY.default("copy_seed")

    def __post_init__(self) -> None:
        check.as_int("copies", self.copies, minimum=1)
        check.as_int("synapse_budget", self.synapse_budget, minimum=0)
        check.in_interval("path_similarity", self.path_similarity, 0.0, 1.0)
        check.in_interval("distinct_below", self.distinct_below, 0.0, 1.0, low_open=True)
        check.in_interval("noise", self.noise, 0.0, 1.0)
        check.as_int("unused_lifetime", self.unused_lifetime, minimum=1)
        check.as_int("episode_samples", self.episode_samples, minimum=1)
        check.as_int("seed", self.seed, minimum=0)


def select_copies(candidates: np.ndarray, existing: np.ndarray, n: int, distinct_below: float) -> np.ndarray:
    """Up to ``n`` rows of ``candidates`` (unit vectors) that differ most from ``existing`` and each other.

    Greedy farthest-point selection: repeatedly take the candidate whose highest cosine similarity
    to anything kept so far is lowest, while that similarity is below ``distinct_below``.
    :returns: float32 ``(k, dim)``, ``k <= n``.
    """
    dim = existing.shape[1]
    if n <= 0 or candidates.size == 0:
        return np.zeros((0, dim), np.float32)
    closest = (candidates @ existing.T).max(axis=1) if existing.size else np.full(len(candidates), -np.inf)
    chosen: list[int] = []
    for _ in range(min(n, len(candidates))):
        pick = int(np.argmin(closest))
        if closest[pick] >= distinct_below:
            break
        chosen.append(pick)
        closest = np.maximum(closest, candidates @ candidates[pick])
    return candidates[chosen].astype(np.float32)


def perturbed_copies(prototype: np.ndarray, n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` unit vectors ``prototype * (1 + noise * N(0, 1))`` rectified: same active synapses, varied weights."""
    if n <= 0 or noise == 0.0:
        return np.zeros((0, prototype.size), np.float32)
    copies = np.maximum(prototype * (1.0 + noise * rng.standard_normal((n, prototype.size))), 0.0)
    norms = np.linalg.norm(copies, axis=1, keepdims=True)
    return (copies / np.where(norms > 0, norms, 1.0)).astype(np.float32)


class DuplicatePool:
    """``rows`` entries of ``dim`` synapses owned by memories (``owner`` ``-1``: free), with usage statistics."""

    KEYS = ("copies", "copy_owner", "copy_hits", "copy_last_use", "clock")

    def __init__(self, rows: int, dim: int) -> None:
        if rows < 0 or dim <= 0:
            raise ValueError(f"rows and dim: must be >= 0 and > 0, got {rows}, {dim}")
        self.entries = np.zeros((rows, dim), np.float32)
        self.owner = np.full(rows, -1, np.int32)
        self.hits = np.zeros(rows, np.int64)
        self.last_use = np.zeros(rows, np.int64)
        #: bumped whenever an entry changes (derived views of the entries redo only those rows)
        self.revision = np.zeros(rows, np.int64)
        self.clock = 0  #: presentations captured so far
        self._tag_hits = np.zeros(rows, np.int64)  # volatile: wins since the last capture
        self._tag_last = np.full(rows, -1, np.int64)
        self._pending = 0  # presentations since the last capture

    @property
    def size(self) -> int:
        """Entries in use."""
        return int((self.owner >= 0).sum())

    def counts(self, capacity: int) -> np.ndarray:
        """Copies held by each of ``capacity`` memories."""
        owners = self.owner[self.owner >= 0]
        return np.bincount(owners, minlength=capacity)[:capacity]

    def best(self, units: np.ndarray, similarity: np.ndarray, entries: np.ndarray | None = None) -> np.ndarray:
        """Raise ``similarity`` (per memory, in place) to each memory's best copy; return per-row similarity.

        ``units``: one unit pattern (dim,) with ``similarity`` (memories,), or K of them (K, dim) with
        ``similarity`` (memories, K). ``entries``: the copies as compared, when not as stored (a whitened match),
        row for row.
        """
        used = np.flatnonzero(self.owner >= 0)
        rows = np.full((len(self.owner), *units.shape[:-1]), -np.inf, np.float32)
        # only the rows up to the last copy in use: a pool sized for thousands of memories costs what it holds
        if used.size:
            end = int(used[-1]) + 1
            compared = (self.entries if entries is None else entries)[:end]  # a view: free rows in it are few
            in_use = (self.owner[:end] >= 0).reshape(end, *[1] * (units.ndim - 1))
            rows[:end] = np.where(in_use, compared @ units.T, -np.inf)
            np.maximum.at(similarity, self.owner[used], rows[used])
        return rows

    @property
    def end(self) -> int:
        """One past the last row in use (0: none); copies fill the free rows from the first."""
        used = np.flatnonzero(self.owner >= 0)
        return int(used[-1]) + 1 if used.size else 0

    def tick(self) -> None:
        """One presentation went by (volatile until captured)."""
        self._pending += 1

    def tag(self, row: int) -> None:
        """Entry ``row`` won a recognition (volatile until captured)."""
        self._tag_hits[row] += 1
        self._tag_last[row] = self._pending

    def capture(self) -> None:
        """Write tags and pending presentations into the statistics (plastic steps only)."""
        tagged = self._tag_last >= 0
        self.hits += self._tag_hits
        self.last_use[tagged] = self.clock + self._tag_last[tagged]
        self.clock += self._pending
        self._tag_hits[:] = 0
        self._tag_last[:] = -1
        self._pending = 0

    def add(self, memory_id: int, vectors: np.ndarray) -> int:
        """Put ``vectors`` into free entries owned by ``memory_id``; return how many fitted."""
        free = np.flatnonzero(self.owner < 0)[: len(vectors)]
        self.entries[free] = vectors[: free.size]
        self.revision[free] += 1
        self.owner[free] = memory_id
        self.hits[free] = 0
        self.last_use[free] = self.clock  # a new copy counts as just used
        self._tag_hits[free] = 0
        self._tag_last[free] = -1
        return int(free.size)

    def remove(self, rows: np.ndarray) -> None:
        """Return ``rows`` to the free pool."""
        self.owner[rows] = -1
        self.entries[rows] = 0.0
        self.revision[rows] += 1
        self.hits[rows] = 0
        self.last_use[rows] = 0
        self._tag_hits[rows] = 0
        self._tag_last[rows] = -1

    def release(self, memory_id: int) -> int:
        """Free every copy of ``memory_id``; return how many."""
        rows = np.flatnonzero(self.owner == memory_id)
        self.remove(rows)
        return int(rows.size)

    def stale(self, lifetime: int) -> np.ndarray:
        """Rows in use that have not won for more than ``lifetime`` presentations."""
        return np.flatnonzero((self.owner >= 0) & (self.clock - self.last_use > lifetime))

    def least_recent(self, n: int, exclude: int) -> np.ndarray:
        """Up to ``n`` rows in use, not owned by ``exclude``, that won longest ago (ties: fewest hits)."""
        rows = np.flatnonzero((self.owner >= 0) & (self.owner != exclude))
        order = np.lexsort((self.hits[rows], self.last_use[rows]))
        return rows[order[:n]]

    def consolidate(self, row: int, unit: np.ndarray, rate: float) -> None:
        """Move copy ``row`` towards ``unit`` by ``rate`` (kept unit length)."""
        moved = (1.0 - rate) * self.entries[row] + rate * unit
        norm = float(np.linalg.norm(moved))
        if norm > 0:
            self.entries[row] = moved / norm
            self.revision[row] += 1

    def resize_owners(self, capacity: int) -> None:
        """Nothing to do on growth; on a smaller capacity free copies of memories that no longer exist."""
        self.remove(np.flatnonzero(self.owner >= capacity))

    def clear(self) -> None:
        """Free every entry and restart the clock."""
        self.remove(np.arange(len(self.owner)))
        self.clock = 0
        self._pending = 0

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies, owners, usage and clock (tags are volatile and not included).

        Rows after the last one in use are left out: a pool sized for thousands of memories saves what it holds.
        """
        n = self.end
        return {
            "copies": self.entries[:n].copy(),
            "copy_owner": self.owner[:n].copy(),
            "copy_hits": self.hits[:n].copy(),
            "copy_last_use": self.last_use[:n].copy(),
            "clock": np.array(self.clock, np.int64),
        }

    def checked_state(self, state, capacity: int) -> dict[str, np.ndarray]:
        """Validate the pool part of a :meth:`state_dict` for a memory of ``capacity`` units (no change).

        Rows that fit load where they were; a state with more rows than this pool (a larger synapse budget) is
        compacted to its copies in use, which must fit. :returns: the arrays to :meth:`load`.
        """
        missing = [key for key in self.KEYS if key not in state]
        if missing:
            raise ValueError(f"memory state: missing {', '.join(missing)}")
        arrays = {}
        for key, kinds in (
            ("copies", "fiu"),
            ("copy_owner", "iu"),
            ("copy_hits", "iu"),
            ("copy_last_use", "iu"),
            ("clock", "iu"),
        ):
            try:
                value = np.asarray(state[key])
            except (TypeError, ValueError) as error:
                raise ValueError(f"{key}: not an array ({error})") from None
            if value.dtype.kind not in kinds:
                raise ValueError(
                    f"{key}: expected {'numbers' if 'f' in kinds else 'integers'}, got dtype {value.dtype}"
                )
            arrays[key] = value
        rows, dim = self.entries.shape
        copies = arrays["copies"]
        if copies.ndim != 2 or copies.shape[1] != dim:
            raise ValueError(f"copies: expected shape (rows, {dim}), got {copies.shape}")
        if not np.all(np.isfinite(copies)):
            raise ValueError("copies: contains NaN or inf")
        n = copies.shape[0]
        for key in ("copy_owner", "copy_hits", "copy_last_use"):
            if arrays[key].shape != (n,):
                raise ValueError(f"{key}: expected shape ({n},), got {arrays[key].shape}")
        if arrays["clock"].shape != () or int(arrays["clock"]) < 0:
            raise ValueError(f"clock: expected one integer >= 0, got {arrays['clock']!r}")
        owner, clock = arrays["copy_owner"], int(arrays["clock"])
        if n and (owner.min() < -1 or owner.max() >= capacity):
            raise ValueError(f"copy_owner: must be -1 or a memory below {capacity}")
        if n and (
            arrays["copy_hits"].min() < 0 or arrays["copy_last_use"].min() < 0 or arrays["copy_last_use"].max() > clock
        ):
            raise ValueError("copy_hits and copy_last_use: must be >= 0, copy_last_use <= clock")
        if n > rows:  # a larger budget saved it: keep the copies in use
            keep = owner >= 0
            if int(keep.sum()) > rows:
                raise ValueError(f"copies: {int(keep.sum())} in use, the synapse budget leaves room for {rows}")
            arrays = {key: (value[keep] if key != "clock" else value) for key, value in arrays.items()}
        return arrays

    def load(self, arrays: dict[str, np.ndarray]) -> None:
        """Take validated arrays from :meth:`checked_state`; the rest of the pool is free."""
        n = len(arrays["copies"])
        self.clear()
        self.entries[:n] = arrays["copies"].astype(np.float32)
        self.revision[:n] += 1
        self.owner[:n] = arrays["copy_owner"].astype(np.int32)
        self.hits[:n] = arrays["copy_hits"].astype(np.int64)
        self.last_use[:n] = arrays["copy_last_use"].astype(np.int64)
        self.clock = int(arrays["clock"])
        self._pending = 0
