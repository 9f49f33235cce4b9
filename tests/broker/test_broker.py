"""The broker: fan-out, filters, the overflow policy, cleanup, and a pluggable backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ultiroam_graphql.broker import Backend, Broker, MemoryBackend, broker_from_url
from ultiroam_graphql.errors import SubscriptionOverflow
from ultiroam_graphql.events import Event


def event(n: int, gateway: str = "a", kind: str = "sms_result") -> Event:
    return Event(gateway_id=gateway, kind=kind, data={"n": n})  # type: ignore[arg-type]


async def settle() -> None:
    """Let the broker's reader task deliver what was published."""
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.fixture
async def broker() -> AsyncIterator[Broker]:
    broker = Broker(MemoryBackend(), subscriber_buffer=5)
    await broker.connect()
    yield broker
    await broker.close()


async def take(subscription: AsyncIterator[Event], count: int) -> list[Event]:
    return [await anext(subscription) for _ in range(count)]


async def test_every_subscriber_gets_every_event_in_order(broker: Broker) -> None:
    async with broker.subscribe() as first, broker.subscribe() as second:
        for n in range(3):
            assert await broker.publish(event(n))
        await settle()
        for subscription in (first, second):
            got = await take(subscription, 3)
            assert [e.data["n"] for e in got] == [0, 1, 2]
            assert [e.cursor for e in got] == ["1", "2", "3"]


async def test_filters_decide_what_a_subscriber_receives(broker: Broker) -> None:
    async with broker.subscribe(lambda e: e.gateway_id == "b") as only_b:
        await broker.publish(event(1, "a"))
        await broker.publish(event(2, "b"))
        await settle()
        (got,) = await take(only_b, 1)
        assert got.gateway_id == "b"
        assert only_b._queue.empty()


async def test_an_event_sent_again_unchanged_is_published_once(broker: Broker) -> None:
    async with broker.subscribe() as subscription:
        assert await broker.publish(event(1))
        assert not await broker.publish(Event("a", "sms_result", {"n": 1}, sn="other-sn"))
        assert await broker.publish(event(1, "b"))
        await settle()
        assert len(await take(subscription, 2)) == 2
        assert subscription._queue.empty()


async def test_a_stalled_subscriber_never_holds_back_a_healthy_one(broker: Broker) -> None:
    async with broker.subscribe() as stalled, broker.subscribe() as healthy:
        received = []
        for n in range(20):
            await broker.publish(event(n))
            await settle()
            received.extend(await take(healthy, 1))
        assert [e.data["n"] for e in received] == list(range(20))
        # the stalled one keeps what it had room for, then is told, never given a gap
        assert [e.data["n"] for e in await take(stalled, 5)] == [0, 1, 2, 3, 4]
        with pytest.raises(SubscriptionOverflow):
            await anext(stalled)


async def test_a_subscriber_that_leaves_is_forgotten(broker: Broker) -> None:
    async with broker.subscribe() as subscription:
        await broker.publish(event(1))
        await settle()
        await take(subscription, 1)
        assert broker.subscriber_count == 1
    assert broker.subscriber_count == 0
    await broker.publish(event(2))
    await settle()


async def test_closing_the_broker_ends_subscriptions(broker: Broker) -> None:
    async with broker.subscribe() as subscription:
        waiting = asyncio.ensure_future(anext(subscription))
        await settle()
        await broker.close()
        with pytest.raises(StopAsyncIteration):
            await waiting


class RecordingBackend(Backend):
    """A backend defined here, to show that the interface is all the broker needs."""

    def __init__(self) -> None:
        self.published: list[bytes] = []
        self.feed: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self.connected = False

    async def connect(self) -> None:
        self.connected = True

    async def disconnect(self) -> None:
        self.connected = False

    async def publish(self, payload: bytes) -> str:
        self.published.append(payload)
        await self.feed.put((f"r{len(self.published)}", payload))
        return f"r{len(self.published)}"

    async def listen(self) -> AsyncIterator[tuple[str, bytes]]:
        while True:
            yield await self.feed.get()

    async def first_time(self, key: str, *, ttl: float) -> bool:
        return True


async def test_a_backend_of_our_own_plugs_in() -> None:
    backend = RecordingBackend()
    broker = Broker(backend)
    await broker.connect()
    assert backend.connected
    async with broker.subscribe() as subscription:
        await backend.feed.put(("bad", b"not an event"))  # skipped, not fatal
        await broker.publish(event(7))
        await settle()
        (got,) = await take(subscription, 1)
    assert got == event(7).with_cursor("r1")
    assert Event.decode(backend.published[0]) == event(7)
    await broker.close()
    assert not backend.connected


def test_backend_by_url_scheme() -> None:
    assert isinstance(broker_from_url("memory://").backend, MemoryBackend)
    with pytest.raises(ValueError, match="unsupported"):
        broker_from_url("kafka://localhost")


async def test_memory_dedupe_forgets_after_its_ttl() -> None:
    now = [0.0]
    backend = MemoryBackend(clock=lambda: now[0])
    assert await backend.first_time("k", ttl=10)
    assert not await backend.first_time("k", ttl=10)
    now[0] = 11
    assert await backend.first_time("k", ttl=10)
