"""GatewayClient against pytest-httpx: auth modes, the Digest challenge, every error mapping."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from pytest_httpx import HTTPXMock
from tests.support import gateway_settings

from ultiroam_graphql.errors import (
    GatewayAuthFailed,
    GatewayProtocolError,
    GatewayRejected,
    GatewayUnavailable,
)
from ultiroam_graphql.gateway import GatewayClient, SmsResultQuery
from ultiroam_graphql.gateway import client as client_module

URL = "http://gw.test/api/query_sms_result"
CHALLENGE = (
    'Digest realm="Web Server", domain="", qop="auth", nonce="0123456789abcdef0123456789abcdef", '
    'opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm="MD5", stale="FALSE"'
)
OK_REPLY = {"error_code": 200, "sn": "da00-0030-1901-2817", "result": []}


class Device:
    """A fake device that challenges unauthenticated requests with ``scheme``.

    It records each request's Authorization header as sent: httpx re-sends the same Request
    object with the header added, so the recorded requests alone cannot tell.
    """

    def __init__(
        self, httpx_mock: HTTPXMock, scheme: str = CHALLENGE, reply: object = None
    ) -> None:
        self.scheme = scheme
        self.reply = OK_REPLY if reply is None else reply
        self.authorizations: list[str | None] = []
        self.bodies: list[object] = []
        httpx_mock.add_callback(self, url=URL, is_reusable=True)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        header = request.headers.get("Authorization")
        self.authorizations.append(header)
        self.bodies.append(json.loads(request.content))
        if header is None:
            return httpx.Response(401, headers={"WWW-Authenticate": self.scheme})
        return httpx.Response(200, json=self.reply)


def authorization(request: httpx.Request) -> str | None:
    return request.headers.get("Authorization")


async def query(client: GatewayClient, **filters: object) -> list:
    return await client.query_sms_result(SmsResultQuery(**filters))  # type: ignore[arg-type]


async def test_basic_is_sent_preemptively_with_the_manual_body(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, json=OK_REPLY)
    client = GatewayClient(gateway_settings(auth="basic"))
    await query(client, numbers=("0612345678",), ports=(0, 1), user_ids=(1001,))
    request = httpx_mock.get_request()
    assert authorization(request).startswith("Basic ")
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "number": ["0612345678"],
        "port": [0, 1],
        "user_id": [1001],
    }
    await client.aclose()


async def test_digest_challenge_is_answered_once_and_reused(httpx_mock: HTTPXMock) -> None:
    device = Device(httpx_mock)
    client = GatewayClient(gateway_settings(auth="digest"))
    for _ in range(5):
        await query(client, ports=(1,))
    assert len(device.authorizations) == 6
    assert device.authorizations[0] is None
    assert device.bodies[0] == {"port": [1]}  # the first request carries its body: no empty probe
    assert all(header.startswith("Digest ") for header in device.authorizations[1:])
    assert 'username="admin"' in device.authorizations[1]
    assert "nc=00000005" in device.authorizations[-1]
    await client.aclose()


async def test_concurrent_first_calls_share_one_challenge(httpx_mock: HTTPXMock) -> None:
    device = Device(httpx_mock)
    client = GatewayClient(gateway_settings(auth="auto", max_concurrency=4))
    await asyncio.gather(*(query(client, ports=(p,)) for p in range(8)))
    assert device.authorizations.count(None) == 1
    assert len(device.authorizations) == 9
    await client.aclose()


@pytest.mark.parametrize(
    ("scheme", "prefix"), [(CHALLENGE, "Digest "), ('Basic realm="Web Server"', "Basic ")]
)
async def test_auto_answers_the_scheme_challenged_and_remembers_it(
    httpx_mock: HTTPXMock, scheme: str, prefix: str
) -> None:
    device = Device(httpx_mock, scheme)
    client = GatewayClient(gateway_settings(auth="auto"))
    await query(client)
    await query(client)
    assert device.authorizations[0] is None
    assert len(device.authorizations) == 3
    assert all(header.startswith(prefix) for header in device.authorizations[1:])
    await client.aclose()


async def test_a_second_401_is_final_and_not_retried(
    httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    httpx_mock.add_response(
        url=URL, status_code=401, headers={"WWW-Authenticate": CHALLENGE}, is_reusable=True
    )
    client = GatewayClient(gateway_settings(auth="digest"))
    with caplog.at_level(logging.DEBUG), pytest.raises(GatewayAuthFailed) as failure:
        await query(client)
    assert len(httpx_mock.get_requests()) == 2
    with pytest.raises(GatewayAuthFailed):
        await query(client)  # within the cool-down: the device is not asked again
    assert len(httpx_mock.get_requests()) == 2
    assert failure.value.gateway_id == "office"
    assert "s3cret-pass" not in str(failure.value) + caplog.text
    await client.aclose()


async def test_auth_is_tried_again_after_the_cooldown(httpx_mock: HTTPXMock) -> None:
    now = [0.0]
    httpx_mock.add_response(url=URL, status_code=401, headers={"WWW-Authenticate": CHALLENGE})
    httpx_mock.add_response(url=URL, status_code=401, headers={"WWW-Authenticate": CHALLENGE})
    httpx_mock.add_response(url=URL, json=OK_REPLY)
    client = GatewayClient(gateway_settings(), auth_cooldown=60, clock=lambda: now[0])
    with pytest.raises(GatewayAuthFailed):
        await query(client)
    now[0] = 61
    assert await query(client) == []
    await client.aclose()


async def test_403_lockout_is_an_auth_failure(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, status_code=403, text="forbid to try again")
    client = GatewayClient(gateway_settings(auth="basic"))
    with pytest.raises(GatewayAuthFailed, match="locked"):
        await query(client)
    await client.aclose()


@pytest.mark.parametrize(
    ("exception", "message"),
    [
        (httpx.ConnectError("refused"), "cannot connect"),
        (httpx.ReadTimeout("slow"), "no answer within 10 s"),
        (httpx.RemoteProtocolError("closed"), "closed"),
    ],
)
async def test_transport_failures_are_unavailable(
    httpx_mock: HTTPXMock, exception: Exception, message: str
) -> None:
    httpx_mock.add_exception(exception, url=URL, is_reusable=True)  # a query retries ConnectError
    client = GatewayClient(gateway_settings(auth="basic"), retry_delay=0)
    with pytest.raises(GatewayUnavailable, match=message) as failure:
        await query(client)
    assert failure.value.extensions() == {"code": "GATEWAY_UNAVAILABLE", "gatewayId": "office"}
    await client.aclose()


async def test_an_error_code_is_rejected_with_that_code(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, json={"error_code": 500, "sn": "x"})
    client = GatewayClient(gateway_settings(auth="basic"))
    with pytest.raises(GatewayRejected) as failure:
        await query(client)
    assert failure.value.extensions() == {
        "code": "GATEWAY_REJECTED",
        "gatewayId": "office",
        "gatewayErrorCode": 500,
    }
    await client.aclose()


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"<html>Login</html>"),
        (200, b"[1, 2]"),
        (200, b'{"result": []}'),
        (200, b'{"error_code": "abc"}'),
        (404, b"Not Found"),
        (500, b"Internal error"),
        (200, b'{"error_code": 200, "result": [{"port": 0}]}'),
        (200, b'{"error_code": 200, "result": {"port": 0}}'),
    ],
)
async def test_replies_that_are_not_the_documented_json(
    httpx_mock: HTTPXMock, status: int, body: bytes
) -> None:
    httpx_mock.add_response(url=URL, status_code=status, content=body)
    client = GatewayClient(gateway_settings(auth="basic"))
    with pytest.raises(GatewayProtocolError):
        await query(client)
    await client.aclose()


async def test_replies_are_parsed_leniently_in_the_gateways_zone(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=URL,
        content=(
            b'{"error_code": " 200 ", "result": [{"port": 2, "user_id": 7, "number": " 10086",'
            b' "time": "2024-05-03 10:15:02", "status": "DELIVERED", "count": " 2",'
            b' "succ_count": 2, "ref_i d": 215, "imsi": "460004642148063 "},'
            b' {"port": "3", "number": "+33611111111", "time": "2024-05-0310:16:00",'
            b' "status": "queued_x", "imsi": "<NULL>"},]}'
        ),
    )
    client = GatewayClient(gateway_settings(auth="basic", timezone="Asia/Shanghai"))
    first, second = await query(client)
    zone = ZoneInfo("Asia/Shanghai")
    assert first.number == "10086"
    assert first.ref_id == 215
    assert first.count == 2
    assert first.imsi == "460004642148063"
    assert first.time == datetime(2024, 5, 3, 10, 15, 2, tzinfo=zone)
    assert first.time.isoformat() == "2024-05-03T10:15:02+08:00"
    assert second.port == 3
    assert second.user_id is None
    assert second.status == "queued_x"  # as the gateway spelled it
    assert second.imsi is None
    assert second.time == datetime(2024, 5, 3, 10, 16, tzinfo=zone)
    assert client.sn is None
    await client.aclose()


async def test_sn_is_learned_from_replies(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, json=OK_REPLY)
    client = GatewayClient(gateway_settings(auth="basic"))
    await query(client)
    assert client.sn == "da00-0030-1901-2817"
    await client.aclose()


async def test_filter_times_are_sent_as_gateway_local_strings(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=URL, json=OK_REPLY)
    client = GatewayClient(gateway_settings(auth="basic"))
    await query(
        client, time_after=datetime(2024, 5, 3, 10, 0), time_before=datetime(2024, 5, 3, 11, 0, 5)
    )
    assert json.loads(httpx_mock.get_request().content) == {
        "time_after": "2024-05-03 10:00:00",
        "time_before": "2024-05-03 11:00:05",
    }
    await client.aclose()


async def test_never_more_calls_in_flight_than_max_concurrency(httpx_mock: HTTPXMock) -> None:
    in_flight = peak = 0

    async def respond(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(5):
            await asyncio.sleep(0)
        in_flight -= 1
        return httpx.Response(200, json=OK_REPLY)

    httpx_mock.add_callback(respond, url=URL, is_reusable=True)
    client = GatewayClient(gateway_settings(auth="basic", max_concurrency=3))
    await asyncio.gather(*(query(client, ports=(p,)) for p in range(10)))
    assert peak == 3
    assert len(httpx_mock.get_requests()) == 10
    await client.aclose()


def test_more_than_32_numbers_never_reach_the_wire() -> None:
    with pytest.raises(ValueError, match="at most 32"):
        SmsResultQuery(numbers=tuple(str(n) for n in range(33))).body()


async def test_identical_queries_in_flight_share_the_call_and_its_records(
    httpx_mock: HTTPXMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = {"port": 2, "number": "10086", "time": "2024-05-03 10:15:02", "status": "DELIVERED"}
    httpx_mock.add_response(url=URL, json={**OK_REPLY, "result": [item]}, is_reusable=True)
    parsed = []
    original = client_module.parse_sms_results

    def counted(*args: object, **kwargs: object) -> object:
        parsed.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client_module, "parse_sms_results", counted)
    client = GatewayClient(gateway_settings(auth="basic"))
    same = await asyncio.gather(*(query(client, ports=(2,)) for _ in range(5)))
    other = await asyncio.gather(query(client, ports=(2,)), query(client, ports=(3,)))
    assert all(records is same[0] for records in same) and len(same[0]) == 1
    assert other[0] is not other[1]
    assert len(httpx_mock.get_requests()) == len(parsed) == 3
    await client.aclose()
