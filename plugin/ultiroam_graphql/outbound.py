"""What sending needs beside the wire: user ids, a rate limit, one USSD session per port."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .state import StateStore

USER_ID_LIMIT = 2**31 - 1
USER_ID_BLOCK = 1000


class UserIds:
    """31-bit user ids, never reused by this gateway's facade, across restarts.

    Ids are reserved in blocks in the state file before any is handed out, so a crash loses at
    most the rest of a block; a missing state file falls back on the clock (seconds since 1970
    fit in 31 bits until 2038, and a block is used far faster than a second passes).
    """

    def __init__(
        self, gateway_id: str, state: StateStore, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._gateway_id = gateway_id
        self._state = state
        self._clock = clock
        self._next = 0
        self._reserved_end = 0  # ids below this are reserved in the state file

    def allocate(self, count: int) -> list[int]:
        if self._next + count > self._reserved_end:
            clock_floor = int(self._clock()) & USER_ID_LIMIT

            def reserve(stored: int | None) -> int:
                start = max(self._next, stored or 0, clock_floor)
                if start + count + USER_ID_BLOCK > USER_ID_LIMIT:
                    start = 1  # after two billion ids, wrap around
                return start + count + USER_ID_BLOCK

            # Written before any id of the block is used; kept only once written.
            end = self._state.update("user_ids", self._gateway_id, reserve)
            self._next, self._reserved_end = end - count - USER_ID_BLOCK, end
        ids = list(range(self._next, self._next + count))
        self._next += count
        return ids


class SendRateLimit:
    """A token bucket: at most ``per_minute`` messages a minute, in bursts up to that size."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._tokens = float(per_minute)
        self._updated = clock()

    def take(self, count: int) -> bool:
        """Whether ``count`` messages may go now; they are counted only when they may."""
        if self.per_minute <= 0:
            return True
        now = self._clock()
        self._tokens = min(
            float(self.per_minute), self._tokens + (now - self._updated) * self.per_minute / 60
        )
        self._updated = now
        if count > self._tokens:
            return False
        self._tokens -= count
        return True


class Outbound:
    """Per gateway: ids for its messages, its send rate limit, and its USSD port locks."""

    def __init__(self, gateway_id: str, state: StateStore, *, send_rate_limit: int) -> None:
        self.user_ids = UserIds(gateway_id, state)
        self.rate_limit = SendRateLimit(send_rate_limit)
        self._ussd_locks: dict[int, asyncio.Lock] = {}

    def ussd_lock(self, port: int) -> asyncio.Lock:
        """USSD has no session id: one code at a time per port, or replies get mixed up."""
        return self._ussd_locks.setdefault(port, asyncio.Lock())
