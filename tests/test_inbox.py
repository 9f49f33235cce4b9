"""The inbox poll: high-water mark, flag=all, and one event per message with pushes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support import Facade

from ultiroam_graphql.broker import Broker, MemoryBackend
from ultiroam_graphql.inbox import InboxPoller
from ultiroam_graphql.state import StateStore


async def test_polled_and_pushed_messages_reach_a_subscriber_once(tmp_path: Path) -> None:
    facade = Facade()
    device = facade.add_device("office", push_token="tok")
    api = await facade.start()
    broker: Broker = facade.app.state.broker
    poller = InboxPoller(facade.clients["office"], broker, StateStore(tmp_path), interval=10)
    device.add_incoming_sms(port=0, number="+331", text="old news")
    async with broker.subscribe(lambda event: event.kind == "sms") as inbox:
        assert await poller.poll() == 0  # the first poll: what is there already is not news
        pushed = device.add_incoming_sms(port=1, number="+332", text="pushed first")
        polled = device.add_incoming_sms(port=2, number="+333", text="polled first")
        push = {"sms": [device.wire_incoming(pushed, imsi=True)]}
        assert (await api.post("/push/office", params={"token": "tok"}, json=push)).is_success
        assert await poller.poll() == 1  # the pushed one is known already
        assert await poller.poll() == 0  # and nothing is announced twice
        again = {"sms": [device.wire_incoming(polled, imsi=True)]}
        response = await api.post("/push/office", params={"token": "tok"}, json=again)
        assert response.json()["published"] == 0
        got = [await asyncio.wait_for(anext(inbox), 5) for _ in range(2)]
    assert [e.data["text"] for e in got] == ["pushed first", "polled first"]
    assert not device.is_read(polled.incoming_sms_id)  # polling never marks messages read
    assert StateStore(tmp_path).get("inbox", "office") == polled.incoming_sms_id
    await facade.aclose()


async def test_the_mark_survives_a_restart(tmp_path: Path) -> None:
    facade = Facade()
    device = facade.add_device("office")
    client = facade.clients["office"]
    broker = Broker(MemoryBackend())
    await broker.connect()
    device.add_incoming_sms(port=0, number="+331", text="before")
    await InboxPoller(client, broker, StateStore(tmp_path), interval=10).poll()
    device.add_incoming_sms(port=0, number="+332", text="while down")
    restarted = InboxPoller(client, broker, StateStore(tmp_path), interval=10)
    async with broker.subscribe() as events:
        assert await restarted.poll() == 1
        (event,) = [await asyncio.wait_for(anext(events), 5)]
    assert event.data["text"] == "while down"
    await broker.close()
    await facade.aclose()


async def test_a_first_message_into_an_empty_inbox_is_news(tmp_path: Path) -> None:
    facade = Facade()
    device = facade.add_device("office")
    broker = Broker(MemoryBackend())
    await broker.connect()
    poller = InboxPoller(facade.clients["office"], broker, StateStore(tmp_path), interval=10)
    assert await poller.poll() == 0
    device.add_incoming_sms(port=0, number="+331", text="the very first")
    assert await poller.poll() == 1
    await broker.close()
    await facade.aclose()
