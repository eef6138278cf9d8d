"""Recognition at scale in small (issue 14): the shipped loop learns 12 generated objects one look each.

The objects are the simulator's procedurally generated ones (never used to tune anything); probes are fresh
looks with learning off, under new views, against 12 never-seen objects.
"""

import copy
import dataclasses
import os

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
import pytest

from hebbian_ros.core.loop import Loop
from hebbian_ros.core.sensing.gaze import GazeParams
from hebbian_ros.sim.many_objects import ManyObjects

N = 12
DT = 1 / 30


@pytest.fixture(scope="module")
def world():
    objects = ManyObjects(2 * N, seed=3, per_world=2 * N)
    yield objects
    objects.close()


def _look(loop: Loop, blank: np.ndarray, frames, learn: bool):
    loop.reset_sensor() if not learn else None
    for _ in range(15 if learn else 3):
        loop.frame(blank, DT, learn=learn)
    return [loop.frame(image, DT, learn=learn) for image in frames]


def _learn(loop: Loop, world, objects) -> dict[int, int]:
    owner = {}
    for obj in objects:
        for step in _look(loop, world.blank(), world.learning_look(obj, 30), learn=True):
            if step.recall.stored:
                owner[step.recall.memory_id] = obj
    return owner


def _verdict(loop: Loop, world, obj: int, kind: str):
    return _look(loop, world.blank(), [world.view(obj, kind)] * 5, learn=False)[-1].recall


def _nn_auroc(stored: np.ndarray, positives: np.ndarray, negatives: np.ndarray) -> float:
    def score(x):
        s = stored / np.linalg.norm(stored, axis=1, keepdims=True)
        return (x / np.linalg.norm(x, axis=1, keepdims=True) @ s.T).max(axis=1)

    pos, neg = score(positives), score(negatives)
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


@pytest.fixture(scope="module")
def learned(world):
    loop = Loop.from_config()
    owner = _learn(loop, world, range(N))
    return loop, owner


def test_never_seen_objects_are_not_called_familiar(learned, world):
    loop, _ = learned
    familiar = [_verdict(loop, world, obj, kind).familiar for obj in range(N, 2 * N) for kind in ("same", "shift")]
    # the threshold is the 0.9 quantile of 12 memories' nearest-other similarities: at most 3 of 24 never-seen
    # looks (3 measured; 5 at the quantile 0.8; the former fixed cosine 0.9 called 6 of them familiar)
    assert np.mean(familiar) <= 3 / 24, np.mean(familiar)


def test_learned_objects_are_recognised_from_a_shifted_view(learned, world):
    loop, owner = learned
    assert sorted(set(owner.values())) == list(range(N))  # every object got a memory
    recalls = [_verdict(loop, world, obj, "shift") for obj in range(N)]
    right = [r.familiar and owner.get(r.memory_id) == obj for obj, r in zip(range(N), recalls)]
    # measured 11/12 with the sensor's gain recovering in 0.1 s (8/12 with the former 0.5 s: the last object's
    # inhibition, still in the gain, distorted what was stored of the next one)
    assert np.mean(right) >= 10 / 12, [(r.familiar, r.memory_id, round(r.similarity, 3)) for r in recalls]


def test_a_learned_object_in_a_new_pose_is_matched_to_its_own_memory_even_when_memory_is_not_sure(learned, world):
    """The object turned by 30 degrees about the vertical shows sides its one look never saw. Memory's verdict names
    the best-matching memory whatever the similarity (``Recall.memory_id``, published in ``Recognition``), so a robot
    that is not sure it knows the thing still learns which thing it most likely is."""
    loop, owner = learned
    recalls = [_verdict(loop, world, obj, "pose") for obj in range(N)]
    identified = [owner.get(r.memory_id) == obj for obj, r in zip(range(N), recalls)]
    # measured on this world (seed 3) and on seeds 4 and 6: 12 of 12 identified, 10 of 12 familiar
    assert np.mean(identified) >= 11 / 12, [(r.familiar, r.memory_id, round(r.similarity, 3)) for r in recalls]
    unsure = [r for r in recalls if not r.familiar]
    assert all(r.memory_id >= 0 for r in unsure), unsure


def test_separation_does_not_shrink_through_the_layers(learned, world):
    loop, _ = learned

    def stages(obj, kind):
        loop.reset_sensor()
        for _ in range(3):
            loop.sense(world.blank(), DT)
        for _ in range(5):
            rates = loop.sense(world.view(obj, kind), DT)
        out, x, max_rate = [rates.ravel()], rates.ravel(), loop.retina.max_rate
        for layer in loop.layers:
            x, max_rate = layer.step_rates(x, max_rate, 0.0), layer.max_rate_hz
            out.append(x)
        return out

    stored = [stages(o, "same") for o in range(N)]
    positives = [stages(o, k) for o in range(N) for k in ("shift", "scale")]
    negatives = [stages(o, k) for o in range(N, 2 * N) for k in ("shift", "scale")]
    auroc = [
        _nn_auroc(*(np.array([s[i] for s in group]) for group in (stored, positives, negatives)))
        for i in range(len(loop.layers) + 1)
    ]
    for below, above in zip(auroc, auroc[1:]):
        assert above >= below - 0.03, auroc  # a layer may lose at most rounding against its input


def test_old_memories_survive_later_learning(world):
    loop = Loop.from_config()
    first = range(4)
    owner = _learn(loop, world, first)
    before = {obj: _verdict(loop, world, obj, "same") for obj in first}
    owner.update(_learn(loop, world, range(4, 2 * N)))  # 20 more objects while the layers keep learning
    after = {obj: _verdict(loop, world, obj, "same") for obj in first}
    kept = [after[o].familiar and after[o].memory_id == before[o].memory_id for o in first if before[o].familiar]
    assert len(kept) >= 3 and np.mean(kept) >= 0.75, (before, after)


def test_views_from_moved_gazes_are_kept_and_make_new_views_of_learned_objects_look_more_familiar(learned, world):
    """The shipped sensor looks around each new memory; without it the same loop keeps one view per object.

    Not asserted here: telling learned from never-seen objects better. On these 12 objects new-view AUROC is 0.959
    with the views and 0.980 without (a few never-seen objects also find a near view); the gain is measured at
    scale by bench/recognition.py (RESULTS 5j: 0.765 -> 0.863 on 300 generated objects).
    """
    still = Loop.from_config()
    still.retina.params = still.retina.params.updated(
        {"gaze_shift": 0.0, "gaze_zoom": 0.0, "gaze_roll": 0.0, "gaze_turn": 0.0}
    )
    _learn(still, world, range(N))
    kinds = ("shift", "scale", "rotation", "pose")

    def new_views(loop):
        return np.mean([_verdict(loop, world, obj, kind).similarity for obj in range(N) for kind in kinds])

    looked_at = learned[0].memory.copies[sorted(learned[1])]
    assert looked_at.mean() >= 0.9 * GazeParams().views, looked_at  # each memory keeps its views as copies
    looked, one_view = new_views(learned[0]), new_views(still)
    assert looked > one_view, (looked, one_view)  # new views of learned objects look more familiar


def test_a_recognition_holds_while_its_own_feedback_habituates_the_sensor(learned, world):
    """Memory's feedback inhibits the driven units, so the next frames differ from what was stored; in a crowded
    memory (a demanding threshold: 0.995 in the compressed code, where 0.99 was one in the linear code, as digits
    reached at N = 300) that distortion alone fell below the threshold and the verdict flickered with the feedback
    it caused. The shipped memory holds the recognition."""
    flickers, habituation = {}, []
    for hold in (learned[0].memory.params.recognition_hold, 0.0):
        loop = copy.deepcopy(learned[0])
        loop.memory.params = dataclasses.replace(
            loop.memory.params, recognition_hold=hold, threshold_quantile=0.0, familiarity_threshold=0.995
        )
        lost = []
        for obj in range(N):
            loop.reset_sensor()
            for _ in range(3):
                loop.frame(world.blank(), DT, learn=False)
            familiar, rates = [], []
            for _ in range(30):
                familiar.append(loop.frame(world.view(obj, "same"), DT, learn=False).recall.familiar)
                rates.append(float(np.mean(loop.retina.rates)))
            first = familiar.index(True) if True in familiar else len(familiar)
            lost.append(familiar[first:].count(False))
            if hold > 0 and first < len(familiar):
                habituation.append(rates[-1] / rates[first])
        flickers[hold] = lost
    held, unheld = flickers.values()
    assert held == [0] * N, flickers  # once recognised, recognised for the whole look (measured: 0 frames lost)
    assert sum(unheld) >= N, flickers  # without the hold: 28 frames lost by 8 of the 12 objects
    assert len(habituation) >= N // 2 and max(habituation) < 0.5, habituation  # and the sensor habituates (0.13-0.19)


def test_an_object_seen_straight_after_a_known_one_is_judged_afresh(learned, world):
    """A robot looks from one thing straight to the next: no blank, no silence between. The new frame is an onset
    (``onset_similarity``), so the recognition held for the first object ends, however far the hold reaches (here
    to every pattern, as ten very different things' adaptive threshold of 0.73 made it in bench/structural.py's
    long run): a never-seen object is not taken for the one before it, a learned one is itself."""
    verdicts = {}
    for onset in (learned[0].memory.params.onset_similarity, 0.01):  # 0.01: only another recognition ends a hold
        loop = copy.deepcopy(learned[0])
        loop.memory.params = dataclasses.replace(loop.memory.params, onset_similarity=onset, recognition_hold=100.0)
        owner = learned[1]
        held_over, right = 0, 0
        for k, obj in enumerate(list(range(N, 2 * N)) + list(range(N))):
            before = (k + 1) % N  # a learned object, recognised, just before
            recall = _look(loop, world.blank(), [world.view(before, "same")] * 5, learn=False)[-1].recall
            assert recall.familiar and owner.get(recall.memory_id) == before
            after = [loop.frame(world.view(obj, "same"), DT, learn=False) for _ in range(5)][-1]
            if obj >= N:  # still familiar as the object before, which the frame itself does not match
                best, similarity = loop.memory.match(after.top)
                recognised = best == recall.memory_id and similarity >= loop.memory.threshold
                held_over += after.recall.familiar and after.recall.memory_id == recall.memory_id and not recognised
            else:
                right += after.recall.familiar and owner.get(after.recall.memory_id) == obj
        verdicts[onset] = held_over, right
    (held_over, right), (swallowed, _) = verdicts.values()
    # measured: 12 of 12 learned ones right; 1 never-seen object held over, a near twin of the one before it (its
    # frame at 0.975 to that memory, just below the threshold's floor of 0.98, and no onset between two things so alike)
    assert held_over <= 1 and right >= N - 1, verdicts
    # without onsets the hold swallows never-seen objects the frame matches nothing in (measured: 11 of 12; the
    # other is recognised as some memory within 5 frames, which ends a hold either way)
    assert swallowed >= 3, verdicts


def test_a_second_look_recognises_the_views_one_glance_misses(world):
    """Memory matches the sensor's gaze views of a stimulus it did not know at its onset (``second_look``).

    The quantile 0.75 puts 3 of 12 nearest-other samples above the threshold, so the second look is calibrated
    with 12 memories (the shipped 0.97 waits for 100).
    """
    found = {}
    for second_look in (False, True):
        loop = Loop.from_config(memory={"second_look": second_look, "threshold_quantile": 0.75})
        owner = _learn(loop, world, range(N))
        views = [(obj, _verdict(loop, world, obj, kind)) for obj in range(N) for kind in ("shift", "scale")]
        strangers = [_verdict(loop, world, obj, kind) for obj in range(N, 2 * N) for kind in ("same", "shift")]
        found[second_look] = (
            sum(r.familiar and owner.get(r.memory_id) == obj for obj, r in views),
            sum(r.familiar for r in strangers),
        )
    # measured: 22 -> 24 of 24 shifted and scaled views; never-seen looks called familiar 1 -> 2 of 24
    assert found[True][0] > found[False][0], found  # more new views recognised, each by its own memory
    assert found[True][1] <= found[False][1] + 1, found  # and never-seen objects hardly more often


def test_a_look_that_turns_the_object_teaches_its_sides_only_when_memory_keeps_them(world):
    """A robot that turns an object (or circles it) while learning it sees it from several sides. With the shipped
    memory only the frame it stored (a dozen frames into the look) and its gaze views remained; with
    ``episode_views`` the look's frames before the store and the held ones after it are kept as copies, and the object
    turned by 30 deg, 10 deg beyond what the look showed, looks more familiar; never-seen objects do not (at 300
    objects the pose's AUROC went 0.929 -> 0.977: bench/RESULTS.md 5u)."""
    result = {}
    for keep in (False, True):
        loop = Loop.from_config(memory={"episode_views": keep})
        owner = {}
        for obj in range(N):
            for step in _look(loop, world.blank(), world.learning_look(obj, 30, turn=20.0), learn=True):
                if step.recall.stored:
                    owner[step.recall.memory_id] = obj
        assert sorted(owner.values()) == list(range(N))  # one memory per object, however far it turned
        learned = [_verdict(loop, world, obj, "pose") for obj in range(N)]
        never_seen = [_verdict(loop, world, obj, "pose") for obj in range(N, 2 * N)]
        result[keep] = (
            float(np.mean([r.similarity for r in learned])),
            sum(r.familiar and owner.get(r.memory_id) == obj for obj, r in zip(range(N), learned)),
            sum(r.familiar for r in never_seen),
            int(loop.memory.copies.sum()),
        )
    (similarity, right, strangers, copies), (kept_similarity, kept_right, kept_strangers, kept_copies) = result.values()
    # measured: 172 -> 234 copies; pose similarity 0.9935 -> 0.9948, recognised by its own memory 10 -> 11 of 12;
    # never-seen objects' pose called familiar 1 -> 1 of 12
    assert kept_copies > copies + N, result  # the sides were kept
    assert kept_similarity > similarity and kept_right >= right, result
    assert kept_strangers <= strangers + 1, result


def test_objects_learned_back_to_back_each_get_their_own_memory(world):
    """A robot seldom sees silence between two objects. Learned straight after one another (no blank between
    looks), each object is a new stimulus: an onset ends the learning episode of the one before, whose memory
    would otherwise absorb the next object's frames while the learning mode lasts (RESULTS 5v)."""
    loop = Loop.from_config()
    owner: dict[int, int] = {}
    for _ in range(15):
        loop.frame(world.blank(), DT, learn=True)
    for obj in range(N):
        for image in world.learning_look(obj, 30):
            recall = loop.frame(image, DT, learn=True).recall
            if recall.stored:
                owner[recall.memory_id] = obj
    learned = set(owner.values())
    recalls = [_verdict(loop, world, obj, "same") for obj in range(N)]
    recognised = sum(r.familiar and owner.get(r.memory_id) == obj for obj, r in zip(range(N), recalls))
    # measured: 10 of 12 learned and recognised by their own memory (before: 6 and 6, every other object)
    assert len(learned) >= 9 and recognised >= 8, (sorted(learned), recognised)


def test_views_that_come_back_frames_later_still_teach_and_recognise(world):
    """In the node graph the sensor's views answer a verdict frames later (``Loop(view_delay=...)``). A new memory
    still keeps them as copies, and a second look still recognises a shifted view, only as late as its views come.
    The quantile 0.75 calibrates the second look on 12 memories, as in the test above."""
    found = {}
    for delay in (0, 3):
        loop = Loop.from_config(memory={"threshold_quantile": 0.75}, view_delay=delay)
        owner = _learn(loop, world, range(N))
        firsts = []
        for obj in range(N):
            steps = _look(loop, world.blank(), [world.view(obj, "shift")] * 8, learn=False)
            first = next((k for k, s in enumerate(steps) if s.recall.familiar), None)
            right = first is not None and owner.get(steps[-1].recall.memory_id) == obj and steps[-1].recall.familiar
            firsts.append(first if right else None)
        found[delay] = (int(loop.memory.copies.sum()), firsts)
    (copies, at_once), (late_copies, late) = found[0], found[3]
    recognised = [k for k in at_once if k is not None]
    late_recognised = [k for k in late if k is not None]
    assert late_copies >= 0.9 * copies, found  # the gaze views arrived and were kept
    assert len(late_recognised) >= len(recognised) - 1, found
    # measured: 188 -> 182 copies; all 12 recognised at the look's first frame -> 11 at the first, 1 at the 7th
    assert any(k is not None and k >= 3 for k in late), found  # a second look answered when its views came
