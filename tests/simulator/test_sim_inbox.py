"""Received SMS: the inbox, `query_incoming_sms`, and incoming traffic."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from ultiroam_graphql.simulator import (
    IncomingRecord,
    ManualClock,
    SimulatedGateway,
    create_simulator_app,
)
from ultiroam_graphql.simulator.inbox import Inbox
from ultiroam_graphql.simulator.traffic import traffic_loop

ClientFactory = Callable[..., httpx.AsyncClient]
SN = "da00-0030-1901-2817"
START = 1_714_730_400.0


@pytest.fixture
def client(gateway: SimulatedGateway, make_client: ClientFactory) -> httpx.AsyncClient:
    app = create_simulator_app(gateway)
    return make_client(app, auth=httpx.DigestAuth("admin", "admin"))


def fill(gateway: SimulatedGateway) -> list[IncomingRecord]:
    return [
        gateway.add_incoming_sms(port=p, number=f"+3361111111{p}", text=f"m{p}") for p in range(4)
    ]


def test_add_incoming_sms_defaults(gateway: SimulatedGateway, clock: ManualClock) -> None:
    first = gateway.add_incoming_sms(port=5, number="+33611111111", text="hello")
    clock.advance(10)
    second = gateway.add_incoming_sms(
        port=5, number="10086", text="bye", smsc="+8613800100500", received_at=START - 60
    )
    assert (first.incoming_sms_id, second.incoming_sms_id) == (1, 2)
    assert first.received_at == START and second.received_at == START - 60
    assert first.imsi == gateway.imsi(5)
    assert first.smsc.startswith("+") and second.smsc == "+8613800100500"
    assert gateway.incoming == (first, second)
    assert gateway.last_incoming_id == 2
    assert gateway.incoming_since(1) == [second]
    assert not gateway.is_read(1)


def test_add_incoming_sms_rejects_bad_port(gateway: SimulatedGateway) -> None:
    with pytest.raises(ValueError):
        gateway.add_incoming_sms(port=32, number="1", text="x")


def test_inbox_is_bounded_and_ids_keep_increasing() -> None:
    inbox = Inbox(max_messages=3)
    for n in range(5):
        inbox.add(port=0, number=str(n), smsc="+1", text="t", received_at=0.0, imsi="1")
    assert [m.incoming_sms_id for m in inbox.messages] == [3, 4, 5]
    assert (inbox.read_count, inbox.unread_count, inbox.last_id) == (0, 3, 5)
    assert [m.incoming_sms_id for m in inbox.since(0)] == [3, 4, 5]


def test_random_incoming_is_seeded_and_leaves_sent_records_alone(clock: ManualClock) -> None:
    first = SimulatedGateway(clock=clock, seed=4, initial_results=0)
    second = SimulatedGateway(clock=clock, seed=4, initial_results=0)
    made = [first.add_random_incoming() for _ in range(30)]
    assert made == [second.add_random_incoming() for _ in range(30)]
    plain = SimulatedGateway(clock=clock, seed=4, initial_results=0)
    busy = SimulatedGateway(clock=clock, seed=4, initial_results=0)
    busy.add_random_incoming()
    assert busy.add_random_results(5) == plain.add_random_results(5)
    assert {m.port for m in made} <= set(range(32))
    assert len({m.text for m in made}) > 3
    assert all(m.imsi == first.imsi(m.port) for m in made)


async def test_traffic_brings_some_incoming(gateway: SimulatedGateway) -> None:
    ticks = 0

    async def fake_sleep(seconds: float) -> None:
        nonlocal ticks
        if ticks == 40:
            raise asyncio.CancelledError
        ticks += 1

    with pytest.raises(asyncio.CancelledError):
        await traffic_loop(gateway, 1.0, sleep=fake_sleep)
    assert 3 <= len(gateway.incoming) <= 20
    assert [m.incoming_sms_id for m in gateway.incoming] == list(
        range(1, len(gateway.incoming) + 1)
    )


async def test_query_unread_marks_read(
    client: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    first, *_ = fill(gateway)
    reply = (await client.get("/api/query_incoming_sms")).json()
    assert reply["error_code"] == 200 and reply["sn"] == SN
    assert [m["incoming_sms_id"] for m in reply["sms"]] == [1, 2, 3, 4]
    assert reply["sms"][0] == {
        "incoming_sms_id": 1,
        "port": 0,
        "number": "+33611111110",
        "smsc": first.smsc,
        "timestamp": "2024-05-03 10:00:00",
        "text": "m0",
    }
    assert (reply["read"], reply["unread"]) == (4, 0)
    again = (await client.get("/api/query_incoming_sms?flag=unread")).json()
    assert again["sms"] == [] and again["read"] == 4
    assert gateway.calls["query_incoming_sms"] == 2


async def test_query_all_and_read_do_not_mark(
    client: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    fill(gateway)
    everything = (await client.get("/api/query_incoming_sms?flag=all")).json()
    assert len(everything["sms"]) == 4 and everything["unread"] == 4
    assert (await client.get("/api/query_incoming_sms?flag=read")).json()["sms"] == []
    await client.get("/api/query_incoming_sms?flag=unread&port=1")
    read = (await client.get("/api/query_incoming_sms?flag=read")).json()
    assert [m["port"] for m in read["sms"]] == [1]
    assert (read["read"], read["unread"]) == (1, 3)


async def test_query_filters_by_id_and_port(
    client: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    fill(gateway)
    reply = (
        await client.get("/api/query_incoming_sms?flag=all&incoming_sms_id=1&port=0%2C2,3")
    ).json()
    assert [m["incoming_sms_id"] for m in reply["sms"]] == [3, 4]
    empty = (await client.get("/api/query_incoming_sms", params={"incoming_sms_id": 4})).json()
    assert empty["sms"] == []


@pytest.mark.parametrize(
    "query",
    ["flag=new", "incoming_sms_id=-1", "incoming_sms_id=x", "port=32", "port=a,b", "port=1,,2"],
)
async def test_query_bad_parameters(client: httpx.AsyncClient, query: str) -> None:
    reply = (await client.get(f"/api/query_incoming_sms?{query}")).json()
    assert reply == {"error_code": 400, "sn": SN}


async def test_query_incoming_is_get_only(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/query_incoming_sms", json={"flag": "all"})
    assert response.status_code == 405
