"""Fan-out, done once above the backends: one reader per process, a bounded queue per subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from ..errors import SubscriptionOverflow
from ..events import Event, EventDecodeError
from .base import Backend

log = logging.getLogger(__name__)

DEFAULT_SUBSCRIBER_BUFFER = 1000
DEFAULT_DEDUPE_SECONDS = 600.0
_CLOSED = object()


class Subscription:
    """One subscriber's events, in order.

    Overflow policy: when the subscriber falls ``maxsize`` events behind, it stops receiving;
    it still gets every event queued before that, then :class:`SubscriptionOverflow`. It never
    silently misses an event in the middle of its stream, and it never slows anyone else.
    """

    def __init__(self, accept: Callable[[Event], bool], *, maxsize: int) -> None:
        self._accept = accept
        self._queue: asyncio.Queue[Event | object] = asyncio.Queue(maxsize)
        self._overflowed = False
        self._closed = False
        self.maxsize = maxsize

    def offer(self, event: Event) -> None:
        """Called by the reader: never blocks."""
        if self._overflowed or self._closed or not self._accept(event):
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflowed = True

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_CLOSED)  # wakes a waiting reader; a full queue wakes anyway

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        if self._queue.empty():
            if self._overflowed:
                raise SubscriptionOverflow(self.maxsize)
            if self._closed:
                raise StopAsyncIteration
        item = await self._queue.get()
        if item is _CLOSED:
            raise StopAsyncIteration
        assert isinstance(item, Event)
        return item


class Broker:
    """Publishes events through a backend and fans them out to this process's subscribers."""

    def __init__(
        self,
        backend: Backend,
        *,
        subscriber_buffer: int = DEFAULT_SUBSCRIBER_BUFFER,
        dedupe_seconds: float = DEFAULT_DEDUPE_SECONDS,
    ) -> None:
        self.backend = backend
        self.subscriber_buffer = subscriber_buffer
        self.dedupe_seconds = dedupe_seconds
        self._subscriptions: set[Subscription] = set()
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        await self.backend.connect()
        self._reader = asyncio.create_task(self._read(), name="broker-reader")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        for subscription in list(self._subscriptions):
            subscription.close()
        await self.backend.disconnect()

    async def publish(self, event: Event) -> bool:
        """Publish unless the same event was published recently; True when published."""
        if not await self.backend.first_time(event.identity, ttl=self.dedupe_seconds):
            return False
        await self.backend.publish(event.encode())
        return True

    @contextlib.asynccontextmanager
    async def subscribe(
        self, accept: Callable[[Event], bool] = lambda event: True
    ) -> AsyncIterator[Subscription]:
        subscription = Subscription(accept, maxsize=self.subscriber_buffer)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)
            subscription.close()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    async def _read(self) -> None:
        async for cursor, payload in self.backend.listen():
            try:
                event = Event.decode(payload, cursor=cursor)
            except EventDecodeError as exc:
                log.warning("broker: skipped a message that is not an event (%s)", exc)
                continue
            for subscription in list(self._subscriptions):
                try:
                    subscription.offer(event)
                except Exception:  # a subscriber's filter must not stop the others' feed
                    log.exception("broker: a subscriber's filter failed on a %s event", event.kind)
