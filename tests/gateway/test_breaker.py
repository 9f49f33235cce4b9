"""The circuit breaker on its own (a fake clock), then inside GatewayClient against pytest-httpx."""

from __future__ import annotations

import asyncio

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
from ultiroam_graphql.gateway.breaker import CircuitBreaker

URL = "http://gw.test/api/query_sms_result"
OK_REPLY = {"error_code": 200, "result": []}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Device:
    """A fake device that is down (every call times out) or up, as the test says."""

    def __init__(self, httpx_mock: HTTPXMock) -> None:
        self.up = False
        self.calls = 0
        httpx_mock.add_callback(self, url=URL, is_reusable=True)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if not self.up:
            raise httpx.ReadTimeout("silent", request=request)
        return httpx.Response(200, json=OK_REPLY)


async def query(client: GatewayClient) -> list:
    return await client.query_sms_result(SmsResultQuery())


def client_with(clock: Clock, **overrides: object) -> GatewayClient:
    options: dict = {"breaker_failures": 3, "breaker_cooldown": 30.0, "retry_delay": 0}
    options.update(overrides)
    return GatewayClient(gateway_settings(auth="basic"), clock=clock, **options)


# The breaker alone


def test_breaker_opens_at_the_threshold_and_lets_one_trial_through_after_the_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=clock)
    assert (breaker.state, breaker.admit()) == ("closed", "call")
    breaker.record_failure()
    assert (breaker.state, breaker.consecutive_failures) == ("closed", 1)
    breaker.record_failure()
    assert (breaker.state, breaker.admit(), breaker.retry_after()) == ("open", None, 10)
    clock.now += 9.5
    assert (breaker.state, breaker.allows(), breaker.retry_after()) == ("open", False, 0.5)
    clock.now += 0.5
    assert breaker.state == "half_open"
    assert [breaker.admit(), breaker.admit()] == ["trial", None]
    breaker.record_failure()  # the trial failed: open for a whole cool-down again
    assert (breaker.state, breaker.consecutive_failures, breaker.retry_after()) == ("open", 3, 10)
    clock.now += 10
    assert breaker.admit() == "trial"
    breaker.record_success()
    assert (breaker.state, breaker.consecutive_failures, breaker.admit()) == ("closed", 0, "call")


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    breaker = CircuitBreaker(threshold=2, clock=Clock())
    for _ in range(5):
        breaker.record_failure()
        breaker.record_success()
    assert (breaker.state, breaker.consecutive_failures) == ("closed", 0)


def test_a_released_trial_lets_the_next_call_be_the_trial() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=5, clock=clock)
    breaker.record_failure()
    clock.now += 5
    breaker.release("call")  # a call admitted before the circuit opened does not free the trial
    assert breaker.admit() == "trial"
    assert breaker.admit() is None
    breaker.release("trial")
    assert breaker.admit() == "trial"
    assert breaker.state == "half_open"


@pytest.mark.parametrize(("threshold", "cooldown"), [(0, 30.0), (5, -1.0)])
def test_nonsense_limits_are_refused(threshold: int, cooldown: float) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(threshold=threshold, cooldown=cooldown)


# Inside GatewayClient


async def test_the_circuit_opens_after_n_failures_and_the_device_is_left_alone(
    httpx_mock: HTTPXMock,
) -> None:
    device = Device(httpx_mock)
    client = client_with(Clock())
    for expected in (1, 2, 3):
        with pytest.raises(GatewayUnavailable, match="no answer"):
            await query(client)
        assert client.consecutive_failures == expected
    assert client.breaker_state == "open"
    for _ in range(10):
        with pytest.raises(GatewayUnavailable, match=r"circuit open: .*retrying after 30 s") as e:
            await query(client)
    assert e.value.extensions() == {"code": "GATEWAY_UNAVAILABLE", "gatewayId": "office"}
    assert device.calls == 3
    await client.aclose()


async def test_after_the_cooldown_one_trial_decides(httpx_mock: HTTPXMock) -> None:
    device = Device(httpx_mock)
    clock = Clock()
    client = client_with(clock)
    for _ in range(3):
        with pytest.raises(GatewayUnavailable):
            await query(client)
    clock.now += 30
    assert client.breaker_state == "half_open"
    with pytest.raises(GatewayUnavailable, match="no answer"):
        await query(client)  # the trial goes to the device, and fails
    assert (client.breaker_state, device.calls) == ("open", 4)
    with pytest.raises(GatewayUnavailable, match="circuit open"):
        await query(client)
    clock.now += 30
    device.up = True
    assert await query(client) == []  # the trial succeeds
    assert (client.breaker_state, client.consecutive_failures) == ("closed", 0)
    assert await query(client) == []
    assert device.calls == 6
    await client.aclose()


async def test_while_the_trial_is_in_flight_other_calls_fail_fast(httpx_mock: HTTPXMock) -> None:
    release = asyncio.Event()
    trial_sent = asyncio.Event()
    calls = 0

    async def respond(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls <= 1:
            raise httpx.ReadTimeout("silent", request=request)
        trial_sent.set()
        await release.wait()
        return httpx.Response(200, json=OK_REPLY)

    httpx_mock.add_callback(respond, url=URL, is_reusable=True)
    clock = Clock()
    client = client_with(clock, breaker_failures=1)
    with pytest.raises(GatewayUnavailable):
        await query(client)
    clock.now += 30
    trial = asyncio.create_task(query(client))
    await asyncio.wait_for(trial_sent.wait(), 10)
    with pytest.raises(GatewayUnavailable, match="trial call in progress"):
        await client.query_sms_in_queue()  # another call: an identical one would share the trial
    release.set()
    assert await trial == []
    assert client.breaker_state == "closed"
    assert calls == 2
    await client.aclose()


async def test_a_cancelled_trial_lets_the_next_call_try(httpx_mock: HTTPXMock) -> None:
    trial_sent = asyncio.Event()
    calls = 0

    async def respond(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ReadTimeout("silent", request=request)
        if calls == 2:
            trial_sent.set()
            await asyncio.Event().wait()  # never answers: the caller gives up
        return httpx.Response(200, json=OK_REPLY)

    httpx_mock.add_callback(respond, url=URL, is_reusable=True)
    clock = Clock()
    client = client_with(clock, breaker_failures=1)
    with pytest.raises(GatewayUnavailable):
        await query(client)
    clock.now += 30
    trial = asyncio.create_task(query(client))
    await asyncio.wait_for(trial_sent.wait(), 10)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert client.breaker_state == "half_open"
    assert await query(client) == []
    assert client.breaker_state == "closed"
    await client.aclose()


async def test_calls_queued_for_a_slot_are_refused_once_the_circuit_opens(
    httpx_mock: HTTPXMock,
) -> None:
    calls = 0

    async def respond(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        raise httpx.ReadTimeout("silent", request=request)

    httpx_mock.add_callback(respond, url=URL, is_reusable=True)
    client = GatewayClient(
        gateway_settings(auth="basic", max_concurrency=1), breaker_failures=1, retry_delay=0
    )
    distinct = [SmsResultQuery(numbers=(f"+3361234567{n}",)) for n in range(4)]  # none shared
    outcomes = await asyncio.gather(
        *(client.query_sms_result(each) for each in distinct), return_exceptions=True
    )
    assert all(isinstance(outcome, GatewayUnavailable) for outcome in outcomes)
    assert ["circuit open" in str(outcome) for outcome in outcomes] == [False, True, True, True]
    assert calls == 1
    await client.aclose()


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_proxy_saying_the_device_is_down_counts(httpx_mock: HTTPXMock, status: int) -> None:
    httpx_mock.add_response(url=URL, status_code=status, is_reusable=True)
    client = client_with(Clock())
    for _ in range(3):
        with pytest.raises(GatewayUnavailable, match=f"HTTP {status}"):
            await query(client)
    assert client.breaker_state == "open"
    await client.aclose()


async def test_auth_failures_keep_their_own_cooldown_and_do_not_trip_it(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(url=URL, status_code=401, is_reusable=True)
    clock = Clock()
    client = client_with(clock, breaker_failures=2, auth_cooldown=60)
    for _ in range(5):
        with pytest.raises(GatewayAuthFailed):
            await query(client)  # the first reaches the device, the rest its cool-down
        clock.now += 61  # and each later one reaches the device again
    assert len(httpx_mock.get_requests()) == 5
    assert (client.breaker_state, client.consecutive_failures) == ("closed", 0)
    await client.aclose()


async def test_an_auth_failure_does_not_reset_the_count_either(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("silent"), url=URL)
    httpx_mock.add_response(url=URL, status_code=403, text="forbid to try again")
    client = client_with(Clock(), auth_cooldown=0)
    with pytest.raises(GatewayUnavailable):
        await query(client)
    with pytest.raises(GatewayAuthFailed):
        await query(client)
    assert client.consecutive_failures == 1
    await client.aclose()


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"json": {"error_code": 500}}, GatewayRejected),
        ({"content": b"<html>busy</html>"}, GatewayProtocolError),
    ],
)
async def test_a_device_that_answers_is_not_down(
    httpx_mock: HTTPXMock, answer: dict, error: type[Exception]
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("silent"), url=URL)
    httpx_mock.add_exception(httpx.ReadTimeout("silent"), url=URL)
    httpx_mock.add_response(url=URL, **answer)
    httpx_mock.add_exception(httpx.ReadTimeout("silent"), url=URL)
    httpx_mock.add_exception(httpx.ReadTimeout("silent"), url=URL)
    client = client_with(Clock())
    outcomes = [type(await _outcome(client)) for _ in range(5)]
    assert outcomes == [GatewayUnavailable, GatewayUnavailable, error] + [GatewayUnavailable] * 2
    assert (client.breaker_state, client.consecutive_failures) == ("closed", 2)
    await client.aclose()


async def _outcome(client: GatewayClient) -> BaseException:
    try:
        await query(client)
    except Exception as exc:
        return exc
    raise AssertionError("the call was expected to fail")


async def test_by_default_five_failures_open_it_for_thirty_seconds(httpx_mock: HTTPXMock) -> None:
    device = Device(httpx_mock)
    clock = Clock()
    client = GatewayClient(gateway_settings(auth="basic"), clock=clock)
    assert (client.breaker_state, client.consecutive_failures) == ("closed", 0)
    for _ in range(4):
        with pytest.raises(GatewayUnavailable, match="no answer"):
            await query(client)
    assert client.breaker_state == "closed"
    with pytest.raises(GatewayUnavailable, match="no answer"):
        await query(client)
    assert (client.breaker_state, client.consecutive_failures) == ("open", 5)
    clock.now += 29.5
    with pytest.raises(GatewayUnavailable, match="retrying after 1 s"):
        await query(client)
    clock.now += 0.5
    assert client.breaker_state == "half_open"
    assert device.calls == 5
    await client.aclose()
