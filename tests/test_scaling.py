"""Several instances, one audience, through a real Redis: fan-out, resume, outage, readiness."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import redis.asyncio as redis
from tests.schema.test_subscriptions import SMS_RESULTS, events, receive, transport_ws
from tests.services import require_redis
from tests.support import TOKEN, Facade, Server, serving
from tests.tcp_proxy import TcpProxy

from ultiroam_graphql import create_app
from ultiroam_graphql.config import Settings

RESUME = """subscription($after: String) {
  smsResults(after: $after) { userId cursor }
}"""


def result(n: int) -> dict[str, Any]:
    return {
        "port": 1,
        "number": f"0612{n:06d}",
        "user_id": n,
        "time": "2024-05-03 10:15:02",
        "status": "SENT_OK",
        "count": 1,
        "succ_count": 1,
        "ref_id": n % 256,
        "imsi": None,
    }


@pytest.fixture
async def instances() -> AsyncIterator[Callable[..., Any]]:
    """Start facade instances sharing one Redis (a fresh prefix per test), as real servers."""
    url = require_redis()
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    async with AsyncExitStack() as stack:
        facade = Facade()
        facade.add_device("paris", push_token=TOKEN, timezone="Europe/Paris")

        async def start(broker_url: str = url) -> Server:
            settings = Settings.model_validate(
                {"broker": {"url": broker_url, "prefix": prefix}, "gateways": facade.settings}
            )
            app = create_app(settings, clients=facade.clients)
            return await stack.enter_async_context(serving(app))

        yield start
    client = redis.from_url(url)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
    await facade.aclose()


async def subscribed(*servers: Server, count: int = 1) -> None:
    for server in servers:
        for _ in range(500):
            if server.broker.subscriber_count >= count:
                break
            await asyncio.sleep(0.01)


async def test_a_push_to_one_instance_reaches_subscribers_on_every_instance(instances) -> None:
    one, two = await instances(), await instances()
    async with one.ws("graphql-transport-ws") as on_one, two.ws("graphql-ws") as on_two:
        await transport_ws(on_one, SMS_RESULTS)
        await on_two.send(json.dumps({"type": "connection_init"}))
        assert (await receive(on_two))["type"] == "connection_ack"
        await on_two.send(
            json.dumps({"type": "start", "id": "1", "payload": {"query": SMS_RESULTS}})
        )
        await subscribed(one, two)
        await one.push("paris", sms_result=[result(1), result(2)])
        await two.push("paris", sms_result=[result(3)])
        await two.push("paris", sms_result=[result(1)])  # the gateway sending again: once
        got_one = await events(on_one, 3)
        got_two = await events(on_two, 3, "data")
    for got in (got_one, got_two):
        assert [p["data"]["smsResults"]["userId"] for p in got] == [1, 2, 3]


async def test_resuming_with_a_cursor_on_another_instance_gets_exactly_what_was_missed(
    instances,
) -> None:
    one, two = await instances(), await instances()
    async with one.ws("graphql-transport-ws") as ws:
        await transport_ws(ws, SMS_RESULTS)
        await subscribed(one)
        await one.push("paris", sms_result=[result(1)])
        (first,) = await events(ws, 1)
    cursor = first["data"]["smsResults"]["cursor"]
    await one.push("paris", sms_result=[result(2), result(3)])  # missed while away
    async with two.ws("graphql-transport-ws") as ws:
        await transport_ws(ws, RESUME, after=cursor)
        await subscribed(two)
        await two.push("paris", sms_result=[result(4)])
        got = await events(ws, 3)
    assert [p["data"]["smsResults"]["userId"] for p in got] == [2, 3, 4]


async def test_an_expired_cursor_is_a_clear_error(instances) -> None:
    one = await instances()
    async with one.ws("graphql-transport-ws") as ws:
        await transport_ws(ws, RESUME, after="1-0")
        message = await receive(ws)
    assert message["type"] == "next"
    assert message["payload"]["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED"


async def test_redis_going_away_and_coming_back(
    instances, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ultiroam_graphql.broker")
    target = urlsplit(require_redis())
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    server = await instances(f"redis://127.0.0.1:{proxy.port}{target.path}")
    assert (await server.http.get("/readyz")).status_code == 200
    async with server.ws("graphql-transport-ws") as ws:
        await transport_ws(ws, SMS_RESULTS)
        await subscribed(server)
        await proxy.cut()
        refused = await server.http.post(
            "/push/paris", params={"token": TOKEN}, json={"sms_result": [result(1)]}
        )
        assert refused.status_code == 503
        assert (await server.http.get("/readyz")).status_code == 503
        await proxy.start()
        for _ in range(300):  # the broker reconnects by itself, with backoff
            if (await server.http.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.05)
        ready = await server.http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["broker"] == {
            "url": f"redis://127.0.0.1:{proxy.port}/15",
            "connected": True,
        }
        await server.push("paris", sms_result=[result(1)])  # the gateway's retry
        (got,) = await events(ws, 1)  # the subscriber stayed connected throughout
    assert got["data"]["smsResults"]["userId"] == 1
    await proxy.cut()
    transitions = [r.getMessage() for r in caplog.records if r.name.startswith("ultiroam_graphql")]
    assert sum("unreachable" in message for message in transitions) == 1  # once, not per try
    assert sum("connected to" in message for message in transitions) == 2  # start, return


async def test_readyz_lists_each_gateways_last_contact(instances) -> None:
    server = await instances()
    before = (await server.http.get("/readyz")).json()
    assert before["ready"] is True
    assert before["gateways"] == {"paris": {"lastContact": None, "sn": None, "circuit": "closed"}}
    await server.push("paris", sn="da00-0030-1901-2817", sms_result=[result(1)])
    after = (await server.http.get("/readyz")).json()["gateways"]["paris"]
    assert after["sn"] == "da00-0030-1901-2817"
    assert after["lastContact"] is not None
    assert httpx.URL(f"http://x/?t={after['lastContact']}")  # an ISO 8601 string
