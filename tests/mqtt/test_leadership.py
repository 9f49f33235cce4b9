"""One publisher among instances, elected with a lease in the real Redis; handover without a gap."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis
from tests.mqtt.support import WAIT, Names, Spy, running
from tests.services import require_redis
from tests.support import START, TOKEN, Facade

from ultiroam_graphql.mqtt import RedisLease, SoleInstance, leadership_for
from ultiroam_graphql.simulator import ManualClock, SimulatedGateway


@pytest.fixture
async def redis_prefix() -> AsyncIterator[tuple[str, str]]:
    """The test Redis URL and a fresh key prefix, whose keys are deleted afterwards."""
    url = require_redis()
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield url, prefix
    client = redis.from_url(url)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_one_lease_holder_at_a_time(redis_prefix: tuple[str, str]) -> None:
    url, prefix = redis_prefix
    key = f"{prefix}:mqtt:leader"
    first, second = RedisLease(url, key, ttl=0.6), RedisLease(url, key, ttl=0.6)
    client = redis.from_url(url)
    try:
        await first.acquire()
        waiting = asyncio.create_task(second.acquire())
        await first.save_cursor("1714730400000-7")
        assert await second.load_cursor(max_age=60) == "1714730400000-7"
        assert await second.load_cursor(max_age=-1) is None  # too old to resume from
        assert await client.get(key) == first.token.encode()  # the second could not take it
        await first.release()
        async with asyncio.timeout(WAIT):
            await waiting
        assert await client.get(key) == second.token.encode()

        await first.save_cursor("1714730400000-9")  # no longer the holder: not kept
        assert await second.load_cursor(max_age=60) == "1714730400000-7"
        holding = asyncio.create_task(second.hold())
        await client.set(key, "another-instance")  # the lease went to someone else
        async with asyncio.timeout(WAIT):
            await holding  # returns: this instance stops leading
    finally:
        await first.aclose()
        await second.aclose()
        await client.aclose()


async def test_a_lease_left_to_expire_passes_to_another(redis_prefix: tuple[str, str]) -> None:
    url, prefix = redis_prefix
    key = f"{prefix}:mqtt:leader"
    dead, alive = RedisLease(url, key, ttl=0.6), RedisLease(url, key, ttl=0.6)
    try:
        await dead.acquire()  # and never renews, as a killed process would not
        async with asyncio.timeout(WAIT):
            await alive.acquire()
    finally:
        await alive.aclose()
        await dead.aclose()


def test_the_broker_kind_chooses_the_rule() -> None:
    assert isinstance(leadership_for("memory://", key="k"), SoleInstance)
    lease = leadership_for("redis://127.0.0.1:6379/15", key="k")
    assert isinstance(lease, RedisLease) and lease.instance is not None


def incoming(n: int) -> dict[str, object]:
    return {
        "sn": "da00-0030-1901-2817",
        "sms": [
            {
                "incoming_sms_id": n,
                "port": 0,
                "number": "+33611111111",
                "timestamp": "2024-05-03 10:21:40",
                "text": f"message {n}",
            }
        ],
    }


async def test_two_instances_publish_each_event_once_and_hand_over(
    spy: Spy, names: Names, mqtt_url: str, redis_prefix: tuple[str, str], tmp_path: Path
) -> None:
    url, prefix = redis_prefix
    broker = {"url": url, "prefix": prefix}
    device = SimulatedGateway(ports=2, clock=ManualClock(START), initial_results=0)
    facades = [Facade(), Facade()]
    for facade in facades:  # two instances in front of one device
        facade.add_device("office", device=device, push_token=TOKEN)
    sms, status = f"{names.prefix}/office/incoming_sms", f"{names.prefix}/status"
    mqtt = names.mqtt(mqtt_url)
    async with contextlib.AsyncExitStack() as follower_stack:
        leader_stack = contextlib.AsyncExitStack()
        follower_stack.push_async_callback(leader_stack.aclose)  # also when the test fails
        leader = await leader_stack.enter_async_context(
            running(facades[0], mqtt, state_dir=str(tmp_path / "a"), broker=broker)
        )
        follower = await follower_stack.enter_async_context(
            running(facades[1], mqtt, state_dir=str(tmp_path / "b"), broker=broker, wait=False)
        )
        assert await follower.push("office", incoming(1)) == 1  # any instance's webhook
        await spy.wait_for(lambda: len(spy.on(sms)) == 1)
        assert not follower.bridge.ready.is_set() and follower.bridge.sessions == 0
        # Each instance has its own MQTT client id: brokers allow one connection per id.
        assert leader.bridge.identifier != follower.bridge.identifier
        assert leader.bridge.identifier.startswith(mqtt["client_id"] + "-")

        await leader_stack.aclose()  # the leader stops: offline, and the lease is released
        assert await follower.push("office", incoming(2)) == 1  # while nobody leads
        async with asyncio.timeout(WAIT):
            await follower.bridge.ready.wait()
        assert await follower.push("office", incoming(3)) == 1
        await spy.wait_for(lambda: len(spy.on(sms)) == 3)
        assert [m.payload for m in spy.on(status)][-3:] == [b"online", b"offline", b"online"]
    for facade in facades:
        await facade.aclose()
    assert [m.json()["text"] for m in spy.on(sms)] == ["message 1", "message 2", "message 3"]
