"""Device events other than SMS (USSD replies, registration changes, calls, exceptions) and the
timeline that makes them happen.

State changes that take time (a port re-registering after a reset, a USSD reply arriving) are
scheduled; `Timeline.settle(now)` runs whatever is due, in time order, before anything reads the
state. A run action usually records a `DeviceEvent`, which the push loop sends once. Nothing runs
in the background, so a `ManualClock` drives it all; a clock set back runs nothing again.
"""

from __future__ import annotations

import collections
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

EventKind = Literal["ussd", "register", "cdr", "exception_info"]
MAX_EVENTS = 10_000
"""Oldest events are forgotten past this (sequence numbers keep increasing)."""


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """Something that happened on the device, as one element of its push body."""

    seq: int
    """Increasing from 1 in the order events happen."""
    at: float
    kind: EventKind
    element: dict[str, object]


@dataclass(eq=False, slots=True)
class Scheduled:
    """A pending action; `cancel()` keeps it from running."""

    at: float
    action: Callable[[float], None] = field(repr=False)
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


class Timeline:
    """Scheduled actions, and the log of events they (and immediate changes) produced."""

    def __init__(self, max_events: int = MAX_EVENTS) -> None:
        self._queue: list[tuple[float, int, Scheduled]] = []
        self._order = itertools.count()
        self._events: collections.deque[DeviceEvent] = collections.deque(maxlen=max_events)
        self._last_seq = 0

    @property
    def last_seq(self) -> int:
        """The sequence number of the latest event, 0 before the first."""
        return self._last_seq

    @property
    def events(self) -> tuple[DeviceEvent, ...]:
        return tuple(self._events)

    def schedule(self, at: float, action: Callable[[float], None]) -> Scheduled:
        """Run `action(at)` once a `settle` reaches `at`."""
        entry = Scheduled(at, action)
        heapq.heappush(self._queue, (at, next(self._order), entry))
        return entry

    def settle(self, now: float) -> None:
        """Run every action due at `now`, earliest first (actions may schedule more)."""
        while self._queue and self._queue[0][0] <= now:
            at, _, entry = heapq.heappop(self._queue)
            if not entry.cancelled:
                entry.cancelled = True
                entry.action(at)

    def emit(self, at: float, kind: EventKind, element: dict[str, object]) -> DeviceEvent:
        """Record that `kind` happened at `at`."""
        self._last_seq += 1
        event = DeviceEvent(self._last_seq, at, kind, element)
        self._events.append(event)
        return event

    def since(self, seq: int) -> list[DeviceEvent]:
        """Events with a sequence number greater than `seq`, in order."""
        if not self._events:
            return []
        start = max(0, seq - self._events[0].seq + 1)
        return list(itertools.islice(self._events, start, None))
