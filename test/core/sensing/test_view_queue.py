"""The views a sensor owes memory: paced, delayed, replaced by a new verdict, followed by the same memory's frames."""

import pytest

from hebbian_ros.core.sensing.gaze import VIEWS_PER_FRAME
from hebbian_ros.core.sensing.view_queue import SECOND_LOOK, ViewQueue


def sent_by_frame(queue: ViewQueue, first: int, last: int) -> dict[int, list]:
    return {now: queue.due(now) for now in range(first, last + 1)}


def test_an_answer_goes_out_per_frame_after_its_delay():
    queue = ViewQueue(delay=2, per_frame=2)
    queue.answer(4, ["a", "b", "c", "d", "e"], now=10)
    assert len(queue) == 5 and queue.memory_id == 4
    assert sent_by_frame(queue, 10, 15) == {10: [], 11: [], 12: ["a", "b"], 13: ["c", "d"], 14: ["e"], 15: []}
    assert len(queue) == 0


def test_a_new_verdict_replaces_the_views_of_the_stimulus_before():
    queue = ViewQueue()
    queue.answer(1, ["old1", "old2", "old3", "old4", "old5"], now=0)
    assert queue.due(0) == ["old1", "old2"][:VIEWS_PER_FRAME]
    queue.answer(SECOND_LOOK, ["new1", "new2"], now=1)  # memory asks to look again at another stimulus
    assert queue.memory_id == SECOND_LOOK
    assert queue.due(1) == ["new1", "new2"][:VIEWS_PER_FRAME]


def test_a_further_frame_of_the_same_memory_follows_its_views_and_drops_another_memorys():
    queue = ViewQueue(per_frame=2)
    queue.answer(3, ["g1", "g2", "g3"], now=0)
    assert queue.due(0) == ["g1", "g2"]
    queue.follow(3, ["side"], now=0)  # behind g3, not before it
    assert queue.due(1) == ["g3", "side"]
    queue.answer(5, ["h1", "h2", "h3"], now=2)
    queue.follow(6, ["other"], now=2)  # a frame of another memory: memory 5's views were of the stimulus before
    assert len(queue) == 1 and queue.memory_id == 6
    assert queue.due(2) == ["other"]


def test_a_followed_view_waits_its_turn_and_its_delay():
    queue = ViewQueue(delay=1, per_frame=1)
    queue.answer(2, ["a", "b"], now=0)
    queue.follow(2, ["c"], now=0)
    assert sent_by_frame(queue, 0, 4) == {0: [], 1: ["a"], 2: ["b"], 3: ["c"], 4: []}
    queue.follow(2, ["d"], now=10)  # nothing ahead: only the delay
    assert queue.due(10) == [] and queue.due(11) == ["d"]


@pytest.mark.parametrize(("delay", "per_frame", "message"), [(-1, 2, "delay"), (0, 0, "per_frame")])
def test_a_queue_that_could_not_deliver_is_refused(delay, per_frame, message):
    with pytest.raises(ValueError, match=message):
        ViewQueue(delay=delay, per_frame=per_frame)
