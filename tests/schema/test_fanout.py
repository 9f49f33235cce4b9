"""Subscribers with the same document and variables share one execution; counts are exact."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.schema.test_overflow import result as overflow_event
from tests.schema.test_subscriptions import events, receive, result, transport_ws
from tests.support import TOKEN, Facade, Server, serving

from ultiroam_graphql import create_app
from ultiroam_graphql.broker import Broker, MemoryBackend
from ultiroam_graphql.config import Settings
from ultiroam_graphql.schema import Context, build_schema
from ultiroam_graphql.schema.fanout import SharedStreams, _overflow_payload, _shareable

RESULTS = "subscription($ports: [Int!]) { smsResults(filter: { ports: $ports }) { userId } }"
RESUMING = 'subscription { smsResults(after: "0-0") { userId } }'


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    facade = Facade()
    facade.add_device("paris", push_token=TOKEN)
    app = create_app(Settings(gateways=tuple(facade.settings)), clients=facade.clients)
    async with serving(app) as server:
        server.shared = app.state.graphql.shared_streams  # type: ignore[attr-defined]
        yield server
    await facade.aclose()


@contextlib.asynccontextmanager
async def subscribers(
    server: Server, count: int, query: str = RESULTS, **variables: Any
) -> AsyncIterator[list[Any]]:
    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(server.ws("graphql-transport-ws")) for _ in range(count)
        ]
        for ws in sockets:
            await transport_ws(ws, query, **variables)
        yield sockets


async def until(condition: Any) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never met")


async def test_identical_subscribers_share_one_execution_and_each_gets_every_event(
    server: Server,
) -> None:
    async with subscribers(server, 20, ports=[0]) as sockets:
        await until(lambda: server.broker.subscriber_count == 1)
        assert server.shared.stream_count == 1
        await server.push("paris", sms_result=[result(n) for n in range(5)])
        for ws in sockets:
            got = await events(ws, 5)
            assert [payload["data"]["smsResults"]["userId"] for payload in got] == [0, 1, 2, 3, 4]
        assert server.broker.subscriber_count == 1  # one broker subscription for all twenty
    await until(lambda: server.broker.subscriber_count == 0)  # the last one leaving ends it
    assert server.shared.stream_count == 0


async def test_other_variables_and_cursors_are_not_shared(server: Server) -> None:
    async with (
        subscribers(server, 2, ports=[0]),
        subscribers(server, 2, ports=[1]),
        subscribers(server, 2, RESUMING),
    ):
        await until(lambda: server.shared.subscriber_count == 4)  # not the resuming two
        assert server.shared.stream_count == 2  # ports [0] and [1]


async def test_a_late_subscriber_gets_what_comes_after_it_joined(server: Server) -> None:
    async with subscribers(server, 1, ports=[0]) as (early,):
        await until(lambda: server.broker.subscriber_count == 1)
        await server.push("paris", sms_result=[result(1)])
        await events(early, 1)
        async with subscribers(server, 1, ports=[0]) as (late,):
            await until(lambda: server.shared.subscriber_count == 2)
            await server.push("paris", sms_result=[result(2)])
            for ws in (early, late):
                (payload,) = await events(ws, 1)
                assert payload["data"]["smsResults"]["userId"] == 2


async def test_leaving_with_complete_keeps_the_others_going(server: Server) -> None:
    async with subscribers(server, 2, ports=[0]) as (leaving, staying):
        await until(lambda: server.broker.subscriber_count == 1)
        await until(lambda: server.shared.subscriber_count == 2)
        await leaving.send(json.dumps({"type": "complete", "id": "1"}))
        await until(lambda: server.shared.subscriber_count == 1)
        await server.push("paris", sms_result=[result(7)])
        (payload,) = await events(staying, 1)
        assert payload["data"]["smsResults"]["userId"] == 7
        assert server.broker.subscriber_count == 1


async def test_a_refused_document_gets_the_error_message(server: Server) -> None:
    async with subscribers(server, 2, "subscription { smsResults { nope } }") as sockets:
        for ws in sockets:
            message = await receive(ws)
            assert message["type"] == "error"
            assert "nope" in message["payload"][0]["message"]


def test_only_single_subscription_documents_without_a_cursor_are_shared() -> None:
    assert _shareable(RESULTS, None)
    assert not _shareable(RESUMING, None)
    fragment = "subscription { ...F } fragment F on Subscription { smsResults { userId } }"
    assert not _shareable(fragment, None)
    resuming_fragment = (
        "subscription { smsResults { ...F } } "
        'fragment F on SmsResult { port { smsResults(after: "1-0") { userId } } }'
    )
    assert not _shareable(resuming_fragment, None)
    assert not _shareable("query { gateways { id } }", None)
    assert not _shareable("subscription {", None)
    two = "subscription A { smsResults { userId } } subscription B { incomingSms { text } }"
    assert not _shareable(two, None)
    assert _shareable(two, "B")


async def test_a_subscriber_that_falls_behind_alone_is_told_and_ended() -> None:
    facade = Facade()
    facade.add_device("office")
    broker = Broker(MemoryBackend(), subscriber_buffer=100)
    await broker.connect()
    schema = build_schema()
    shared = SharedStreams(schema, buffer=3)
    context = Context.create(facade.clients, broker)
    query = "subscription { smsResults { userId } }"
    async with (
        shared.join(query, None, None, context) as slow,
        shared.join(query, None, None, context) as fast,
    ):
        await until(lambda: broker.subscriber_count == 1)
        taken = []
        for n in range(10):
            await broker.publish(overflow_event(n))
            await until(lambda n=n: len(fast.queue) == 1 or fast.end is not None)
            taken.append(json.loads(fast.queue.popleft())["data"]["smsResults"]["userId"])
        assert taken == list(range(10))
        assert fast.end is None
        assert [json.loads(p)["data"]["smsResults"]["userId"] for p in slow.queue] == [0, 1, 2]
        assert slow.end is not None  # it overflowed: what was queued, then the error
    await broker.close()
    await facade.aclose()


async def test_the_overflow_error_is_the_one_an_unshared_subscription_gives() -> None:
    facade = Facade()
    facade.add_device("office")
    broker = Broker(MemoryBackend(), subscriber_buffer=3)
    await broker.connect()
    query = "subscription { smsResults { userId } }"
    context = Context.create(facade.clients, broker)
    stream = await build_schema().subscribe(query, context_value=context)
    first = asyncio.ensure_future(anext(stream))
    await until(lambda: broker.subscriber_count == 1)
    for n in range(10):
        await broker.publish(overflow_event(n))
    await first
    await anext(stream)
    await anext(stream)
    told = await anext(stream)
    expected = {"data": None, "errors": [error.formatted for error in told.errors]}
    assert json.loads(_overflow_payload(3)) == expected
    await stream.aclose()
    await broker.close()
    await facade.aclose()
