"""``redis://`` and ``rediss://``: any number of instances share pushes, a log and cursors.

One Redis Stream is the log (capped by count and age); a pub/sub channel carries each event to
every instance the moment it is logged. One Lua script does dedupe, XADD, trim and PUBLISH in
one step, so an event is either logged and sent, or not at all. Each process holds one pub/sub
connection for all its subscribers; after a disconnect it reconnects with backoff and reads what
it missed from the stream, so delivery resumes without a gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..errors import BrokerUnavailable, CursorExpired
from .base import Backend, Outgoing
from .cursors import CURSOR, cursor_key

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "ultiroam-graphql"
REPLAY_BATCH = 500
RECONNECT_DELAYS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

PUBLISH = """
-- KEYS: stream, channel, then one dedupe key per event
-- ARGV: max length, oldest id kept, then (payload, dedupe ttl ms) per event
local cursors = {}
for i = 3, #KEYS do
  local payload, ttl = ARGV[2 * (i - 2) + 1], ARGV[2 * (i - 2) + 2]
  if redis.call('SET', KEYS[i], '1', 'NX', 'PX', ttl) then
    local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', payload)
    redis.call('PUBLISH', KEYS[2], id .. ' ' .. payload)
    cursors[#cursors + 1] = id
  else
    cursors[#cursors + 1] = ''
  end
end
redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[2])
return cursors
"""


def redact(url: str) -> str:
    """The URL without its password (in the user part or the query), fit for logs and /readyz."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rpartition('@')[2]}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


class RedisBackend(Backend):
    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        retention_events: int,
        retention_seconds: float,
        client: redis.Redis | None = None,
    ) -> None:
        self._url = url
        self._client = client or redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=5
        )
        self._stream = f"{prefix}:events"
        self._channel = f"{prefix}:live"
        self._seen = f"{prefix}:seen:"
        self._retention_events = retention_events
        self._retention_seconds = retention_seconds
        self._publish = self._client.register_script(PUBLISH)
        self._connected: bool | None = None  # unknown until the first attempt
        self._last: str | None = None  # the newest event this process has yielded

    @property
    def connected(self) -> bool:
        return bool(self._connected)

    @property
    def description(self) -> str:
        return redact(self._url)

    async def connect(self) -> None:
        try:
            self._last = await self._newest()  # events from here on reach this process
        except DOWN:
            self._last = f"{int(time.time() * 1000)}-0"  # catch up from now once reachable
            self._mark(False)  # the reader keeps trying; /readyz says not ready meanwhile
        else:
            self._mark(True)

    async def disconnect(self) -> None:
        await self._client.aclose()

    async def publish(self, events: Sequence[Outgoing]) -> list[str | None]:
        """All events of a push in one script: logged and sent together, or not at all."""
        if not events:
            return []
        oldest_kept = f"{int((time.time() - self._retention_seconds) * 1000)}-0"
        args: list[Any] = [self._retention_events, oldest_kept]
        for event in events:
            args += [event.payload, max(int(event.dedupe_ttl * 1000), 1)]
        keys = [self._stream, self._channel, *(self._seen + e.dedupe_key for e in events)]
        try:
            cursors = await self._publish(keys=keys, args=args)
        except (*DOWN, ResponseError) as exc:  # unreachable, or refusing writes (OOM, READONLY)
            self._mark(False)
            raise BrokerUnavailable("the broker (Redis) cannot take events now") from exc
        self._mark(True)
        return [_text(cursor) or None for cursor in cursors]

    async def listen(self) -> AsyncIterator[tuple[str, bytes]]:
        attempt = 0
        while True:
            pubsub = self._client.pubsub()
            try:
                if attempt:  # pooled connections from before the outage are dead
                    await self._client.connection_pool.disconnect()
                if self._last is None:
                    self._last = await self._newest()
                await pubsub.subscribe(self._channel)
                self._mark(True)
                attempt = 0
                async for cursor, payload in self._range(self._last):  # missed while away
                    self._last = cursor
                    yield cursor, payload
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    _raise_if_cancelled()
                    if message is None:
                        continue
                    cursor, _, payload = message["data"].partition(b" ")
                    cursor_text = _text(cursor)
                    if not CURSOR.match(cursor_text):
                        continue  # not ours: someone else published on the channel
                    if cursor_key(cursor_text) > cursor_key(self._last):
                        self._last = cursor_text
                        yield cursor_text, payload
            except DOWN:
                self._mark(False)
                await asyncio.sleep(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
                attempt += 1
            finally:
                with contextlib.suppress(*DOWN):
                    await pubsub.aclose()

    async def replay(self, after: str) -> AsyncIterator[tuple[str, bytes]]:
        after_key = cursor_key(after)
        try:
            info: dict[Any, Any] = await self._client.xinfo_stream(self._stream)
        except ResponseError:  # no stream: Redis lost it, or nothing was ever published
            raise CursorExpired("the broker no longer has the events after it") from None
        except DOWN as exc:
            self._mark(False)
            raise BrokerUnavailable("the broker (Redis) cannot be reached") from exc
        newest = _text(info.get("last-generated-id") or b"0-0")
        first = info.get("first-entry")
        if first is None or after_key < cursor_key(_text(first[0])):
            # trimmed away, or from before Redis lost the stream, or from another stream
            raise CursorExpired("events after it are no longer kept")
        if after_key > cursor_key(newest):
            raise CursorExpired("the broker does not know it")
        try:
            async for entry in self._range(after):
                yield entry
        except DOWN as exc:
            self._mark(False)
            raise BrokerUnavailable("the broker (Redis) cannot be reached") from exc

    async def _range(self, after: str) -> AsyncIterator[tuple[str, bytes]]:
        """Logged events after ``after``, read in batches up to the end of the stream."""
        while True:
            entries = await self._client.xrange(
                self._stream, min=f"({after}", max="+", count=REPLAY_BATCH
            )
            for raw_id, fields in entries:
                after = _text(raw_id)
                yield after, fields[b"e"]
            if len(entries) < REPLAY_BATCH:
                return

    async def _newest(self) -> str:
        entries = await self._client.xrevrange(self._stream, max="+", min="-", count=1)
        return _text(entries[0][0]) if entries else "0-0"

    def _mark(self, connected: bool) -> None:
        """Log each change of state once, not once per event or attempt."""
        if connected != self._connected:
            if connected:
                log.info("broker: connected to %s", self.description)
            else:
                log.warning("broker: %s is unreachable; retrying", self.description)
        self._connected = connected


def _raise_if_cancelled() -> None:
    """redis-py can swallow a cancellation that lands while it connects; honour it anyway."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
