"""GET /metrics: Prometheus text, with exact counts of what the facade did against real
simulated gateways (Digest auth, the real wire), the webhook and a real WebSocket server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.schema.test_subscriptions import SMS_RESULTS, events, result, transport_ws
from tests.support import PUSH_EXAMPLES, TOKEN, Facade, gateway_settings, serving

from ultiroam_graphql import create_app
from ultiroam_graphql.config import BrokerSettings, Settings
from ultiroam_graphql.events import Event

NUMBERS_QUERY = """query($n: [String!]) { smsResults(filter: { numbers: $n }) { number } }"""
GATEWAY_QUERY = """query($g: ID!) { gateway(id: $g) { smsResults { number } } }"""
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for a series not exported (yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(api: httpx.AsyncClient) -> Samples:
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(response.text)


@pytest.fixture
async def facade() -> AsyncIterator[Facade]:
    facade = Facade()
    yield facade
    await facade.aclose()


def calls(
    samples: Samples, gateway: str, outcome: str, endpoint: str = "query_sms_result"
) -> float:
    return value(
        samples,
        "ultiroam_gateway_requests_total",
        gateway=gateway,
        endpoint=endpoint,
        outcome=outcome,
    )


async def test_gateway_calls_are_counted_exactly_per_gateway(facade: Facade) -> None:
    office = facade.add_device("office")
    paris = facade.add_device("paris")
    api = await facade.start()
    before = await scrape(api)
    assert calls(before, "office", "ok") == 0
    numbers = [f"+336100{n:05d}" for n in range(70)]  # 70 numbers: 3 calls per gateway
    reply = await facade.query(NUMBERS_QUERY, n=numbers)
    assert "errors" not in reply
    samples = await scrape(api)
    for gateway_id, device in (("office", office), ("paris", paris)):
        assert device.calls["query_sms_result"] == 3
        assert calls(samples, gateway_id, "ok") == 3
        histogram = dict(gateway=gateway_id, endpoint="query_sms_result")
        count = "ultiroam_gateway_request_duration_seconds_count"
        assert value(samples, count, **histogram) == 3
        assert value(samples, "ultiroam_gateway_request_duration_seconds_sum", **histogram) > 0
        assert value(samples, "ultiroam_gateway_circuit_state", gateway=gateway_id, state="closed")
        assert value(samples, "ultiroam_gateway_last_contact_timestamp_seconds", gateway=gateway_id)
    assert value(samples, "ultiroam_graphql_operations_total", type="query", outcome="ok") == 1
    assert value(samples, "ultiroam_graphql_operation_duration_seconds_count", type="query") == 1
    assert value(samples, "ultiroam_broker_connected") == 1
    assert value(samples, "process_resident_memory_bytes") > 0


def failing(error: type[httpx.TransportError]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("no answer", request=request)

    return httpx.MockTransport(handler)


async def test_each_failure_has_its_outcome(facade: Facade) -> None:
    office = facade.add_device("office")
    facade.add_device("locked", device_password="not-what-the-facade-sends")
    facade.add_device("down", transport=failing(httpx.ConnectError))
    api = await facade.start()
    office.inject_fault("error_code", error_code=500)
    office.inject_fault("not_json")
    expected = {
        "office": "GATEWAY_REJECTED",
        "locked": "GATEWAY_AUTH_FAILED",
        "down": "GATEWAY_UNAVAILABLE",
    }
    for gateway_id, code in expected.items():
        reply = await facade.query(GATEWAY_QUERY, g=gateway_id)
        assert reply["errors"][0]["extensions"]["code"] == code
    for gateway_id, code in (
        ("office", "GATEWAY_PROTOCOL_ERROR"),
        ("locked", "GATEWAY_AUTH_FAILED"),
    ):
        reply = await facade.query(GATEWAY_QUERY, g=gateway_id)
        assert reply["errors"][0]["extensions"]["code"] == code
    samples = await scrape(api)
    assert calls(samples, "office", "rejected") == 1
    assert calls(samples, "office", "protocol_error") == 1
    assert calls(samples, "locked", "auth_failed") == 1
    assert calls(samples, "locked", "auth_cooldown") == 1  # the second was not sent
    assert calls(samples, "down", "unavailable") == 1  # one call, its connect retry included
    assert (
        value(
            samples, "ultiroam_gateway_state_changes_total", gateway="locked", state="auth_failed"
        )
        == 1
    )
    assert (
        value(samples, "ultiroam_gateway_state_changes_total", gateway="down", state="unreachable")
        == 1
    )
    assert value(samples, "ultiroam_graphql_operations_total", type="query", outcome="error") == 5
    # latency only for calls that were sent
    histogram = dict(gateway="locked", endpoint="query_sms_result")
    assert value(samples, "ultiroam_gateway_request_duration_seconds_count", **histogram) == 1


async def test_circuit_opens_once_and_then_fails_fast(facade: Facade) -> None:
    facade.add_device("silent", transport=failing(httpx.ReadTimeout))
    api = await facade.start()
    for _ in range(7):  # the breaker opens after 5 failures in a row
        reply = await facade.query(GATEWAY_QUERY, g="silent")
        assert reply["errors"][0]["extensions"]["code"] == "GATEWAY_UNAVAILABLE"
    samples = await scrape(api)
    assert calls(samples, "silent", "timeout") == 5
    assert calls(samples, "silent", "circuit_open") == 2
    changes = "ultiroam_gateway_state_changes_total"
    assert value(samples, changes, gateway="silent", state="circuit_open") == 1
    assert value(samples, changes, gateway="silent", state="unreachable") == 1
    assert value(samples, "ultiroam_gateway_circuit_state", gateway="silent", state="open") == 1
    assert value(samples, "ultiroam_gateway_circuit_state", gateway="silent", state="closed") == 0
    assert value(samples, "ultiroam_gateway_consecutive_failures", gateway="silent") == 5


async def test_pushes_are_counted_by_outcome_with_bounded_labels(facade: Facade) -> None:
    facade.add_device("office", push_token=TOKEN)
    facade.add_device("quiet")  # no push_token
    api = await facade.start(push_body_limit=1024)
    body = {"sn": "da00-0030-1901-2817", "sms_result": PUSH_EXAMPLES["sms_result"]}
    attempts: list[tuple[str, dict[str, Any], bytes, int]] = [
        ("/push/office", {"token": TOKEN}, json.dumps(body).encode(), 200),
        ("/push/office", {"token": TOKEN}, json.dumps(body).encode(), 200),  # sent again
        ("/push/office", {"token": "wrong"}, json.dumps(body).encode(), 401),
        ("/push/office", {}, json.dumps(body).encode(), 401),
        ("/push/office", {"token": TOKEN}, b"not json", 400),
        ("/push/office", {"token": TOKEN}, b"[" * 2048, 413),
        ("/push/quiet", {"token": TOKEN}, json.dumps(body).encode(), 401),
        ("/push/evil-gw-x9", {"token": TOKEN}, json.dumps(body).encode(), 404),
        ("/push/evil-gw-y7", {"token": TOKEN}, json.dumps(body).encode(), 404),
    ]
    for path, params, content, status in attempts:
        response = await api.post(path, params=params, content=content)
        assert response.status_code == status, (path, response.text)
    text = (await api.get("/metrics")).text
    assert "evil-gw" not in text  # an id from the URL never becomes a label value
    samples = parse(text)
    pushes = "ultiroam_pushes_total"
    assert value(samples, pushes, gateway="office", outcome="accepted") == 2
    assert value(samples, pushes, gateway="office", outcome="bad_token") == 2
    assert value(samples, pushes, gateway="office", outcome="bad_body") == 1
    assert value(samples, pushes, gateway="office", outcome="too_large") == 1
    assert value(samples, pushes, gateway="quiet", outcome="push_disabled") == 1
    assert value(samples, pushes, gateway="unknown", outcome="unknown_gateway") == 2
    pushed = "ultiroam_push_events_total"
    assert value(samples, pushed, gateway="office", kind="sms_result", outcome="published") == 2
    assert value(samples, pushed, gateway="office", kind="sms_result", outcome="duplicate") == 2
    assert sum(v for (name, _), v in samples.items() if name == pushes) == len(attempts)


async def test_subscriptions_gauge_goes_up_and_down_and_counts_deliveries() -> None:
    facade = Facade()
    facade.add_device("paris", push_token=TOKEN)
    app = create_app(Settings(gateways=tuple(facade.settings)), clients=facade.clients)
    async with serving(app) as server:
        active = dict(kind="sms_result")
        assert value(await scrape(server.http), "ultiroam_subscriptions_active", **active) == 0
        async with server.ws("graphql-transport-ws") as ws:
            await transport_ws(ws, SMS_RESULTS)
            await until(server.http, "ultiroam_subscriptions_active", 1, **active)
            await server.push("paris", sms_result=[result(1), result(2)])
            assert len(await events(ws, 2)) == 2
            await ws.send(json.dumps({"type": "complete", "id": "1"}))
            await until(server.http, "ultiroam_subscriptions_active", 0, **active)
        samples = await scrape(server.http)
    await facade.aclose()
    assert value(samples, "ultiroam_subscription_events_delivered_total", **active) == 2
    assert value(samples, "ultiroam_subscription_events_dropped_total", **active) == 0
    operations = "ultiroam_graphql_operations_total"
    assert value(samples, operations, type="subscription", outcome="ok") == 1
    # a subscription's lifetime is no answer time: the histogram holds queries and mutations
    assert (
        value(samples, "ultiroam_graphql_operation_duration_seconds_count", type="subscription")
        == 0
    )


async def until(api: httpx.AsyncClient, name: str, expected: float, **labels: str) -> None:
    """Bounded wait for a gauge to reach ``expected`` (the server works in its own tasks)."""
    for _ in range(500):
        if value(await scrape(api), name, **labels) == expected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{name}{labels} never reached {expected}")


async def test_an_overflowing_subscriber_counts_the_dropped_event() -> None:
    settings = Settings(broker=BrokerSettings(subscriber_buffer=2), gateways=(gateway_settings(),))
    app = create_app(settings)
    broker = app.state.broker
    async with app.router.lifespan_context(app):
        async with broker.subscribe(label="sms_result") as subscription:
            for n in range(3):  # the third does not fit: the stream ends after the first two
                await broker.publish(Event("office", "sms_result", {"n": n}))
            received = [event.data["n"] async for event in _until_overflow(subscription)]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://facade"
        ) as api:
            samples = await scrape(api)
    assert received == [0, 1]
    kind = dict(kind="sms_result")
    assert value(samples, "ultiroam_subscription_events_dropped_total", **kind) == 1
    assert value(samples, "ultiroam_subscription_events_delivered_total", **kind) == 2
    assert value(samples, "ultiroam_subscriptions_active", **kind) == 0


async def _until_overflow(subscription: Any) -> AsyncIterator[Event]:
    from ultiroam_graphql.errors import SubscriptionOverflow

    for _ in range(100):
        await asyncio.sleep(0)  # let the broker's reader fan the events out
    try:
        async for event in subscription:
            yield event
    except SubscriptionOverflow:
        return


async def test_operations_are_counted_by_type_and_outcome(facade: Facade) -> None:
    facade.add_device("office")
    api = await facade.start()  # no token and no allow_unauthenticated_mutations
    assert "errors" not in await facade.query("{ gateways { id } }")
    bad = await facade.query('{ gateway(id: "office") { port(index: 99) { index } } }')
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    refused = await facade.query('mutation { stopSms(gatewayId: "office", taskId: 1) }')
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    samples = await scrape(api)
    operations = "ultiroam_graphql_operations_total"
    assert value(samples, operations, type="query", outcome="ok") == 1
    assert value(samples, operations, type="query", outcome="error") == 1
    assert value(samples, operations, type="mutation", outcome="error") == 1
    assert value(samples, operations, type="mutation", outcome="ok") == 0
    assert value(samples, "ultiroam_graphql_operation_duration_seconds_count", type="query") == 2
    assert calls(samples, "office", "ok", endpoint="stop_sms") == 0  # refused before any call


async def test_metrics_are_open_like_healthz_when_api_tokens_are_set(facade: Facade) -> None:
    facade.add_device("office")
    api = await facade.start(api_tokens=["api-secret-token"])
    assert (await api.post("/graphql", json={"query": "{ gateways { id } }"})).status_code == 401
    response = await api.get("/metrics")
    assert response.status_code == 200
    assert "api-secret-token" not in response.text
    assert (await api.post("/metrics")).status_code == 405


def test_two_apps_in_one_process_have_their_own_registries() -> None:
    one = create_app(Settings(gateways=(gateway_settings(),)))
    two = create_app(Settings(gateways=(gateway_settings(),)))
    one.state.metrics.operation_finished("query", "ok", 0.01)
    ok = dict(type="query", outcome="ok")
    for app, expected in ((one, 1), (two, 0)):
        samples = parse(app.state.metrics.exposition()[0].decode())
        assert value(samples, "ultiroam_graphql_operations_total", **ok) == expected
