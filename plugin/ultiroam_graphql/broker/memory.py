"""``memory://``: one process, no dependencies; the embedded default."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

from .base import Backend

DEFAULT_SEEN_KEYS = 100_000


class MemoryBackend(Backend):
    def __init__(
        self, *, seen_keys: int = DEFAULT_SEEN_KEYS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._sequence = 0
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._seen_keys = seen_keys
        self._clock = clock

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def publish(self, payload: bytes) -> str:
        self._sequence += 1
        cursor = str(self._sequence)
        self._queue.put_nowait((cursor, payload))
        return cursor

    async def listen(self) -> AsyncIterator[tuple[str, bytes]]:
        while True:
            yield await self._queue.get()

    async def first_time(self, key: str, *, ttl: float) -> bool:
        now = self._clock()
        while self._seen and (
            next(iter(self._seen.values())) <= now or len(self._seen) >= self._seen_keys
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now + ttl
        return True
