"""Identical reads in flight at once share one REST call: a crowd never multiplies the load.

Nothing is kept once a call has finished (no cache, nothing stale): a read that starts after the
shared one returned makes a call of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Flight(Generic[T]):
    call: asyncio.Future[T]
    waiters: int = 0


class SingleFlight(Generic[T]):
    """One call per key at a time; everyone who asks meanwhile gets its outcome.

    The call runs as a task of its own, so one caller leaving does not cancel it for the others;
    when every caller has left, it is cancelled, as a lone caller's call would be.
    """

    def __init__(self) -> None:
        self._flights: dict[Hashable, _Flight[T]] = {}
        self.shared = 0  # callers who joined a call already in flight: what was saved

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        flight = self._flights.get(key)
        if flight is None:
            flight = _Flight(asyncio.ensure_future(call()))
            self._flights[key] = flight
            flight.call.add_done_callback(lambda done: self._landed(key, flight))
        else:
            self.shared += 1
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.call)
        except asyncio.CancelledError:
            if flight.waiters == 1 and not flight.call.done():
                flight.call.cancel()  # the last one waiting left: nobody may join it now
                self._forget(key, flight)
            raise
        finally:
            flight.waiters -= 1

    def _forget(self, key: Hashable, flight: _Flight[T]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]

    def _landed(self, key: Hashable, flight: _Flight[T]) -> None:
        self._forget(key, flight)
        if not flight.call.cancelled():
            flight.call.exception()  # retrieved here too: every waiter may have left before it
