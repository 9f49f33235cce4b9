"""Operation limits: each refused operation gets a clear error and touches no gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from tests.support import Facade, serving
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from ultiroam_graphql import create_app
from ultiroam_graphql.config import Settings


@pytest.fixture
async def facade() -> AsyncIterator[Facade]:
    facade = Facade()
    facade.add_device("office")
    yield facade
    await facade.aclose()


def nested(depth: int) -> str:
    """A query ``depth`` levels deep: gateway { port { gateway { port { ... } } } }."""
    inner = "index"
    for level in range(depth - 1):
        inner = f"port(index: 0) {{ {inner} }}" if level % 2 == 0 else f"gateway {{ {inner} }}"
    return f'{{ gateway(id: "office") {{ {inner} }} }}'


async def test_an_over_deep_query_is_refused(facade: Facade) -> None:
    assert "errors" not in await facade.query(nested(10))
    data = await facade.query(nested(12).replace("{ index }", "{ smsResults { number } }", 1))
    assert "exceeds maximum operation depth" in data["errors"][0]["message"]
    assert facade.calls() == 0


async def test_an_alias_flood_is_refused(facade: Facade) -> None:
    aliases = " ".join(f"a{n}: gateways {{ id }}" for n in range(31))
    data = await facade.query(f"{{ {aliases} smsResults {{ number }} }}")
    assert "aliases" in data["errors"][0]["message"].lower()
    assert facade.calls() == 0


async def test_a_token_flood_is_refused(facade: Facade) -> None:
    data = await facade.query("{ " + "__typename " * 2100 + "}")
    assert "token" in data["errors"][0]["message"].lower()


async def test_a_huge_body_is_refused_with_413(facade: Facade) -> None:
    api = await facade.start()
    query = "{ gateways { id } }" + " " * (300 * 1024)
    response = await api.post("/graphql", json={"query": query})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused while reading
        for _ in range(300):
            yield b" " * 1024

    assert (await api.post("/graphql", content=chunks())).status_code == 413


async def test_long_filter_lists_are_refused(facade: Facade) -> None:
    numbers = [f"+3361{n:07d}" for n in range(1001)]
    data = await facade.query(
        "query($n: [String!]) { smsResults(filter: {numbers: $n}) { number } }", n=numbers
    )
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert facade.calls() == 0


async def test_introspection_can_be_switched_off(facade: Facade) -> None:
    api = await facade.start(introspection=False)
    response = await api.post("/graphql", json={"query": "{ __schema { types { name } } }"})
    assert "introspection" in response.json()["errors"][0]["message"].lower()
    response = await api.post("/graphql", json={"query": "{ gateways { id } }"})
    assert response.json() == {"data": {"gateways": [{"id": "office"}]}}


async def test_websocket_connections_and_subscriptions_are_bounded(facade: Facade) -> None:
    settings = Settings.model_validate(
        {
            "server": {"max_connections": 1, "max_subscriptions_per_connection": 1},
            "gateways": facade.settings,
        }
    )
    async with serving(create_app(settings, clients=facade.clients)) as server:
        url = f"ws://127.0.0.1:{server.port}/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as first:
            await first.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await first.recv())["type"] == "connection_ack"
            async with connect(url, subprotocols=["graphql-transport-ws"]) as second:
                with pytest.raises(ConnectionClosed) as closed:
                    await second.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
            query = {"query": "subscription { smsResults { number } }"}
            for n in ("1", "2"):
                await first.send(json.dumps({"type": "subscribe", "id": n, "payload": query}))
            refused = json.loads(await asyncio.wait_for(first.recv(), 10))
            assert refused["type"] == "error" and refused["id"] == "2"
            assert "limit" in refused["payload"][0]["message"]
        assert (await server.http.get("/healthz")).is_success
