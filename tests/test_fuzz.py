"""Hostile and broken input: every request gets a 4xx or a GraphQL error, never a 5xx."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support import Facade, serving
from websockets.asyncio.client import connect

from ultiroam_graphql import create_app
from ultiroam_graphql.config import Settings

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
QUERY_PIECES = st.sampled_from(
    [
        "{",
        "}",
        "(",
        ")",
        "gateways",
        "smsResults",
        "filter:",
        "numbers:",
        '"x"',
        "[",
        "]",
        "ports:",
        "1",
        "-1",
        "$v",
        "...",
        "fragment",
        "on",
        "Query",
        "query",
        "mutation",
        "subscription",
        "__schema",
        "gateway(id:",
        "\\u0000",
        "é",
        " ",
    ]
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.lists(QUERY_PIECES, max_size=30).map(
        lambda parts: json.dumps({"query": " ".join(parts)}).encode()
    ),
    st.builds(
        lambda q, v: json.dumps({"query": q, "variables": v}).encode(),
        st.sampled_from(
            [
                "query($f: SmsResultFilter) { smsResults(filter: $f) { number } }",
                "query($i: ID!) { gateway(id: $i) { id portCount } }",
            ]
        ),
        JSON,
    ),
)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "application/graphql-response+json",
        "",
        "multipart/form-data",
    ]
)


@pytest.fixture(scope="module")
def api() -> httpx.AsyncClient:
    facade = Facade()
    facade.add_device("office", push_token="tok")
    loop = asyncio.new_event_loop()
    client = loop.run_until_complete(facade.start())
    yield loop, client
    loop.run_until_complete(facade.aclose())
    loop.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=BODIES, content_type=CONTENT_TYPES)
def test_graphql_endpoint_never_answers_5xx(api, body: bytes, content_type: str) -> None:
    loop, client = api
    headers = {"Content-Type": content_type} if content_type else {}
    response = loop.run_until_complete(client.post("/graphql", content=body, headers=headers))
    assert response.status_code < 500, (response.status_code, response.text[:300])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=BODIES | JSON.map(lambda v: json.dumps({"sms_result": v}).encode()))
def test_webhook_never_answers_5xx(api, body: bytes) -> None:
    loop, client = api
    response = loop.run_until_complete(
        client.post("/push/office", params={"token": "tok"}, content=body)
    )
    assert response.status_code in (200, 400, 413), (response.status_code, response.text[:300])


async def test_a_burst_of_200_malformed_requests_then_normal_service() -> None:
    facade = Facade()
    facade.add_device("office")
    api = await facade.start()
    bad = [
        b"{",
        b"[]",
        b'{"query": 1}',
        b'{"query": "{ nope }"}',
        b"\xff\xfe",
        b'{"query": "{',
    ] * 34
    answers = await asyncio.gather(*(api.post("/graphql", content=body) for body in bad[:200]))
    assert all(400 <= r.status_code < 500 or "errors" in r.json() for r in answers)
    assert all(r.status_code < 500 for r in answers)
    assert (await facade.query("{ gateways { id } }")) == {"data": {"gateways": [{"id": "office"}]}}
    await facade.aclose()


async def test_websocket_garbage_does_not_break_the_server() -> None:
    facade = Facade()
    facade.add_device("office")
    settings_ = Settings.model_validate({"gateways": facade.settings})
    async with serving(create_app(settings_, clients=facade.clients)) as server:
        url = f"ws://127.0.0.1:{server.port}/graphql"
        for frame in ["not json", json.dumps({"type": "nonsense"}), json.dumps([1]), "\x00" * 10]:
            async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send(frame)
                with pytest.raises(Exception):  # noqa: B017 - closed with a protocol error code
                    await asyncio.wait_for(ws.recv(), 5)
        assert (await server.http.get("/healthz")).status_code == 200
        async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
    await facade.aclose()
