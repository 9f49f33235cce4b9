"""USSD: `send_ussd` per-port statuses, `query_ussd_reply` timing and stale replies, pushes."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from ultiroam_graphql.simulator import ManualClock, PushTracker, SimulatedGateway
from ultiroam_graphql.simulator.ussd import REPLY_DELAY, network_reply, valid_until

SN = "da00-0030-1901-2817"


async def send_ussd(api: httpx.AsyncClient, **body: object) -> dict[str, object]:
    response = await api.post("/api/send_ussd", json=body)
    assert response.status_code == 200
    return response.json()


async def replies(api: httpx.AsyncClient, ports: str) -> dict[object, object]:
    reply = (await api.get(f"/api/query_ussd_reply?port={ports}")).json()
    assert reply["error_code"] == 200 and reply["sn"] == SN
    return {r["port"]: r["text"] for r in reply["reply"]}


def down_ports(gateway: SimulatedGateway) -> list[int]:
    return [p for p in range(gateway.port_count) if not gateway.ports[p].registered]


async def test_send_and_reply_after_a_second_or_three(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    reply = await send_ussd(api, port=[0, 1], command="send", text="*100#")
    assert reply == {
        "error_code": 202,
        "sn": SN,
        "result": [{"port": 0, "status": 200}, {"port": 1, "status": 200}],
    }
    assert await replies(api, "0,1") == {0: " ", 1: " "}
    clock.advance(REPLY_DELAY[0] - 0.1)
    assert await replies(api, "0%2C1") == {0: " ", 1: " "}
    clock.advance(REPLY_DELAY[1])
    texts = await replies(api, "0,1")
    for port in (0, 1):
        credit = gateway.ports.info(["remain_credit"], [port])[0]["remain_credit"]
        assert str(texts[port]).startswith(f"Your balance is {credit} ")
        assert str(texts[port]).endswith(". Valid until 2024-06-30.")
    assert gateway.calls["send_ussd"] == 1 and gateway.calls["query_ussd_reply"] == 3


async def test_other_codes_get_a_generic_answer(api: httpx.AsyncClient, clock: ManualClock) -> None:
    await send_ussd(api, port=[2], text="*123*4#")  # command defaults to send
    clock.advance(REPLY_DELAY[1])
    assert await replies(api, "2") == {2: "Unknown application"}


async def test_not_registered_is_503(api: httpx.AsyncClient, gateway: SimulatedGateway) -> None:
    down = down_ports(gateway)
    reply = await send_ussd(api, port=[0, *down], text="*100#")
    assert reply["result"] == [{"port": 0, "status": 200}] + [
        {"port": p, "status": 503} for p in down
    ]
    gateway.ports.power(3, False)
    assert (await send_ussd(api, port=[3], text="*100#"))["result"] == [{"port": 3, "status": 503}]


async def test_busy_while_an_sms_is_sending(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    gateway.add_result(port=4, number="1", send_delay=5)
    reply = await send_ussd(api, port=[4, 5], text="*100#")
    assert reply["result"] == [{"port": 4, "status": 486}, {"port": 5, "status": 200}]
    clock.advance(5)
    assert (await send_ussd(api, port=[4], text="*100#"))["result"] == [{"port": 4, "status": 200}]


async def test_busy_while_a_reply_is_awaited(api: httpx.AsyncClient, clock: ManualClock) -> None:
    await send_ussd(api, port=[6], text="*100#")
    assert (await send_ussd(api, port=[6], text="*100#"))["result"] == [{"port": 6, "status": 486}]
    clock.advance(REPLY_DELAY[1])
    assert (await send_ussd(api, port=[6], text="*101#"))["result"] == [{"port": 6, "status": 200}]


async def test_stale_reply_stays_until_a_new_code_is_sent(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    await send_ussd(api, port=[0], text="*100#")
    clock.advance(REPLY_DELAY[1])
    old = (await replies(api, "0"))[0]
    assert old.startswith("Your balance")  # type: ignore[union-attr]
    clock.advance(600)
    assert await replies(api, "0") == {0: old}
    gateway.add_result(port=0, number="1", send_delay=5)
    assert (await send_ussd(api, port=[0], text="*42#"))["result"][0]["status"] == 486  # type: ignore[index]
    assert await replies(api, "0") == {0: old}  # refused: the old reply is still shown
    clock.advance(5)
    await send_ussd(api, port=[0], text="*42#")
    assert await replies(api, "0") == {0: " "}  # a new code clears it
    clock.advance(REPLY_DELAY[1])
    assert await replies(api, "0") == {0: "Unknown application"}


async def test_cancel_drops_the_pending_reply(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = PushTracker(gateway)
    await send_ussd(api, port=[1], text="*100#")
    down = down_ports(gateway)[0]
    reply = await send_ussd(api, port=[1, down], command="cancel")
    assert reply["result"] == [{"port": 1, "status": 200}, {"port": down, "status": 503}]
    clock.advance(REPLY_DELAY[1])
    assert await replies(api, "1") == {1: " "}
    assert tracker.collect() == []
    assert (await send_ussd(api, port=[1], text="*100#"))["result"][0]["status"] == 200  # type: ignore[index]


async def test_reply_is_pushed(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = PushTracker(gateway)
    await send_ussd(api, port=[3, 2], text="*100#")
    assert tracker.collect() == []
    clock.advance(REPLY_DELAY[1])
    texts = await replies(api, "2,3")
    (body,) = tracker.collect()
    assert list(body) == ["sn", "ussd"] and body["sn"] == SN
    assert sorted(body["ussd"], key=lambda e: e["port"]) == [  # type: ignore[arg-type]
        {"port": 2, "text": texts[2]},
        {"port": 3, "text": texts[3]},
    ]
    assert tracker.collect() == []


@pytest.mark.parametrize(
    "body",
    [
        {"port": [0], "command": "send"},
        {"port": [0], "command": "send", "text": "  "},
        {"port": [0], "text": "*" * 61},
        {"port": [0], "command": "stop", "text": "*100#"},
        {"port": [0], "text": 100},
        {"text": "*100#"},
        {"port": [], "text": "*100#"},
        {"port": [32], "text": "*100#"},
        {"port": 0, "text": "*100#"},
        ["*100#"],
    ],
)
async def test_send_ussd_400(
    api: httpx.AsyncClient, gateway: SimulatedGateway, body: object
) -> None:
    reply = (await api.post("/api/send_ussd", json=body)).json()
    assert reply == {"error_code": 400, "sn": SN}
    assert gateway.last_event_seq == 0 and not gateway.ussd.in_flight(0)


async def test_sixty_bytes_is_fine(api: httpx.AsyncClient) -> None:
    assert (await send_ussd(api, port=[0], text="*" * 59 + "#"))["error_code"] == 202


@pytest.mark.parametrize("query", ["", "port=", "port=32", "port=a"])
async def test_query_ussd_reply_400(api: httpx.AsyncClient, query: str) -> None:
    reply = (await api.get(f"/api/query_ussd_reply?{query}")).json()
    assert reply == {"error_code": 400, "sn": SN}


def test_reply_texts() -> None:
    assert valid_until(date(2024, 5, 3)) == date(2024, 6, 30)
    assert valid_until(date(2024, 12, 31)) == date(2025, 1, 31)
    assert valid_until(date(2024, 1, 15)) == date(2024, 2, 29)
    text = network_reply("*100#", 12.5, "EUR", date(2024, 5, 3))
    assert text == "Your balance is 12.50 EUR. Valid until 2024-06-30."
    assert network_reply("*100", 12.5, "EUR", date(2024, 5, 3)) == "Unknown application"
