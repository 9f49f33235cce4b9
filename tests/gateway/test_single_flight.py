"""SingleFlight: one call per key at a time, shared outcome, nothing kept afterwards."""

from __future__ import annotations

import asyncio

import pytest

from ultiroam_graphql.gateway.single_flight import SingleFlight


class Counting:
    def __init__(self, result: object = "reply", error: Exception | None = None) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.result = result
        self.error = error

    async def __call__(self) -> object:
        self.calls += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return self.result


async def test_callers_in_flight_at_once_share_one_call() -> None:
    flights: SingleFlight[object] = SingleFlight()
    call = Counting()
    waiting = [asyncio.create_task(flights.run("key", call)) for _ in range(100)]
    await asyncio.sleep(0)
    call.release.set()
    assert await asyncio.gather(*waiting) == ["reply"] * 100
    assert call.calls == 1
    assert flights.shared == 99


async def test_other_keys_make_calls_of_their_own() -> None:
    flights: SingleFlight[object] = SingleFlight()
    call = Counting()
    waiting = [asyncio.create_task(flights.run(key, call)) for key in ("a", "b", "a", "c")]
    await asyncio.sleep(0)
    call.release.set()
    await asyncio.gather(*waiting)
    assert call.calls == 3


async def test_nothing_is_kept_once_the_call_returned() -> None:
    flights: SingleFlight[object] = SingleFlight()
    call = Counting()
    call.release.set()
    await flights.run("key", call)
    await flights.run("key", call)
    assert call.calls == 2


async def test_every_caller_gets_the_shared_failure() -> None:
    flights: SingleFlight[object] = SingleFlight()
    call = Counting(error=RuntimeError("gateway down"))
    waiting = [asyncio.create_task(flights.run("key", call)) for _ in range(3)]
    await asyncio.sleep(0)
    call.release.set()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert [str(outcome) for outcome in outcomes] == ["gateway down"] * 3
    assert call.calls == 1


async def test_one_caller_leaving_does_not_cancel_the_others_call() -> None:
    flights: SingleFlight[object] = SingleFlight()
    call = Counting()
    first = asyncio.create_task(flights.run("key", call))
    second = asyncio.create_task(flights.run("key", call))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    call.release.set()
    assert await second == "reply"
    assert call.calls == 1


async def test_the_call_is_cancelled_when_every_caller_has_left() -> None:
    flights: SingleFlight[object] = SingleFlight()
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def call() -> object:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    callers = [asyncio.create_task(flights.run("key", call)) for _ in range(2)]
    await started.wait()
    for caller in callers:
        caller.cancel()
    await asyncio.gather(*callers, return_exceptions=True)
    await asyncio.wait_for(cancelled.wait(), 5)
    replacement = Counting()
    replacement.release.set()
    assert await flights.run("key", replacement) == "reply"  # a fresh call, not the dead one
