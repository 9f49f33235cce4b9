"""The Starlette app: routes, the GraphQL-over-HTTP surface, lifespan, public API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from tests.support import Facade, gateway_settings

import ultiroam_graphql
from ultiroam_graphql.config import Settings


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    facade = Facade()
    facade.add_device("office")
    yield await facade.start()
    await facade.aclose()


async def test_healthz(api: httpx.AsyncClient) -> None:
    response = await api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_graphiql_on_get_from_a_browser(api: httpx.AsyncClient) -> None:
    response = await api.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_queries_in_url_parameters(api: httpx.AsyncClient) -> None:
    response = await api.get("/graphql", params={"query": "{ gateways { id } }"})
    assert response.json() == {"data": {"gateways": [{"id": "office"}]}}


async def test_graphql_response_media_type(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/graphql",
        json={"query": "{ gateways { id } }"},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"gateways": [{"id": "office"}]}}


async def test_lifespan_closes_the_gateway_clients() -> None:
    app = ultiroam_graphql.create_app(Settings(gateways=(gateway_settings(),)))
    client = app.state.gateways["office"]
    async with app.router.lifespan_context(app):
        assert not client._http.is_closed
    assert client._http.is_closed


def test_exported_members() -> None:
    assert sorted(ultiroam_graphql.__all__) == [
        "BadUserInput",
        "ConfigError",
        "GatewayAuthFailed",
        "GatewayClient",
        "GatewayError",
        "GatewayProtocolError",
        "GatewayRejected",
        "GatewayUnavailable",
        "Settings",
        "UltiroamError",
        "UnknownGateway",
        "create_app",
        "load_settings",
    ]
