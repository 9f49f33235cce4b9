"""``memory://``: one process, no dependencies; the embedded default."""

from __future__ import annotations

import asyncio
import collections
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence

from ..errors import CursorExpired
from .base import Backend, Outgoing
from .cursors import cursor_key

DEFAULT_RETENTION_EVENTS = 100_000
DEFAULT_RETENTION_SECONDS = 24 * 3600.0


class MemoryBackend(Backend):
    """A ring buffer for the log; cursors carry the process start, so a restart expires them."""

    def __init__(
        self,
        *,
        retention_events: int = DEFAULT_RETENTION_EVENTS,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._epoch = int(clock() * 1000)
        self._sequence = 0
        self._retention_seconds = retention_seconds
        self._log: collections.deque[tuple[int, float, bytes]] = collections.deque(
            maxlen=retention_events
        )
        self._live: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._seen_limit = retention_events

    @property
    def connected(self) -> bool:
        return True

    @property
    def description(self) -> str:
        return "memory://"

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def publish(self, events: Sequence[Outgoing]) -> list[str | None]:
        return [self._publish_one(event) for event in events]

    def _publish_one(self, event: Outgoing) -> str | None:
        now = self._clock()
        if not self._first_time(event.dedupe_key, now, event.dedupe_ttl):
            return None
        self._sequence += 1
        self._log.append((self._sequence, now, event.payload))
        while self._log and self._log[0][1] < now - self._retention_seconds:
            self._log.popleft()
        cursor = self._cursor(self._sequence)
        self._live.put_nowait((cursor, event.payload))
        return cursor

    async def listen(self) -> AsyncIterator[tuple[str, bytes]]:
        while True:
            yield await self._live.get()

    async def replay(self, after: str) -> AsyncIterator[tuple[str, bytes]]:
        epoch, sequence = cursor_key(after)
        oldest = self._log[0][0] if self._log else self._sequence + 1
        if epoch != self._epoch or sequence > self._sequence:
            raise CursorExpired("this cursor is from before the server restarted")
        if sequence + 1 < oldest:
            raise CursorExpired("events after this cursor are no longer kept")
        for number, _, payload in list(self._log):
            if number > sequence:
                yield self._cursor(number), payload

    def _cursor(self, sequence: int) -> str:
        return f"{self._epoch}-{sequence}"

    def _first_time(self, key: str, now: float, ttl: float) -> bool:
        while self._seen and (
            next(iter(self._seen.values())) <= now or len(self._seen) >= self._seen_limit
        ):
            self._seen.popitem(last=False)
        expires = self._seen.get(key)
        if expires is not None and expires > now:
            return False
        self._seen[key] = now + ttl
        self._seen.move_to_end(key)
        return True
