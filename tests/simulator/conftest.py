"""Fixtures for driving the simulated gateway in-process with a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from starlette.applications import Starlette

from ultiroam_graphql.simulator import ManualClock, SimulatedGateway, create_simulator_app

START = 1_714_730_400.0
"""2024-05-03 10:00:00 UTC."""

ClientFactory = Callable[..., httpx.AsyncClient]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def gateway(clock: ManualClock) -> SimulatedGateway:
    """An empty gateway: tests add exactly the records (and calls) they reason about."""
    return SimulatedGateway(clock=clock, initial_results=0, initial_calls=0)


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    """Build in-process clients (optionally from a given client address); closes them after."""
    clients: list[httpx.AsyncClient] = []

    def make(
        app: Starlette, *, auth: httpx.Auth | None = None, host: str = "127.0.0.1"
    ) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(host, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://gw", auth=auth)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def api(gateway: SimulatedGateway, make_client: ClientFactory) -> httpx.AsyncClient:
    """A Digest-authenticated client of the `gateway` fixture's app."""
    app = create_simulator_app(gateway)
    return make_client(app, auth=httpx.DigestAuth("admin", "admin"))
