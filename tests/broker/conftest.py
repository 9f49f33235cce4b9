from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as redis
from tests.services import require_redis

from ultiroam_graphql.broker import Broker, broker_from_url

BrokerFactory = Callable[..., Awaitable[Broker]]


@pytest.fixture(params=["memory", "redis"])
async def make_broker(request: pytest.FixtureRequest) -> AsyncIterator[BrokerFactory]:
    """Connected brokers of one kind; with Redis, all made by one test share a fresh prefix."""
    async for make in _brokers(request.param):
        yield make


@pytest.fixture
async def redis_brokers() -> AsyncIterator[BrokerFactory]:
    """Connected Redis brokers sharing a fresh prefix: instances of one deployment."""
    async for make in _brokers("redis"):
        yield make


async def _brokers(kind: str) -> AsyncIterator[BrokerFactory]:
    url = "memory://" if kind == "memory" else require_redis()
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    brokers: list[Broker] = []

    async def make(**options: Any) -> Broker:
        broker = broker_from_url(url, prefix=prefix, **options)
        await broker.connect()
        brokers.append(broker)
        return broker

    yield make
    for broker in brokers:
        await broker.close()
    if kind == "redis":
        client = redis.from_url(url)
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
