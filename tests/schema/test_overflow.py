"""A subscriber that falls behind is told on its stream, then closed; it never skips silently."""

from __future__ import annotations

import asyncio

import pytest
from tests.support import Facade

from ultiroam_graphql.broker import Broker, MemoryBackend
from ultiroam_graphql.events import Event
from ultiroam_graphql.schema import Context, build_schema


def result(n: int) -> Event:
    data = {
        "port": 0,
        "number": "1",
        "user_id": n,
        "time": "2024-05-03T10:00:00+00:00",
        "status": "SENT_OK",
        "count": 1,
        "succ_count": 1,
        "ref_id": n,
        "imsi": None,
    }
    return Event(gateway_id="office", kind="sms_result", data=data)


async def test_overflow_ends_the_stream_with_an_error_after_what_was_queued() -> None:
    facade = Facade()
    facade.add_device("office")
    broker = Broker(MemoryBackend(), subscriber_buffer=3)
    await broker.connect()
    stream = await build_schema().subscribe(
        "subscription { smsResults { userId } }",
        context_value=Context.create(facade.clients, broker),
    )
    first = asyncio.ensure_future(anext(stream))
    for _ in range(100):
        if broker.subscriber_count:
            break
        await asyncio.sleep(0)
    for n in range(10):
        await broker.publish(result(n))
    received = [await first, await anext(stream), await anext(stream)]
    assert [r.data["smsResults"]["userId"] for r in received] == [0, 1, 2]
    told = await anext(stream)
    assert told.data is None
    (error,) = told.errors
    assert error.extensions["code"] == "SUBSCRIPTION_OVERFLOW"
    assert "fell more than 3 events behind" in error.message
    with pytest.raises(StopAsyncIteration):
        await anext(stream)  # closed after the error
    assert broker.subscriber_count == 0
    await broker.close()
    await facade.aclose()
