"""Every endpoint of GatewayClient against pytest-httpx: the exact request, the manual's replies
(with the quirks of real firmware), each documented error code, and replies of the wrong shape.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pytest_httpx import HTTPXMock
from tests.support import PUSH_EXAMPLES, gateway_settings

from ultiroam_graphql.errors import GatewayProtocolError, GatewayRejected
from ultiroam_graphql.gateway import (
    CallRecord,
    DeliveryReportQuery,
    DeliveryReportRecord,
    GatewayClient,
    GatewayStatusRecord,
    IncomingSmsRecord,
    PortInfoRecord,
    SendSmsReceipt,
    SendSmsRequest,
    SmsRecipient,
    UssdPortStatus,
    UssdReplyRecord,
)

SN = "da00-0030-1901-2817"
PARIS = ZoneInfo("Europe/Paris")
SEND = SendSmsRequest(
    text="Code #param#",
    recipients=(
        SmsRecipient("0612345678", 1001, ("4821",)),
        SmsRecipient("0698765432", 1002, ("7730",)),
    ),
    ports=(0, 1),
)
INFO_TYPES = (
    "type%2Cimei%2Cimsi%2Ciccid%2Cnumber%2Creg%2Cslot%2Ccallstate%2Csignal%2Cgprs%2Cremain_credit"
)


@pytest.fixture
async def client() -> AsyncIterator[GatewayClient]:
    client = GatewayClient(gateway_settings(auth="basic", timezone="Europe/Paris"))
    yield client
    await client.aclose()


def reply(httpx_mock: HTTPXMock, body: object = None, *, content: bytes | None = None) -> None:
    if content is None:
        content = json.dumps(body).encode()
    httpx_mock.add_response(content=content)


def sent(httpx_mock: HTTPXMock) -> httpx.Request:
    (request,) = httpx_mock.get_requests()
    return request


def body_of(request: httpx.Request) -> Any:
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.content)


# send_sms


async def test_send_sms_posts_the_manuals_body(
    httpx_mock: HTTPXMock, client: GatewayClient
) -> None:
    reply(httpx_mock, {"error_code": 202, "sn": SN, "sms_in_queue": 2, "task_id": 7})
    receipt = await client.send_sms(SEND)
    assert receipt == SendSmsReceipt(task_id=7, sms_in_queue=2)
    request = sent(httpx_mock)
    assert request.method == "POST"
    assert str(request.url) == "http://gw.test/api/send_sms"
    assert body_of(request) == {
        "text": "Code #param#",
        "param": [
            {"number": "0612345678", "text_param": ["4821"], "user_id": 1001},
            {"number": "0698765432", "text_param": ["7730"], "user_id": 1002},
        ],
        "port": [0, 1],
        "encoding": "unicode",
        "request_status_report": True,
    }
    assert client.sn == SN


async def test_send_sms_options_and_no_ports(httpx_mock: HTTPXMock, client: GatewayClient) -> None:
    reply(httpx_mock, {"error_code": 202, "sms_in_queue": 1, "task_id": 3})
    request = SendSmsRequest(
        text="hi",
        recipients=(SmsRecipient("0612345678", 5),),
        encoding="gsm-7bit",
        request_status_report=False,
    )
    await client.send_sms(request)
    assert body_of(sent(httpx_mock)) == {
        "text": "hi",
        "param": [{"number": "0612345678", "text_param": [], "user_id": 5}],
        "encoding": "gsm-7bit",
        "request_status_report": False,
    }


@pytest.mark.parametrize(
    ("body", "receipt"),
    [
        ({"error_code": 202, "sms_in_queue": 2, "task_id": 1}, SendSmsReceipt(1, 2)),  # 2017
        (
            {"error_code": 200, "sn": SN, "sms_in_queue": "0 ", "task_id": " 9"},
            SendSmsReceipt(9, 0),
        ),
        ({"error_code": 202}, SendSmsReceipt(None, None)),
    ],
)
async def test_send_sms_replies(
    httpx_mock: HTTPXMock, client: GatewayClient, body: object, receipt: SendSmsReceipt
) -> None:
    reply(httpx_mock, body)
    assert await client.send_sms(SEND) == receipt


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (SendSmsRequest("x", tuple(SmsRecipient(str(n), n) for n in range(129))), "at most 128"),
        (SendSmsRequest("é" * 751, SEND.recipients), "1500"),
        (SendSmsRequest("x", ()), "at least one"),
        (SendSmsRequest("x", SEND.recipients, encoding="GSM7BIT"), "encoding"),  # type: ignore[arg-type]
        (SendSmsRequest("x", (SmsRecipient("1" * 25, 1),)), "24 bytes"),
        (SendSmsRequest("x", (SmsRecipient("1", -1),)), "negative"),
    ],
)
async def test_send_sms_refuses_what_the_device_would(
    httpx_mock: HTTPXMock, client: GatewayClient, request_: SendSmsRequest, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.send_sms(request_)  # and nothing reaches the wire (strict httpx_mock)


def test_the_limits_themselves_are_allowed() -> None:
    recipients = tuple(SmsRecipient(str(n), n) for n in range(128))
    assert len(SendSmsRequest("é" * 750, recipients).body()["param"]) == 128


# stop_sms


@pytest.mark.parametrize("body", [{"error_code": 200, "sn": SN}, {"error_code": 200}])
async def test_stop_sms(httpx_mock: HTTPXMock, client: GatewayClient, body: object) -> None:
    reply(httpx_mock, body)
    assert await client.stop_sms(7) is None
    request = sent(httpx_mock)
    assert request.method == "GET"
    assert str(request.url) == "http://gw.test/api/stop_sms?task_id=7"
    assert request.content == b""


# query_sms_in_queue


@pytest.mark.parametrize(
    ("body", "count"),
    [({"error_code": 200, "sn": SN, "in_queue": 0}, 0), ({"error_code": 200, "in_queue": 2}, 2)],
)
async def test_query_sms_in_queue(
    httpx_mock: HTTPXMock, client: GatewayClient, body: object, count: int
) -> None:
    reply(httpx_mock, body)
    assert await client.query_sms_in_queue() == count
    request = sent(httpx_mock)
    assert request.method == "GET"
    assert str(request.url) == "http://gw.test/api/query_sms_in_queue"


# query_sms_deliver_status


async def test_query_sms_deliver_status(httpx_mock: HTTPXMock, client: GatewayClient) -> None:
    reply(
        httpx_mock,
        {
            "error_code": 200,
            "sn": SN,
            "result": [
                {
                    "port": 0,
                    "number": "0612345678",
                    "time": "2024-05-03 10:15:02",
                    "ref_id": 17,
                    "status_code": 0,
                    "imsi": "460001234567890",
                }
            ],
        },
    )
    query = DeliveryReportQuery(
        numbers=("0612345678",), ports=(0,), time_after=datetime(2024, 5, 3, 10)
    )
    (report,) = await client.query_sms_deliver_status(query)
    assert report == DeliveryReportRecord(
        gateway_id="office",
        port=0,
        number="0612345678",
        time=datetime(2024, 5, 3, 10, 15, 2, tzinfo=PARIS),
        ref_id=17,
        status_code=0,
        imsi="460001234567890",
    )
    assert report.delivered
    request = sent(httpx_mock)
    assert request.method == "POST"
    assert str(request.url) == "http://gw.test/api/query_sms_deliver_status"
    assert body_of(request) == {
        "number": ["0612345678"],
        "port": [0],
        "time_after": "2024-05-03 10:00:00",
    }


async def test_query_sms_deliver_status_no_match(
    httpx_mock: HTTPXMock, client: GatewayClient
) -> None:
    reply(httpx_mock, {"error_code": 200, "result": []})
    assert await client.query_sms_deliver_status(DeliveryReportQuery()) == []
    assert body_of(sent(httpx_mock)) == {}


def test_delivery_report_query_limits() -> None:
    with pytest.raises(ValueError, match="at most 32"):
        DeliveryReportQuery(numbers=tuple(str(n) for n in range(33))).body()
    with pytest.raises(ValueError, match="gateway-local"):
        DeliveryReportQuery(time_before=datetime(2024, 5, 3, tzinfo=PARIS)).body()
    assert DeliveryReportQuery(
        time_after=datetime(2024, 5, 3, 10), time_before=datetime(2024, 5, 3, 11, 0, 5)
    ).body() == {"time_after": "2024-05-03 10:00:00", "time_before": "2024-05-03 11:00:05"}


# query_incoming_sms


async def test_query_incoming_sms_reads_all_without_marking(
    httpx_mock: HTTPXMock, client: GatewayClient
) -> None:
    reply(  # the manual's example, trailing comma included
        httpx_mock,
        content=(
            b'{"error_code":200,"sn":"da00-0030-1901-2817","sms":[{"incoming_sms_id":42,'
            b'"port":1,"number":"+33611111111","smsc":"+33609001390",'
            b'"timestamp":"2024-05-03 10:20:11","text":"hello"},],"read":42,"unread":0}'
        ),
    )
    page = await client.query_incoming_sms(after_id=41, ports=[0, 1])
    request = sent(httpx_mock)
    assert request.method == "GET"
    assert request.url.path == "/api/query_incoming_sms"
    assert request.url.query == b"flag=all&incoming_sms_id=41&port=0%2C1"
    assert page.read == 42 and page.unread == 0
    assert page.messages == (
        IncomingSmsRecord(
            gateway_id="office",
            id=42,
            port=1,
            number="+33611111111",
            smsc="+33609001390",
            received_at=datetime(2024, 5, 3, 10, 20, 11, tzinfo=PARIS),
            text="hello",
            imsi=None,
        ),
    )


async def test_query_incoming_sms_defaults(httpx_mock: HTTPXMock, client: GatewayClient) -> None:
    reply(httpx_mock, {"error_code": 200})
    page = await client.query_incoming_sms()
    assert sent(httpx_mock).url.query == b"flag=all&incoming_sms_id=0"
    assert page.messages == () and page.read is None and page.unread is None


# get_port_info


async def test_get_port_info_asks_for_everything_but_operator(
    httpx_mock: HTTPXMock, client: GatewayClient
) -> None:
    reply(httpx_mock, {"error_code": 200, "sn": SN, "info": []})
    assert await client.get_port_info() == []
    request = sent(httpx_mock)
    assert request.method == "GET"
    assert request.url.path == "/api/get_port_info"
    assert request.url.query == f"info_type={INFO_TYPES}".encode()
    assert b"operator" not in request.url.query
    assert b"," not in request.url.raw_path  # a raw comma breaks Digest on some firmware


async def test_get_port_info_of_some_ports(httpx_mock: HTTPXMock, client: GatewayClient) -> None:
    reply(httpx_mock, {"error_code": 200, "sn": SN, "info": []})
    await client.get_port_info([2, 3])
    assert sent(httpx_mock).url.query == f"info_type={INFO_TYPES}&port=2%2C3".encode()


async def test_get_port_info_parses_every_field(
    httpx_mock: HTTPXMock, client: GatewayClient
) -> None:
    reply(
        httpx_mock,
        {
            "error_code": 200,
            "sn": SN,
            "info": [
                {
                    "port": 0,
                    "type": "LTE",
                    "imei": "864000000000001",
                    "imsi": "208150000000001 ",
                    "iccid": "89330000000000000001",
                    "number": "",
                    "reg": "REGISTER_OK",
                    "slot": 255,
                    "callstate": "Idle",
                    "signal": "22",
                    "gprs": "attached",
                    "remain_credit": "12.50",
                    "remain_monthly_credit": 100,
                    "CallForwarding": {"Unconditional": "15013828917"},
                },
                {"port": 1, "reg": "NO_SIM", "signal": 99, "slot": "2"},
            ],
        },
    )
    first, second = await client.get_port_info()
    assert first == PortInfoRecord(
        gateway_id="office",
        port=0,
        registration="REGISTER_OK",
        network="LTE",
        signal=22,
        imsi="208150000000001",
        iccid="89330000000000000001",
        imei="864000000000001",
        number=None,
        slot=None,
        call_state="Idle",
        gprs="attached",
        credit="12.50",
        extra=(
            ("CallForwarding", '{"Unconditional":"15013828917"}'),
            ("remain_monthly_credit", "100"),
        ),
    )
    assert (second.registration, second.signal, second.slot, second.network) == (
        "NO_SIM",
        None,
        2,
        None,
    )


async def test_get_port_info_2017_recording(httpx_mock: HTTPXMock, client: GatewayClient) -> None:
    info = [{"port": port, "callstate": "Idle", "gprs": "detached"} for port in range(8)]
    reply(httpx_mock, {"error_code": 200, "info": info})
    records = await client.get_port_info()
    assert [record.port for record in records] == list(range(8))
    assert all(r.call_state == "Idle" and r.gprs == "detached" for r in records)
    assert all(r.registration is None and r.extra == () for r in records)
    assert client.sn is None


# set_port_info


@pytest.mark.parametrize(
    ("kwargs", "query"),
    [
        ({"port": 1, "action": "power", "param": "off"}, b"port=1&action=power&param=off"),
        ({"port": 0, "action": "reset"}, b"port=0&action=reset&param=1"),
        ({"port": 0, "action": "reset", "param": "0"}, b"port=0&action=reset&param=0"),
        ({"port": 3, "action": "slot", "param": "2"}, b"port=3&action=slot&param=2"),
        ({"port": 2, "action": "block"}, b"port=2&action=block"),
        (
            {"port": 1, "action": "CallForward", "param": "Unconditional", "number": "+3361"},
            b"port=1&action=CallForward&param=Unconditional&number=%2B3361",
        ),
    ],
)
async def test_set_port_info(
    httpx_mock: HTTPXMock, client: GatewayClient, kwargs: dict[str, Any], query: bytes
) -> None:
    reply(httpx_mock, {"error_code": 200, "sn": SN})
    assert await client.set_port_info(**kwargs) is None
    request = sent(httpx_mock)
    assert request.method == "GET"
    assert request.url.path == "/api/set_port_info"
    assert request.url.query == query


# send_ussd


async def test_send_ussd(httpx_mock: HTTPXMock, client: GatewayClient) -> None:
    reply(httpx_mock, {"error_code": 202, "sn": SN, "result": [{"port": 2, "status": 200}]})
    statuses = await client.send_ussd(ports=[2], text="*100#")
    assert statuses == [UssdPortStatus(port=2, status=200)]
    assert statuses[0].sent
    request = sent(httpx_mock)
    assert request.method == "POST"
    assert str(request.url) == "http://gw.test/api/send_ussd"
    assert body_of(request) == {"port": [2], "command": "send", "text": "*100#"}


async def test_send_ussd_2017_recording_spells_result_with_a_colon(
    httpx_mock: HTTPXMock, client: GatewayClient
) -> None:
    reply(
        httpx_mock,
        content=(
            b'{"error_code":202,"result:":[{"port":0,"status":200},'
            b'{"port":1,"status":486},{"port":2,"status":"503"}]}'
        ),
    )
    statuses = await client.send_ussd(ports=[1, 2, 3], text="*111#")
    assert statuses == [UssdPortStatus(0, 200), UssdPortStatus(1, 486), UssdPortStatus(2, 503)]
    assert [status.sent for status in statuses] == [True, False, False]
    assert client.sn is None


async def test_send_ussd_cancel(httpx_mock: HTTPXMock, client: GatewayClient) -> None:
    reply(httpx_mock, {"error_code": 200, "sn": SN})
    assert await client.send_ussd(ports=[0], text="", command="cancel") == []
    assert body_of(sent(httpx_mock)) == {"port": [0], "command": "cancel", "text": ""}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ports": [0], "text": "*" * 61}, "60 bytes"),
        ({"ports": [0], "text": "é" * 31}, "60 bytes"),
        ({"ports": [], "text": "*100#"}, "at least one port"),
        ({"ports": [0], "text": ""}, "needs a text"),
        ({"ports": [0], "text": "*100#", "command": "stop"}, "command"),
    ],
)
async def test_send_ussd_refuses_what_the_device_would(
    httpx_mock: HTTPXMock, client: GatewayClient, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await client.send_ussd(**kwargs)


# query_ussd_reply


async def test_query_ussd_reply_leaves_out_ports_without_a_reply(
    httpx_mock: HTTPXMock, client: GatewayClient
) -> None:
    reply(
        httpx_mock,
        {
            "error_code": 200,
            "sn": SN,
            "reply": [
                {"port": 1, "text": "Your balance is 5.00 EUR"},
                {"port": 2, "text": " "},
                {"port": 3, "text": ""},
            ],
        },
    )
    replies = await client.query_ussd_reply([1, 2, 3])
    assert replies == [UssdReplyRecord("office", 1, "Your balance is 5.00 EUR")]
    request = sent(httpx_mock)
    assert request.method == "GET"
    assert request.url.path == "/api/query_ussd_reply"
    assert request.url.query == b"port=1%2C2%2C3"


async def test_query_ussd_reply_needs_ports(httpx_mock: HTTPXMock, client: GatewayClient) -> None:
    with pytest.raises(ValueError, match="at least one port"):
        await client.query_ussd_reply([])


# get_status


async def test_get_status_posts_a_bare_array(httpx_mock: HTTPXMock, client: GatewayClient) -> None:
    reply(
        httpx_mock,
        {
            "performance": {
                "cpu_used": "39",
                "flash_total": "27648",
                "flash_used": "17428",
                "memory_total": "109448",
                "memory_used": "50520",
                "memory_free": "58928",
                "memory_cached": "34192",
                "memory_buffers": "0",
            }
        },
    )
    status = await client.get_status()
    assert status == GatewayStatusRecord(
        cpu_used=39,
        memory_total=109448,
        memory_used=50520,
        memory_free=58928,
        memory_cached=34192,
        memory_buffers=0,
        flash_total=27648,
        flash_used=17428,
    )
    request = sent(httpx_mock)
    assert request.method == "POST"
    assert str(request.url) == "http://gw.test/api/get_status"
    assert body_of(request) == ["performance"]


async def test_get_status_missing_values_are_none(
    httpx_mock: HTTPXMock, client: GatewayClient
) -> None:
    reply(httpx_mock, {"performance": {"cpu_used": 12}})
    status = await client.get_status()
    assert status.cpu_used == 12 and status.memory_total is None


@pytest.mark.parametrize(
    "content",
    [
        b'{"error_code": 200, "sn": "x"}',
        b'{"error_code": 500}',
        b'{"performance": "busy"}',
        b'{"performance": {"cpu_used": "lots"}}',
        b'["performance"]',
        b"<html>nope</html>",
    ],
)
async def test_get_status_without_performance(
    httpx_mock: HTTPXMock, client: GatewayClient, content: bytes
) -> None:
    reply(httpx_mock, content=content)
    with pytest.raises(GatewayProtocolError, match="get_status"):
        await client.get_status()


# get_cdr

CDR = PUSH_EXAMPLES["cdr"][0]


async def test_get_cdr(httpx_mock: HTTPXMock, client: GatewayClient) -> None:
    reply(httpx_mock, {"error_code": 200, "sn": SN, "cdr": [CDR]})
    (call,) = await client.get_cdr(
        ports=[1, 2],
        time_after=datetime(2024, 5, 3, 9),
        time_before=datetime(2024, 5, 3, 9, 30, tzinfo=ZoneInfo("UTC")),
    )
    assert call == CallRecord(
        gateway_id="office",
        port=1,
        start=datetime(2024, 5, 3, 10, tzinfo=PARIS),
        answer=datetime(2024, 5, 3, 10, 0, 5, tzinfo=PARIS),
        duration=30,
        source_number="100",
        destination_number="0612345678",
        direction="ip->gsm",
        ip="192.0.2.5",
        codec="G.711A",
        hangup="called",
        gsm_code=16,
        bcch=None,
    )
    request = sent(httpx_mock)
    assert request.method == "POST"
    assert str(request.url) == "http://gw.test/api/get_cdr"
    assert body_of(request) == {
        "port": [1, 2],
        "time_after": "2024-05-03 09:00:00",  # naive: already gateway-local
        "time_before": "2024-05-03 11:30:00",  # aware: on the gateway's clock
    }


@pytest.mark.parametrize(
    "body",
    [
        {"error_code": 200, "info": [{**CDR, "bcch": None, "bech": "A1"}]},
        {"error_code": 200, "cdr": [{**CDR, "bcch": " A1", "bech": "B2"}]},
    ],
)
async def test_get_cdr_quirks(httpx_mock: HTTPXMock, client: GatewayClient, body: object) -> None:
    reply(httpx_mock, body)
    (call,) = await client.get_cdr()
    assert call.bcch == "A1"
    assert body_of(sent(httpx_mock)) == {}


async def test_get_cdr_2017_recording_and_unanswered_calls(
    httpx_mock: HTTPXMock, client: GatewayClient
) -> None:
    reply(httpx_mock, {"error_code": 200, "cdr": []})
    assert await client.get_cdr() == []
    unanswered = {**CDR, "answer_date": "0000-00-00 00:00:00", "duration": 0, "gsm_code": ""}
    reply(httpx_mock, {"error_code": 200, "cdr": [unanswered, {**CDR, "answer_date": ""}]})
    first, second = await client.get_cdr()
    assert first.answer is None and first.gsm_code is None and first.duration == 0
    assert second.answer is None and second.start == datetime(2024, 5, 3, 10, tzinfo=PARIS)


# every endpoint: error codes, protocol errors, the sn

Call = Callable[[GatewayClient], Awaitable[object]]
CALLS: dict[str, tuple[Call, tuple[int, ...]]] = {
    "send_sms": (lambda c: c.send_sms(SEND), (400, 413, 500, 550)),
    "stop_sms": (lambda c: c.stop_sms(7), (404, 486, 500)),
    "query_sms_in_queue": (lambda c: c.query_sms_in_queue(), (500,)),
    "query_sms_deliver_status": (
        lambda c: c.query_sms_deliver_status(DeliveryReportQuery()),
        (400, 413, 500),
    ),
    "query_incoming_sms": (lambda c: c.query_incoming_sms(), (500,)),
    "get_port_info": (lambda c: c.get_port_info(), (400, 500)),
    "set_port_info": (lambda c: c.set_port_info(port=0, action="reset"), (400, 500)),
    "send_ussd": (lambda c: c.send_ussd(ports=[0], text="*100#"), (400, 500)),
    "query_ussd_reply": (lambda c: c.query_ussd_reply([0]), (400, 500)),
    "get_cdr": (lambda c: c.get_cdr(), (400, 500)),
}
ENVELOPED = sorted(CALLS)
WRONG_SHAPES: dict[str, dict[str, object]] = {
    "send_sms": {"error_code": 202, "task_id": "seven"},
    "stop_sms": {"error_code": "done"},
    "query_sms_in_queue": {"error_code": 200},
    "query_sms_deliver_status": {"error_code": 200, "result": [{"port": 0}]},
    "query_incoming_sms": {"error_code": 200, "sms": {"incoming_sms_id": 1}},
    "get_port_info": {"error_code": 200, "info": [{"reg": "REGISTER_OK"}]},
    "set_port_info": {"result": []},
    "send_ussd": {"error_code": 202, "result": [{"port": 0, "status": "ok"}]},
    "query_ussd_reply": {"error_code": 200, "reply": "none"},
    "get_cdr": {"error_code": 200, "cdr": [{"port": 1, "start_date": "yesterday"}]},
}


@pytest.mark.parametrize(
    ("name", "code"), [(name, code) for name, (_, codes) in CALLS.items() for code in codes]
)
async def test_every_documented_error_code_is_rejected_with_that_code(
    httpx_mock: HTTPXMock, client: GatewayClient, name: str, code: int
) -> None:
    reply(httpx_mock, {"error_code": code, "sn": SN})
    call, _ = CALLS[name]
    with pytest.raises(GatewayRejected, match=name) as failure:
        await call(client)
    assert failure.value.gateway_error_code == code
    assert failure.value.gateway_id == "office"


@pytest.mark.parametrize("name", ENVELOPED)
async def test_replies_of_the_wrong_shape_are_protocol_errors(
    httpx_mock: HTTPXMock, client: GatewayClient, name: str
) -> None:
    reply(httpx_mock, WRONG_SHAPES[name])
    call, _ = CALLS[name]
    with pytest.raises(GatewayProtocolError, match=name):
        await call(client)


@pytest.mark.parametrize("name", ENVELOPED)
async def test_a_reply_that_is_not_json_is_a_protocol_error(
    httpx_mock: HTTPXMock, client: GatewayClient, name: str
) -> None:
    reply(httpx_mock, content=b"<html>Login</html>")
    call, _ = CALLS[name]
    with pytest.raises(GatewayProtocolError, match=name):
        await call(client)


@pytest.mark.parametrize("name", ENVELOPED)
async def test_every_envelope_teaches_the_sn(
    httpx_mock: HTTPXMock, client: GatewayClient, name: str
) -> None:
    success = 202 if name in ("send_sms", "send_ussd") else 200
    reply(httpx_mock, {"error_code": success, "sn": "dd45-0104-2109-0014", "in_queue": 0})
    call, _ = CALLS[name]
    await call(client)
    assert client.sn == "dd45-0104-2109-0014"


async def test_an_sn_that_is_not_text_is_ignored(
    httpx_mock: HTTPXMock, client: GatewayClient
) -> None:
    reply(httpx_mock, {"error_code": 200, "sn": {"x": 1}, "in_queue": 0})
    assert await client.query_sms_in_queue() == 0
    assert client.sn is None
