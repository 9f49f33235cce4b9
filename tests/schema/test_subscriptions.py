"""Subscriptions over real WebSockets to a real uvicorn server, in both protocols."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.support import PUSH_EXAMPLES, TOKEN, Facade, Server, serving
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from ultiroam_graphql import create_app
from ultiroam_graphql.config import Settings

SMS_RESULTS = """subscription($f: SmsResultFilter, $g: [ID!]) {
  smsResults(filter: $f, gatewayIds: $g) { gateway { id } number status userId time cursor }
}"""


def result(n: int, status: str = "SENT_OK", port: int = 0) -> dict[str, Any]:
    return {
        "port": port,
        "number": f" 0612{n:06d}",
        "user_id": n,
        "time": "2024-05-03 10:15:02",
        "status": status,
        "count": 1,
        "succ_count": 1,
        "ref_id": n % 256,
        "imsi": "460001234567890 ",
    }


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    facade = Facade()
    facade.add_device("paris", push_token=TOKEN, timezone="Europe/Paris")
    facade.add_device("tokyo", push_token=TOKEN, timezone="Asia/Tokyo")
    async with serving(
        create_app(Settings(gateways=tuple(facade.settings)), clients=facade.clients)
    ) as server:
        yield server
    await facade.aclose()


async def receive(ws: ClientConnection) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if message["type"] not in ("ka", "ping", "pong"):
            return message


async def transport_ws(ws: ClientConnection, query: str, **variables: Any) -> None:
    """graphql-transport-ws: init, ack, subscribe."""
    await ws.send(json.dumps({"type": "connection_init"}))
    assert (await receive(ws))["type"] == "connection_ack"
    payload = {"query": query, "variables": variables}
    await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))


async def legacy_ws(ws: ClientConnection, query: str, **variables: Any) -> None:
    """The legacy graphql-ws protocol: init, ack, start."""
    await ws.send(json.dumps({"type": "connection_init"}))
    assert (await receive(ws))["type"] == "connection_ack"
    payload = {"query": query, "variables": variables}
    await ws.send(json.dumps({"type": "start", "id": "1", "payload": payload}))


async def events(ws: ClientConnection, count: int, kind: str = "next") -> list[dict[str, Any]]:
    got = []
    for _ in range(count):
        message = await receive(ws)
        assert message["type"] == kind, message
        got.append(message["payload"])
    return got


async def subscribed(server: Server, count: int) -> None:
    """Wait until the server holds ``count`` subscriptions: a push before would be missed."""
    for _ in range(500):
        if server.broker.subscriber_count == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{server.broker.subscriber_count} subscriptions, not {count}")


async def test_the_manual_example_reaches_a_subscriber_normalised(server: Server) -> None:
    async with server.ws("graphql-transport-ws") as ws:
        await transport_ws(ws, SMS_RESULTS)
        await subscribed(server, 1)
        await server.http.post(
            "/push/paris",
            params={"token": TOKEN},
            content=b'{"sn":"da00-0030-1901-2817","sms_result":[{"port":0,"n umber":" 10086",'
            b'"time":"2016-07-1215:46:53","status":"SENT_OK","count":1,"succ_count":1,'
            b'"ref_i d":215,"imsi":"460004642148063 "}]}',
        )
        (payload,) = await events(ws, 1)
    result = payload["data"]["smsResults"]
    assert re.fullmatch(r"\d+-1", result.pop("cursor"))
    assert result == {
        "gateway": {"id": "paris"},
        "number": "10086",
        "status": "SENT_OK",
        "userId": None,
        "time": "2016-07-12T15:46:53+02:00",
    }


@pytest.mark.parametrize(
    ("protocol", "start", "kind"),
    [("graphql-transport-ws", transport_ws, "next"), ("graphql-ws", legacy_ws, "data")],
)
async def test_n_pushes_give_n_events_to_matching_subscribers_only(
    server: Server, protocol: str, start: Any, kind: str
) -> None:
    async with (
        server.ws(protocol) as everything,
        server.ws(protocol) as only_tokyo,
        server.ws(protocol) as only_failed,
    ):
        await start(everything, SMS_RESULTS)
        await start(only_tokyo, SMS_RESULTS, g=["tokyo"])
        await start(only_failed, SMS_RESULTS, f={"statuses": ["FAILED"]})
        await subscribed(server, 3)
        n = 12
        await server.push("paris", sn="p", sms_result=[result(i) for i in range(n)])
        await server.push("tokyo", sn="t", sms_result=[result(100, "FAILED")])

        got = await events(everything, n + 1, kind)
        assert [p["data"]["smsResults"]["userId"] for p in got] == [*range(n), 100]
        # the filtered subscribers' first event is the one they match: none of the n before it
        (tokyo,) = await events(only_tokyo, 1, kind)
        assert tokyo["data"]["smsResults"]["gateway"] == {"id": "tokyo"}
        (failed,) = await events(only_failed, 1, kind)
        assert failed["data"]["smsResults"]["status"] == "FAILED"
        assert failed["data"]["smsResults"]["time"] == "2024-05-03T10:15:02+09:00"


async def test_every_filter_field_is_honoured(server: Server) -> None:
    async with server.ws("graphql-transport-ws") as ws:
        await transport_ws(
            ws,
            SMS_RESULTS,
            f={
                "numbers": ["0612000003", "0612000004", "0612000005"],
                "ports": [1],
                "userIds": [4, 5],
                "timeAfter": "2024-05-03T10:00:00",
                "timeBefore": "2024-05-03T08:30:00Z",
            },
            g=["paris"],
        )
        await subscribed(server, 1)
        late = {**result(5, port=1), "time": "2024-05-03 10:31:00"}  # after timeBefore
        await server.push(
            "paris",
            sms_result=[result(3, port=1), result(4, port=0), late, result(5, port=1)],
        )
        await server.push("tokyo", sms_result=[result(5, port=1)])
        await server.push(
            "paris", sms_result=[{**result(4, port=1), "time": "2024-05-03 09:59:59"}]
        )
        await server.push("paris", sms_result=[result(4, port=1)])
        got = await events(ws, 2)
    assert [(p["data"]["smsResults"]["userId"]) for p in got] == [5, 4]


async def test_delivery_reports_and_incoming_sms(server: Server) -> None:
    async with server.ws("graphql-transport-ws") as reports, server.ws("graphql-ws") as inbox:
        await transport_ws(
            reports,
            'subscription { deliveryReports(numbers: ["0612345678"]) '
            "{ gateway { id } port { index } number time refId statusCode delivered imsi } }",
        )
        await legacy_ws(
            inbox,
            "subscription { incomingSms(ports: [1]) "
            "{ gateway { id } port { index } id number smsc receivedAt text imsi } }",
        )
        await subscribed(server, 2)
        report = {
            "port": 0,
            "number": "0612345678",
            "time": "2024-05-03 10:15:02",
            "ref_id": 17,
            "status_code": 0,
            "imsi": "460001234567890",
        }
        await server.push("tokyo", sms_deliver_status=[{**report, "number": "0699"}, report])
        sms = {
            "incoming_sms_id": 43,
            "port": 1,
            "number": "+33611111111",
            "smsc": "+33609001390",
            "timestamp": "2024-05-03 10:21:40",
            "text": "hi",
        }
        await server.push("paris", sms=[{**sms, "port": 0, "incoming_sms_id": 42}, sms])
        (got_report,) = await events(reports, 1)
        (got_sms,) = await events(inbox, 1, "data")
    assert got_report["data"]["deliveryReports"] == {
        "gateway": {"id": "tokyo"},
        "port": {"index": 0},
        "number": "0612345678",
        "time": "2024-05-03T10:15:02+09:00",
        "refId": 17,
        "statusCode": 0,
        "delivered": True,
        "imsi": "460001234567890",
    }
    assert got_sms["data"]["incomingSms"] == {
        "gateway": {"id": "paris"},
        "port": {"index": 1},
        "id": 43,
        "number": "+33611111111",
        "smsc": "+33609001390",
        "receivedAt": "2024-05-03T10:21:40+02:00",
        "text": "hi",
        "imsi": None,
    }


async def test_bad_subscription_input_is_an_error_on_the_stream(server: Server) -> None:
    async with server.ws("graphql-transport-ws") as ws:
        await transport_ws(ws, SMS_RESULTS, g=["nope"])
        message = await receive(ws)
    assert message["type"] in ("next", "error")
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "UNKNOWN_GATEWAY"


@pytest.fixture
async def guarded_server() -> AsyncIterator[Server]:
    facade = Facade()
    facade.add_device("paris", push_token=TOKEN)
    settings = Settings.model_validate(
        {"server": {"api_tokens": ["api-token"]}, "gateways": facade.settings}
    )
    async with serving(create_app(settings, clients=facade.clients)) as server:
        yield server
    await facade.aclose()


async def test_a_websocket_needs_the_token_in_connection_init(guarded_server: Server) -> None:
    async with guarded_server.ws("graphql-transport-ws") as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    async with guarded_server.ws("graphql-transport-ws") as ws:
        init = {"type": "connection_init", "payload": {"Authorization": "Bearer api-token"}}
        await ws.send(json.dumps(init))
        assert (await receive(ws))["type"] == "connection_ack"


RESUME = """subscription($after: String) {
  smsResults(after: $after) { userId cursor }
}"""


async def test_resuming_after_a_cursor_in_memory(server: Server) -> None:
    async with server.ws("graphql-transport-ws") as ws:
        await transport_ws(ws, RESUME)
        await subscribed(server, 1)
        await server.push("paris", sms_result=[result(1)])
        (first,) = await events(ws, 1)
    await server.push("paris", sms_result=[result(2), result(3)])
    async with server.ws("graphql-ws") as ws:
        await legacy_ws(ws, RESUME, after=first["data"]["smsResults"]["cursor"])
        await subscribed(server, 1)
        await server.push("paris", sms_result=[result(4)])
        got = await events(ws, 3, "data")
    assert [p["data"]["smsResults"]["userId"] for p in got] == [2, 3, 4]


@pytest.mark.parametrize(("after", "code"), [("soon", "BAD_USER_INPUT"), ("1-1", "CURSOR_EXPIRED")])
async def test_a_cursor_that_cannot_be_resumed_is_an_error(
    server: Server, after: str, code: str
) -> None:
    async with server.ws("graphql-transport-ws") as ws:
        await transport_ws(ws, RESUME, after=after)
        message = await receive(ws)
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == code


@pytest.mark.parametrize(
    ("query", "push", "expected"),
    [
        (
            "ussdReplies { gateway { id } port { index } text }",
            {"ussd": [{"port": 2, "text": "Your balance is 5.00"}]},
            {"gateway": {"id": "paris"}, "port": {"index": 2}, "text": "Your balance is 5.00"},
        ),
        (
            "portRegistrations(ports: [3]) { port { index } status iccid imsi sequence }",
            {"register": PUSH_EXAMPLES["register"]},
            {"port": {"index": 3}, "status": "down", "iccid": None, "imsi": None, "sequence": 5},
        ),
        (
            "callRecords { port { index } start duration sourceNumber direction gsmCode }",
            {"cdr": PUSH_EXAMPLES["cdr"]},
            {
                "port": {"index": 1},
                "start": "2024-05-03T10:00:00+02:00",
                "duration": 30,
                "sourceNumber": "100",
                "direction": "ip->gsm",
                "gsmCode": 16,
            },
        ),
        (
            "deviceEvents { gateway { id } portCount ip mac status }",
            {
                "device": {
                    "port_number": 32,
                    "IP": "192.0.2.10",
                    "MAC": "F8-A0-3D-00-00-01",
                    "status": "power_on",
                }
            },
            {
                "gateway": {"id": "paris"},
                "portCount": 32,
                "ip": "192.0.2.10",
                "mac": "F8-A0-3D-00-00-01",
                "status": "power_on",
            },
        ),
        (
            "gatewayExceptions { port { index } type action }",
            {"exception_info": {"port": 4, "type": "call_fail", "action": "reset"}},
            {"port": {"index": 4}, "type": "call_fail", "action": "reset"},
        ),
    ],
)
async def test_every_push_kind_has_its_subscription(
    server: Server, query: str, push: dict[str, Any], expected: dict[str, Any]
) -> None:
    async with server.ws("graphql-transport-ws") as ws:
        await transport_ws(ws, f"subscription {{ {query} }}")
        await subscribed(server, 1)
        await server.push("paris", sn="p", **push)
        (payload,) = await events(ws, 1)
    (value,) = payload["data"].values()
    assert value == expected
