"""The broker over each backend: fan-out, filters, overflow, cursors and replay, cleanup."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

import pytest
import redis.asyncio as redis
from tests.broker.conftest import BrokerFactory
from tests.services import require_redis

from ultiroam_graphql.broker import Backend, Broker, MemoryBackend, broker_from_url
from ultiroam_graphql.broker.base import Outgoing
from ultiroam_graphql.broker.cursors import cursor_key
from ultiroam_graphql.errors import BadUserInput, CursorExpired, SubscriptionOverflow
from ultiroam_graphql.events import Event


def event(n: int, gateway: str = "a", kind: str = "sms_result") -> Event:
    return Event(gateway_id=gateway, kind=kind, data={"n": n})  # type: ignore[arg-type]


async def take(subscription: AsyncIterator[Event], count: int) -> list[Event]:
    return [await asyncio.wait_for(anext(subscription), 10) for _ in range(count)]


def numbers(events: list[Event]) -> list[int]:
    return [e.data["n"] for e in events]


async def test_every_subscriber_gets_every_event_in_order(make_broker: BrokerFactory) -> None:
    broker = await make_broker()
    async with broker.subscribe() as first, broker.subscribe() as second:
        cursors = [await broker.publish(event(n)) for n in range(3)]
        for subscription in (first, second):
            got = await take(subscription, 3)
            assert numbers(got) == [0, 1, 2]
            assert [e.cursor for e in got] == cursors


async def test_filters_decide_what_a_subscriber_receives(make_broker: BrokerFactory) -> None:
    broker = await make_broker()
    async with broker.subscribe(lambda e: e.gateway_id == "b") as only_b:
        await broker.publish(event(1, "a"))
        await broker.publish(event(2, "b"))
        await broker.publish(event(3, "a"))
        await broker.publish(event(4, "b"))
        assert numbers(await take(only_b, 2)) == [2, 4]


async def test_an_event_sent_again_unchanged_is_published_once(make_broker: BrokerFactory) -> None:
    broker = await make_broker()
    async with broker.subscribe() as subscription:
        assert await broker.publish(event(1)) is not None
        assert await broker.publish(Event("a", "sms_result", {"n": 1}, sn="other")) is None
        assert await broker.publish(event(2)) is not None
        assert numbers(await take(subscription, 2)) == [1, 2]


async def test_several_instances_share_one_audience_exactly_once(redis_brokers) -> None:
    one, two = await redis_brokers(), await redis_brokers()
    async with one.subscribe() as on_one, two.subscribe() as on_two:
        await one.publish(event(1))
        await two.publish(event(2))
        await two.publish(event(1))  # the same push, received by the other instance: once
        await one.publish(event(3))
        for subscription in (on_one, on_two):
            assert numbers(await take(subscription, 3)) == [1, 2, 3]


async def test_one_pubsub_connection_per_process_for_all_subscribers(redis_brokers) -> None:
    broker = await redis_brokers()
    client = redis.from_url(require_redis())
    async with contextlib.AsyncExitStack() as stack:
        subscriptions = [await stack.enter_async_context(broker.subscribe()) for _ in range(20)]
        await broker.publish(event(1))
        for subscription in subscriptions:
            assert numbers(await take(subscription, 1)) == [1]
        ((_, listeners),) = await client.pubsub_numsub(broker.backend._channel)
        assert listeners == 1
    await client.aclose()


async def test_a_stalled_subscriber_never_holds_back_a_healthy_one(
    make_broker: BrokerFactory,
) -> None:
    broker = await make_broker(subscriber_buffer=5)
    async with broker.subscribe() as stalled, broker.subscribe() as healthy:
        received = []
        for n in range(20):
            await broker.publish(event(n))
            received.extend(await take(healthy, 1))
        assert numbers(received) == list(range(20))
        # the stalled one keeps what it had room for, then is told, never given a gap
        assert numbers(await take(stalled, 5)) == [0, 1, 2, 3, 4]
        with pytest.raises(SubscriptionOverflow):
            await anext(stalled)


async def test_replay_after_a_cursor_then_live_with_no_gap_or_duplicate(
    make_broker: BrokerFactory,
) -> None:
    broker = await make_broker()
    cursors = [await broker.publish(event(n)) for n in range(6)]
    assert all(cursors)
    async with broker.subscribe(after=cursors[2]) as resumed:
        await broker.publish(event(6))
        await broker.publish(event(7))
        got = await take(resumed, 5)
    assert numbers(got) == [3, 4, 5, 6, 7]
    assert [e.cursor for e in got[:3]] == cursors[3:]


async def test_replay_applies_the_subscribers_filter(make_broker: BrokerFactory) -> None:
    broker = await make_broker()
    first = await broker.publish(event(0, "a"))
    for n in range(1, 7):
        await broker.publish(event(n, "ab"[n % 2]))
    async with broker.subscribe(lambda e: e.gateway_id == "b", after=first) as resumed:
        await broker.publish(event(7, "b"))
        assert numbers(await take(resumed, 4)) == [1, 3, 5, 7]


async def test_events_published_during_a_long_replay_follow_it(make_broker: BrokerFactory) -> None:
    broker = await make_broker(subscriber_buffer=2000)
    start = await broker.publish(event(-1))
    for n in range(1200):  # longer than one replay batch
        await broker.publish(event(n))
    async with broker.subscribe(after=start) as resumed:
        publishing = asyncio.ensure_future(
            asyncio.gather(*(broker.publish(event(n)) for n in range(1200, 1250)))
        )
        got = await take(resumed, 1250)
        await publishing
    # concurrent publishes may be logged in any order: each once, in cursor order, none missing
    assert numbers(got)[:1200] == list(range(1200))
    assert sorted(numbers(got)) == list(range(1250))
    keys = [cursor_key(e.cursor or "") for e in got]
    assert keys == sorted(keys) and len(set(keys)) == 1250


async def test_a_cursor_past_the_retention_is_an_error(make_broker: BrokerFactory) -> None:
    broker = await make_broker(retention_events=3)
    first = await broker.publish(event(0))
    for n in range(1, 350):  # Redis trims whole stream nodes (100 entries) at a time
        await broker.publish(event(n))
    async with broker.subscribe(after=first) as resumed:
        with pytest.raises(CursorExpired, match="no longer kept"):
            await asyncio.wait_for(anext(resumed), 10)


async def test_a_cursor_the_broker_never_gave_is_an_error(make_broker: BrokerFactory) -> None:
    broker = await make_broker()
    await broker.publish(event(0))
    async with broker.subscribe(after="99999999999999-0") as resumed:
        with pytest.raises(CursorExpired):
            await asyncio.wait_for(anext(resumed), 10)
    with pytest.raises(BadUserInput, match="not a cursor"):
        async with broker.subscribe(after="yesterday"):
            pass


async def test_a_subscriber_that_leaves_is_forgotten(make_broker: BrokerFactory) -> None:
    broker = await make_broker()
    async with broker.subscribe() as subscription:
        await broker.publish(event(1))
        await take(subscription, 1)
        assert broker.subscriber_count == 1
    assert broker.subscriber_count == 0
    await broker.publish(event(2))


async def test_closing_the_broker_ends_subscriptions(make_broker: BrokerFactory) -> None:
    broker = await make_broker()
    async with broker.subscribe() as subscription:
        waiting = asyncio.ensure_future(anext(subscription))
        await asyncio.sleep(0)
        await broker.close()
        with pytest.raises(StopAsyncIteration):
            await waiting


class RecordingBackend(Backend):
    """A backend defined here, to show that the interface is all the broker needs."""

    def __init__(self) -> None:
        self.published: list[bytes] = []
        self.feed: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self.running = False

    @property
    def connected(self) -> bool:
        return self.running

    @property
    def description(self) -> str:
        return "recording://"

    async def connect(self) -> None:
        self.running = True

    async def disconnect(self) -> None:
        self.running = False

    async def publish(self, events: Sequence[Outgoing]) -> list[str | None]:
        cursors: list[str | None] = []
        for event in events:
            self.published.append(event.payload)
            cursors.append(f"1-{len(self.published)}")
            await self.feed.put((f"1-{len(self.published)}", event.payload))
        return cursors

    async def listen(self) -> AsyncIterator[tuple[str, bytes]]:
        while True:
            yield await self.feed.get()

    async def replay(self, after: str) -> AsyncIterator[tuple[str, bytes]]:
        for n, payload in enumerate(self.published, start=1):
            if n > int(after.split("-")[1]):
                yield f"1-{n}", payload


async def test_a_backend_of_our_own_plugs_in() -> None:
    backend = RecordingBackend()
    broker = Broker(backend)
    await broker.connect()
    assert broker.connected
    async with broker.subscribe() as subscription:
        await backend.feed.put(("1-0", b"not an event"))  # skipped, not fatal
        await broker.publish(event(7))
        (got,) = await take(subscription, 1)
    assert got == Event("a", "sms_result", {"n": 7}, cursor="1-1")
    async with broker.subscribe(after="1-0") as replayed:
        assert numbers(await take(replayed, 1)) == [7]
    await broker.close()
    assert not broker.connected


def test_backend_by_url_scheme() -> None:
    assert isinstance(broker_from_url("memory://").backend, MemoryBackend)
    assert type(broker_from_url("redis://127.0.0.1:6379/0").backend).__name__ == "RedisBackend"
    with pytest.raises(ValueError, match="unsupported"):
        broker_from_url("kafka://localhost")


async def one(backend: Backend, payload: bytes, key: str, ttl: float) -> str | None:
    (cursor,) = await backend.publish([Outgoing(payload, key, ttl)])
    return cursor


async def test_memory_cursors_expire_with_a_restart() -> None:
    before = MemoryBackend(clock=lambda: 1000.0)
    cursor = await one(before, b"{}", "k", 1)
    after_restart = MemoryBackend(clock=lambda: 2000.0)
    assert cursor is not None
    with pytest.raises(CursorExpired, match="restarted"):
        async for _ in after_restart.replay(cursor):
            pass


async def test_memory_retention_by_age() -> None:
    now = [1000.0]
    backend = MemoryBackend(retention_seconds=60, clock=lambda: now[0])
    first = await one(backend, b"1", "1", 1)
    second = await one(backend, b"2", "2", 1)
    assert [payload async for _, payload in backend.replay(first or "")] == [b"2"]
    now[0] += 120
    await one(backend, b"3", "3", 1)
    assert [payload async for _, payload in backend.replay(second or "")] == [b"3"]
    assert first is not None
    with pytest.raises(CursorExpired):
        async for _ in backend.replay(first):
            pass


async def test_memory_dedupe_forgets_after_its_ttl() -> None:
    now = [0.0]
    backend = MemoryBackend(clock=lambda: now[0])
    assert await one(backend, b"x", "k", 10)
    assert await one(backend, b"x", "k", 10) is None
    now[0] = 11
    assert await one(backend, b"x", "k", 10)


async def test_no_duplicate_when_the_reader_delivers_after_the_replay(
    make_broker: BrokerFactory,
) -> None:
    broker = await make_broker()
    cursors = [await broker.publish(event(n)) for n in range(3)]
    for _ in range(20):  # let the reader fan out 0..2 to nobody
        await asyncio.sleep(0.01)
    async with broker.subscribe(after=cursors[0]) as resumed:
        await broker.publish(event(3))
        await broker.publish(event(4))
        assert numbers(await take(resumed, 4)) == [1, 2, 3, 4]
        marker = await broker.publish(event(99))
        (last,) = await take(resumed, 1)
    assert last.cursor == marker  # nothing came twice before the marker


async def test_identical_repeatable_events_are_dropped_only_as_quick_resends() -> None:
    now = [0.0]
    broker = Broker(MemoryBackend(clock=lambda: now[0]))
    reset = Event("a", "exception_info", {"port": 1, "type": "call_fail", "action": "reset"})
    assert await broker.publish(reset) is not None
    assert await broker.publish(reset) is None  # the gateway re-sending at once
    now[0] += 60
    assert await broker.publish(reset) is not None  # a new failure a minute later


async def test_a_stray_message_on_the_channel_does_not_stop_delivery(redis_brokers) -> None:
    broker = await redis_brokers()
    client = redis.from_url(require_redis())
    async with broker.subscribe() as subscription:
        await broker.publish(event(1))
        await take(subscription, 1)
        await client.publish(broker.backend._channel, b"hello")
        await client.publish(broker.backend._channel, b"1-0 not-json")
        await broker.publish(event(2))
        assert numbers(await take(subscription, 1)) == [2]
    await client.aclose()


async def test_a_cursor_from_before_redis_lost_the_stream_is_expired(redis_brokers) -> None:
    broker = await redis_brokers()
    client = redis.from_url(require_redis())
    old = await broker.publish(event(1))
    await client.delete(broker.backend._stream)  # what a restart without persistence does
    await broker.publish(event(2))
    async with broker.subscribe(after=old) as resumed:
        with pytest.raises(CursorExpired):
            await asyncio.wait_for(anext(resumed), 10)
    await client.aclose()
