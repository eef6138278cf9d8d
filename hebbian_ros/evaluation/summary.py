"""Summary figures of a run: objects seen, novelty events, learning episodes, habituation, recognition accuracy."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np

from hebbian_ros.evaluation.run_log import RunLog

CAUSES = {0: "none", 1: "novelty", 2: "aha", 3: "replay", 4: "manual"}


@dataclass
class ObjectSummary:
    """Figures for one object."""

    visits: int
    frames: int
    #: mean over visits of (mean sensor rate in the last ``tail`` frames) / (peak in the first ``head``)
    habituation_ratio: float
    #: memory the object was recognised as most often (-1: never)
    memory_id: int
    #: share of revisit view frames recognised as the object's memory
    revisit_accuracy: float
    #: learning episodes that started while the object was in view, per visit
    novelty_events_first_visit: int
    novelty_events_revisits: int
    #: frames from the first view of the object to the learning-mode broadcast it caused (-1: none)
    frames_to_learning: int = -1


@dataclass
class RunSummary:
    """Figures for a whole run."""

    objects_seen: int
    frames: int
    novelty_events: int
    aha_events: int
    replays: int
    learning_mode_broadcasts: int
    memories_stored: int
    recognition_accuracy: float  #: share of revisit view frames recognised as the right memory
    distinct_memories: bool  #: every object has its own memory id
    mean_habituation_ratio: float
    objects: dict[str, ObjectSummary] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(log: RunLog, head: int = 5, tail: int = 5) -> RunSummary:
    """Compute the :class:`RunSummary` of ``log``."""
    sensor = {stamp: rate for stamp, rate, replay in log.rates.get("sensor", []) if not replay}
    recognition = {r[0]: r for r in log.recognition}
    visits: dict[tuple[str, int], list[float]] = defaultdict(list)  # (object, visit) -> view stamps
    repeats: dict[tuple[str, int], int] = {}
    for stamp, (label, _obj, visit, repeat, phase) in sorted(log.truth.items()):
        if label and phase in ("view", "press"):
            visits[(label, visit)].append(stamp)
            repeats[(label, visit)] = repeat

    ids: dict[str, Counter] = defaultdict(Counter)
    for (label, _visit), stamps in visits.items():
        for stamp in stamps:
            r = recognition.get(stamp)
            if r is not None and r[3]:
                ids[label][r[1]] += 1
    owner = {label: (c.most_common(1)[0][0] if c else -1) for label, c in ids.items()}
    # A frame counts as correct only if its object owns its memory alone: two objects recognised
    # as one memory are both wrong.
    owner_count = Counter(owner.values())
    unique = {label: m for label, m in owner.items() if m >= 0 and owner_count[m] == 1}

    novelty = [e for e in log.events if e.cause == 1]
    objects: dict[str, ObjectSummary] = {}
    totals = [0, 0]  # correct, revisit frames
    for label in sorted({k[0] for k in visits}):
        ratios, correct, revisit_frames, frames = [], 0, 0, 0
        novel_first = novel_again = 0
        frames_to_learning = -1
        for (name, visit), stamps in sorted(visits.items()):
            if name != label:
                continue
            frames += len(stamps)
            rates = [sensor[s] for s in stamps if s in sensor]
            if len(rates) >= head + tail and max(rates[:head]) > 0:
                ratios.append(float(np.mean(rates[-tail:]) / max(rates[:head])))
            started = sum(stamps[0] <= e.time <= stamps[-1] + 0.5 for e in novelty)
            if repeats[(name, visit)] == 0:
                novel_first += started
                onsets = [e.time for e in novelty if stamps[0] <= e.time <= stamps[-1] + 0.5]
                if onsets:
                    frames_to_learning = sum(s <= onsets[0] for s in stamps)
            else:
                novel_again += started
                for s in stamps:
                    r = recognition.get(s)
                    revisit_frames += r is not None
                    correct += r is not None and r[3] and r[1] == unique.get(label, -2)
        objects[label] = ObjectSummary(
            visits=sum(1 for k in visits if k[0] == label),
            frames=frames,
            habituation_ratio=float(np.mean(ratios)) if ratios else float("nan"),
            memory_id=int(owner.get(label, -1)),
            revisit_accuracy=correct / revisit_frames if revisit_frames else float("nan"),
            novelty_events_first_visit=novel_first,
            novelty_events_revisits=novel_again,
            frames_to_learning=frames_to_learning,
        )

        totals[0] += correct
        totals[1] += revisit_frames
    ratios = [o.habituation_ratio for o in objects.values() if np.isfinite(o.habituation_ratio)]
    return RunSummary(
        objects_seen=len(objects),
        frames=len(log.truth),
        novelty_events=len(novelty),
        aha_events=sum(e.cause == 2 for e in log.events),
        replays=sum(e.cause == 3 for e in log.events),
        learning_mode_broadcasts=len(log.events),
        memories_stored=sum(r[4] for r in log.recognition),
        recognition_accuracy=totals[0] / totals[1] if totals[1] else float("nan"),
        distinct_memories=len(unique) == len(objects),
        mean_habituation_ratio=float(np.mean(ratios)) if ratios else float("nan"),
        objects=objects,
    )
