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


@pytest.fixture
async def guarded() -> AsyncIterator[httpx.AsyncClient]:
    facade = Facade()
    facade.add_device("office", push_token="push-token")
    yield await facade.start(api_tokens=["token-one", "token-two"])
    await facade.aclose()


QUERY = {"query": "{ gateways { id } }"}


@pytest.mark.parametrize("header", [None, "Bearer wrong", "token-one", "Basic token-one"])
async def test_api_tokens_refuse_requests_without_a_listed_token(
    guarded: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await guarded.post("/graphql", json=QUERY, headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    response = await guarded.get("/graphql", params=QUERY, headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize("token", ["token-one", "token-two"])
async def test_api_tokens_serve_requests_with_a_listed_token(
    guarded: httpx.AsyncClient, token: str
) -> None:
    response = await guarded.post(
        "/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.json() == {"data": {"gateways": [{"id": "office"}]}}


async def test_api_tokens_leave_graphiql_health_and_the_webhook_open(
    guarded: httpx.AsyncClient,
) -> None:
    page = await guarded.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert (await guarded.get("/healthz")).status_code == 200
    push = await guarded.post(
        "/push/office", params={"token": "push-token"}, json={"ussd": [{"port": 1, "text": "ok"}]}
    )
    assert push.status_code == 200


def test_api_tokens_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ULTIROAM_TEST_TOKENS", "a, b,")
    settings = Settings.model_validate(
        {
            "server": {"api_tokens": ["c"], "api_tokens_env": "ULTIROAM_TEST_TOKENS"},
            "gateways": [gateway_settings()],
        }
    )
    assert settings.server.api_tokens == ("c", "a", "b")
