"""Fan-out, done once above the backends: one reader per process, a bounded queue per subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Protocol

from ..errors import BrokerUnavailable, SubscriptionOverflow, UltiroamError
from ..events import Event, EventDecodeError
from .base import Backend, Outgoing
from .cursors import cursor_key

log = logging.getLogger(__name__)

DEFAULT_SUBSCRIBER_BUFFER = 1000
DEFAULT_DEDUPE_SECONDS = 600.0
INBOX_DEDUPE_SECONDS = 7 * 24 * 3600.0
"""A received SMS reaches subscribers once, whether pushed or polled, for a week at least."""
REPEATABLE_KINDS = frozenset({"device", "exception_info"})
"""Kinds whose identical events may really happen twice: only quick re-sends are dropped."""
RESEND_SECONDS = 30.0
NO_DEDUPE_SECONDS = 0.001
READER_RESTART_SECONDS = 1.0
_CLOSED = object()


class BrokerObserver(Protocol):
    """Told of subscriptions coming and going and of their events; ``label`` names what a
    subscription follows (an event kind, or ``internal``), so it stays a short fixed list."""

    def subscription_opened(self, label: str) -> None: ...

    def subscription_closed(self, label: str) -> None: ...

    def event_delivered(self, label: str) -> None:
        """An event was handed to a subscriber."""

    def event_dropped(self, label: str) -> None:
        """An event a subscriber wanted did not fit in its full buffer (its stream ends)."""


class NullBrokerObserver:
    """The default: observes nothing."""

    def subscription_opened(self, label: str) -> None:
        pass

    def subscription_closed(self, label: str) -> None:
        pass

    def event_delivered(self, label: str) -> None:
        pass

    def event_dropped(self, label: str) -> None:
        pass


NULL_BROKER_OBSERVER: BrokerObserver = NullBrokerObserver()


class Subscription:
    """One subscriber's events, in order.

    Overflow policy: when the subscriber falls ``maxsize`` events behind, it stops receiving;
    it still gets every event queued before that, then :class:`SubscriptionOverflow`. It never
    silently misses an event in the middle of its stream, and it never slows anyone else.

    While it replays the log (``after``), live events wait aside, and only those past the end of
    the replay follow it: no gap and no duplicate at the seam.
    """

    def __init__(
        self,
        accept: Callable[[Event], bool],
        *,
        maxsize: int,
        label: str = "internal",
        observer: BrokerObserver = NULL_BROKER_OBSERVER,
    ) -> None:
        self.accept = accept
        self.maxsize = maxsize
        self.label = label
        self.observer = observer
        self._queue: asyncio.Queue[Event | object] = asyncio.Queue(maxsize)
        self._failure: UltiroamError | None = None
        self._closed = False
        self._held: deque[Event] | None = None
        self._floor: tuple[int, int] | None = None  # the last replayed cursor

    def offer(self, event: Event) -> None:
        """Called by the reader: never blocks."""
        if self._failure or self._closed or not self.accept(event):
            return
        if self._floor is not None and event.cursor and cursor_key(event.cursor) <= self._floor:
            return  # the replay gave it already
        if self._held is not None:
            if len(self._held) >= self.maxsize:
                self._overflow()
            else:
                self._held.append(event)
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._overflow()

    def _overflow(self) -> None:
        self.observer.event_dropped(self.label)
        self.fail(SubscriptionOverflow(self.maxsize))

    def hold(self) -> None:
        """Keep live events aside until :meth:`release` (while the log is replayed)."""
        self._held = deque()

    async def put(self, event: Event) -> None:
        """A replayed event: waits for room, as the replay goes at the subscriber's pace."""
        if self.accept(event):
            await self._queue.put(event)

    def release(self, replayed_up_to: str) -> None:
        """Go live: the events held aside that come after the replay, then everything new."""
        held, self._held = self._held or deque(), None
        self._floor = cursor_key(replayed_up_to)
        for event in held:
            self.offer(event)

    def fail(self, error: UltiroamError) -> None:
        """End the stream with ``error`` once what is queued has been read."""
        if self._failure is None:
            self._failure = error
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(_CLOSED)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_CLOSED)  # wakes a waiting reader; a full queue wakes anyway

    def drain(self) -> None:
        """Forget what is queued and not read yet."""
        while not self._queue.empty():
            self._queue.get_nowait()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        while True:
            if self._queue.empty():
                if self._failure is not None:
                    raise self._failure
                if self._closed:
                    raise StopAsyncIteration
            item = await self._queue.get()
            if isinstance(item, Event):
                self.observer.event_delivered(self.label)
                return item
            # a wake-up marker: loop to report the failure or the end


class Broker:
    """Publishes events through a backend and fans them out to this process's subscribers."""

    def __init__(
        self,
        backend: Backend,
        *,
        subscriber_buffer: int = DEFAULT_SUBSCRIBER_BUFFER,
        dedupe_seconds: float = DEFAULT_DEDUPE_SECONDS,
        observer: BrokerObserver = NULL_BROKER_OBSERVER,
    ) -> None:
        self.backend = backend
        self.subscriber_buffer = subscriber_buffer
        self.dedupe_seconds = dedupe_seconds
        self.observer = observer
        self._subscriptions: set[Subscription] = set()
        self._reader: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self.backend.connected

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

    async def publish(self, event: Event) -> str | None:
        """Log and send ``event``; its cursor, or None when it was published recently."""
        (cursor,) = await self.publish_all([event])
        return cursor

    async def publish_all(self, events: Sequence[Event]) -> list[str | None]:
        """Log and send events together, all or none (one push's worth)."""
        return await self.backend.publish(
            [
                Outgoing(event.encode(), event.identity, self._dedupe_seconds(event))
                for event in events
            ]
        )

    def _dedupe_seconds(self, event: Event) -> float:
        """How long a copy counts as the gateway sending the same event again."""
        if event.kind == "sms":
            return INBOX_DEDUPE_SECONDS
        if event.kind == "ussd":
            return NO_DEDUPE_SECONDS  # the same reply twice is two replies
        if event.kind in REPEATABLE_KINDS:
            return min(self.dedupe_seconds, RESEND_SECONDS)
        return self.dedupe_seconds

    @contextlib.asynccontextmanager
    async def subscribe(
        self,
        accept: Callable[[Event], bool] = lambda event: True,
        *,
        after: str | None = None,
        label: str = "internal",
    ) -> AsyncIterator[Subscription]:
        """Events from now on; with ``after``, first every logged event after that cursor.

        ``label`` names what the subscriber follows in the observer's counts.
        """
        subscription = Subscription(
            accept, maxsize=self.subscriber_buffer, label=label, observer=self.observer
        )
        replay: asyncio.Task[None] | None = None
        if after is not None:
            cursor_key(after)  # a malformed cursor is refused before anything starts
            subscription.hold()
            replay = asyncio.create_task(self._replay(subscription, after))
        self._subscriptions.add(subscription)
        self.observer.subscription_opened(label)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)
            self.observer.subscription_closed(label)
            subscription.close()
            if replay is not None:
                replay.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await replay

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    async def _replay(self, subscription: Subscription, after: str) -> None:
        last = after
        try:
            async for cursor, payload in self.backend.replay(after):
                last = cursor
                try:
                    await subscription.put(Event.decode(payload, cursor=cursor))
                except Exception:  # as live: an event it cannot take is skipped, not fatal
                    log.warning("broker: skipped a replayed event at %s", cursor, exc_info=True)
        except UltiroamError as exc:
            subscription.fail(exc)
            return
        except Exception:
            log.exception("broker: replay after %s failed", after)
            subscription.fail(BrokerUnavailable("the broker could not replay the events"))
            return
        subscription.release(last)

    async def _read(self) -> None:
        """Fan out forever: a failure is logged and reading starts again, never silently ends."""
        while True:
            try:
                async for cursor, payload in self.backend.listen():
                    self._fan_out(cursor, payload)
            except Exception:
                log.exception("broker: reading events failed; starting again")
            await asyncio.sleep(READER_RESTART_SECONDS)

    def _fan_out(self, cursor: str, payload: bytes) -> None:
        try:
            event = Event.decode(payload, cursor=cursor)
        except EventDecodeError as exc:
            log.warning("broker: skipped a message that is not an event (%s)", exc)
            return
        for subscription in list(self._subscriptions):
            try:
                subscription.offer(event)
            except Exception:  # a subscriber's filter must not stop the others' feed
                log.exception("broker: a subscriber's filter failed on a %s event", event.kind)
