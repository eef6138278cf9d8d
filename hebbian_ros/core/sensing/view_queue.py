"""The views a sensor owes memory after a verdict, and the one rule for which of them still count.

When memory stores a new memory, or asks to look again at a stimulus it did not know, the sensor answers with views
of that stimulus (its gaze views, frames of the look as first seen). They go out ``per_frame`` a frame: a stream
topic keeps only the last few messages a busy reader has not taken (:data:`~hebbian_ros.core.sensing.gaze.VIEWS_PER_FRAME`).
Meanwhile the stimulus may change:

- an answer to a new verdict (:meth:`ViewQueue.answer`) replaces whatever is still queued: those views were of the
  stimulus before;
- a further frame of the memory being learned (:meth:`ViewQueue.follow`, memory's ``keep_view``) joins the views
  queued for that same memory, and replaces views queued for any other.

``sensor_node`` publishes from one queue and :class:`~hebbian_ros.core.loop.Loop` delivers from another, so the
graph and the loop keep the same views. Pure Python; the items are whatever the owner sends (rates, messages).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Generic, TypeVar

from hebbian_ros.core.sensing.gaze import VIEWS_PER_FRAME

Item = TypeVar("Item")

#: the memory a second look's views are for: none yet
SECOND_LOOK = -1


class ViewQueue(Generic[Item]):
    """Views on their way to memory, each due ``delay`` frames after it was queued and ``per_frame`` a frame.

    Frames are counted by the owner (``now``); an item queued behind others waits its turn as well as its delay.
    """

    def __init__(self, delay: int = 0, per_frame: int = VIEWS_PER_FRAME) -> None:
        if delay < 0:
            raise ValueError(f"delay: must be >= 0 frames, got {delay}")
        if per_frame < 1:
            raise ValueError(f"per_frame: must be >= 1 view, got {per_frame}")
        self.delay, self.per_frame = delay, per_frame
        self._items: deque[tuple[int, Item]] = deque()  # (frame due, item)
        #: the memory every queued view is of (``SECOND_LOOK``: a second look's): answer and follow keep no other
        self.memory_id = SECOND_LOOK

    def __len__(self) -> int:
        return len(self._items)

    def answer(self, memory_id: int, items: Iterable[Item], now: int) -> None:
        """Views answering a new verdict about memory ``memory_id`` (``SECOND_LOOK``: a stimulus memory did not know):
        they replace every view still queued."""
        self._items.clear()
        self._queue(memory_id, items, now)

    def follow(self, memory_id: int, items: Iterable[Item], now: int) -> None:
        """Further views of memory ``memory_id``: behind those queued for it; views of another stimulus are dropped."""
        if self.memory_id != memory_id:
            self._items.clear()
        self._queue(memory_id, items, now)

    def due(self, now: int) -> list[Item]:
        """The items to send at frame ``now``: at most ``per_frame``, in the order they were queued."""
        sent = []
        while self._items and len(sent) < self.per_frame and self._items[0][0] <= now:
            sent.append(self._items.popleft()[1])
        return sent

    def _queue(self, memory_id: int, items: Iterable[Item], now: int) -> None:
        self.memory_id = memory_id
        ahead, start = len(self._items), now + self.delay
        self._items.extend((start + (ahead + k) // self.per_frame, item) for k, item in enumerate(items))
