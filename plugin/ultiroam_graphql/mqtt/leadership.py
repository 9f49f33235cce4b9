"""Which instance runs the bridge: one publisher, never two.

With ``memory://`` there is one process, and it leads. With ``redis://`` the instances share
one audience, so they elect one with a Redis lease: ``SET <key> <token> NX PX <ttl>``, renewed
every third of the ttl by the holder only (a Lua compare-and-expire). An instance that cannot
renew (Redis unreachable, or the key holds another token) stops leading at once, before the
lease can expire and another take over; the others try to take it every third of the ttl. The
leader also keeps the cursor of the last event it published beside the lease, with the time it
last served, so the next leader resumes where it stopped, unless that was too long ago.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from abc import ABC, abstractmethod
from typing import Any

from .cancel import raise_if_cancelled

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 15.0
CURSOR_KEEP_SECONDS = 24 * 3600

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
SAVE_CURSOR = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""


class Leadership(ABC):
    """Waits to lead, says when leading ends, and keeps the last published cursor."""

    instance: str | None = None
    """Told apart from the other instances (in the MQTT client id), or None when alone."""

    @abstractmethod
    async def acquire(self) -> None:
        """Return once this instance leads."""

    @abstractmethod
    async def hold(self) -> None:
        """Renew while leading; return when leadership is lost (never while it holds)."""

    @abstractmethod
    async def release(self) -> None:
        """Stop leading now, so another instance can take over without waiting."""

    @abstractmethod
    async def save_cursor(self, cursor: str) -> None:
        """The last event published, as of now (also called every few seconds, unchanged, as
        a sign the bridge is still serving)."""

    @abstractmethod
    async def _load(self) -> str | None: ...

    async def load_cursor(self, *, max_age: float) -> str | None:
        """Where to resume: the saved cursor, if it was saved within ``max_age`` seconds."""
        cursor, _, saved = (await self._load() or "").partition(" ")
        try:
            fresh = time.time() - float(saved) <= max_age
        except ValueError:
            return None
        return cursor if cursor and fresh else None

    async def aclose(self) -> None:
        return None


class SoleInstance(Leadership):
    """``memory://``: one process, which always leads."""

    def __init__(self) -> None:
        self._cursor: str | None = None  # "<cursor> <unix time>"

    async def acquire(self) -> None:
        return None

    async def hold(self) -> None:
        await asyncio.Event().wait()

    async def release(self) -> None:
        return None

    async def _load(self) -> str | None:
        return self._cursor

    async def save_cursor(self, cursor: str) -> None:
        self._cursor = f"{cursor} {time.time():.3f}"


class RedisLease(Leadership):
    """A lease in Redis under ``<key>``; the cursor under ``<key>:cursor``."""

    def __init__(
        self, url: str, key: str, *, ttl: float = DEFAULT_LEASE_SECONDS, client: Any = None
    ) -> None:
        import redis.asyncio as redis  # only when the broker is Redis

        self._client = client or redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._owns_client = client is None
        self.key = key
        self._cursor_key = f"{key}:cursor"
        self._ttl_ms = max(int(ttl * 1000), 10)
        self._interval = ttl / 3
        self.token = uuid.uuid4().hex
        self.instance = self.token[:8]
        self._renew = self._client.register_script(RENEW)
        self._release = self._client.register_script(RELEASE)
        self._save = self._client.register_script(SAVE_CURSOR)
        self._failing = False

    async def acquire(self) -> None:
        while True:
            try:
                if await self._client.set(self.key, self.token, nx=True, px=self._ttl_ms):
                    log.info("mqtt: this instance (%s) now runs the bridge", self.instance)
                    self._failing = False
                    return
                self._failing = False
            except Exception as exc:  # Redis down: nobody can lead; keep trying
                self._warn_once(exc)
            raise_if_cancelled()
            await asyncio.sleep(self._interval)

    async def hold(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                renewed = await self._renew(keys=[self.key], args=[self.token, self._ttl_ms])
            except Exception as exc:
                self._warn_once(exc)
                renewed = 0
            raise_if_cancelled()
            if not renewed:
                log.warning("mqtt: this instance (%s) lost the bridge lease", self.instance)
                return

    async def release(self) -> None:
        with contextlib.suppress(Exception):
            await self._release(keys=[self.key], args=[self.token])

    async def _load(self) -> str | None:
        try:
            value = await self._client.get(self._cursor_key)
        except Exception as exc:
            self._warn_once(exc)
            return None
        return value.decode() if isinstance(value, bytes) else value

    async def save_cursor(self, cursor: str) -> None:
        """Kept only while this instance holds the lease: a deposed leader writes nothing."""
        try:
            await self._save(
                keys=[self.key, self._cursor_key],
                args=[self.token, f"{cursor} {time.time():.3f}", CURSOR_KEEP_SECONDS * 1000],
            )
        except Exception as exc:
            self._warn_once(exc)

    async def aclose(self) -> None:
        await self.release()
        if self._owns_client:
            await self._client.aclose()

    def _warn_once(self, exc: Exception) -> None:
        if not self._failing:
            log.warning("mqtt: the bridge lease in Redis is unavailable (%s)", type(exc).__name__)
        self._failing = True


def leadership_for(broker_url: str, *, key: str, ttl: float = DEFAULT_LEASE_SECONDS) -> Leadership:
    """By the broker's URL scheme, as the broker itself is chosen."""
    if broker_url.split("://", 1)[0].lower() in ("redis", "rediss"):
        return RedisLease(broker_url, key, ttl=ttl)
    return SoleInstance()
