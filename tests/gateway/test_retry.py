"""Queries are tried once more when no connection could be made; nothing else is ever retried."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock
from tests.support import gateway_settings

from ultiroam_graphql.errors import GatewayAuthFailed, GatewayUnavailable
from ultiroam_graphql.gateway import (
    DeliveryReportQuery,
    GatewayClient,
    SendSmsRequest,
    SmsRecipient,
    SmsResultQuery,
)

Call = Callable[[GatewayClient], Awaitable[Any]]

QUERIES: dict[str, Call] = {
    "query_sms_result": lambda c: c.query_sms_result(SmsResultQuery()),
    "query_sms_deliver_status": lambda c: c.query_sms_deliver_status(DeliveryReportQuery()),
    "query_incoming_sms": lambda c: c.query_incoming_sms(),
    "get_port_info": lambda c: c.get_port_info(),
    "query_ussd_reply": lambda c: c.query_ussd_reply([0]),
    "query_sms_in_queue": lambda c: c.query_sms_in_queue(),
    "get_status": lambda c: c.get_status(),
    "get_cdr": lambda c: c.get_cdr(),
}
ACTIONS: dict[str, Call] = {
    "send_sms": lambda c: c.send_sms(SendSmsRequest("hi", (SmsRecipient("0612345678", 1),))),
    "stop_sms": lambda c: c.stop_sms(7),
    "send_ussd": lambda c: c.send_ussd(ports=[0], text="*100#"),
    "set_port_info": lambda c: c.set_port_info(port=0, action="reset"),
}
URL = "http://gw.test/api/query_sms_result"


def make_client() -> GatewayClient:
    return GatewayClient(gateway_settings(auth="basic"), retry_delay=0)


@pytest.mark.parametrize("name", QUERIES)
async def test_a_query_tries_once_more_when_it_cannot_connect(
    httpx_mock: HTTPXMock, name: str
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"), is_reusable=True)
    client = make_client()
    with pytest.raises(GatewayUnavailable, match="cannot connect"):
        await QUERIES[name](client)
    requests = httpx_mock.get_requests()
    assert [request.url.path for request in requests] == [f"/api/{name}"] * 2
    assert requests[0].content == requests[1].content
    assert client.consecutive_failures == 1  # one call, one failure, however many attempts
    await client.aclose()


@pytest.mark.parametrize("name", ACTIONS)
async def test_an_action_is_never_retried(httpx_mock: HTTPXMock, name: str) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"), is_reusable=True)
    client = make_client()
    with pytest.raises(GatewayUnavailable, match="cannot connect"):
        await ACTIONS[name](client)
    assert len(httpx_mock.get_requests()) == 1
    await client.aclose()


async def test_the_second_attempt_can_succeed(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=URL)
    httpx_mock.add_response(url=URL, json={"error_code": 200, "result": []})
    client = GatewayClient(gateway_settings(auth="basic"))  # the default backoff, 0.2 s
    assert await client.query_sms_result(SmsResultQuery()) == []
    assert len(httpx_mock.get_requests()) == 2
    assert client.consecutive_failures == 0
    await client.aclose()


@pytest.mark.parametrize(
    "exception",
    [
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.WriteTimeout("slow"),
        httpx.RemoteProtocolError("closed"),
        httpx.ReadError("reset"),
    ],
)
async def test_a_query_is_not_retried_after_other_transport_failures(
    httpx_mock: HTTPXMock, exception: Exception
) -> None:
    httpx_mock.add_exception(exception, url=URL, is_reusable=True)
    client = make_client()
    with pytest.raises(GatewayUnavailable):
        await client.query_sms_result(SmsResultQuery())
    assert len(httpx_mock.get_requests()) == 1
    await client.aclose()


@pytest.mark.parametrize("status", [401, 403])
async def test_a_refused_login_is_never_retried(httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(url=URL, status_code=status, is_reusable=True)
    client = make_client()
    with pytest.raises(GatewayAuthFailed):
        await client.query_sms_result(SmsResultQuery())
    assert len(httpx_mock.get_requests()) == 1
    await client.aclose()


async def test_a_refused_login_after_a_connect_error_ends_the_call(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=URL)
    httpx_mock.add_response(url=URL, status_code=401)
    client = make_client()
    with pytest.raises(GatewayAuthFailed):
        await client.query_sms_result(SmsResultQuery())
    assert len(httpx_mock.get_requests()) == 2
    await client.aclose()
