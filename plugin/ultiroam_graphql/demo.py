"""``serve --demo``: the facade over an embedded simulated gateway, with no config at all."""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette

from .app import create_app
from .config import GatewaySettings, ServerSettings, Settings
from .gateway import GatewayClient
from .simulator import SimulatedGateway, create_simulator_app

DEMO_GATEWAY_ID = "demo"
DEMO_TIMEZONE = "Europe/Paris"
DEMO_CREDENTIALS = ("admin", "admin")
DEVICE_PATH = "/demo-gateway"


class _Forward:
    """An ASGI app that forwards to one set later: the device and the facade talk both ways."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def demo_app(
    *, traffic_interval: float = 3.0, push_interval: float = 1.0, seed: int = 1
) -> Starlette:
    """The facade over an in-process simulated gateway that pushes to the facade's webhook.

    Both directions speak the real wire protocol (Digest auth one way, the push webhook with its
    token the other) through in-process transports, so the demo needs no second port. Mutations
    are allowed without a token: the demo listens on 127.0.0.1 and its phones are simulated.
    """
    username, password = DEMO_CREDENTIALS
    token = secrets.token_urlsafe(24)
    gateway = GatewaySettings.model_validate(
        {
            "id": DEMO_GATEWAY_ID,
            "url": "http://demo-gateway.simulator",
            "username": username,
            "password": password,
            "auth": "digest",
            "timezone": DEMO_TIMEZONE,
            "push_token": token,
        }
    )
    facade = _Forward()
    device_app = create_simulator_app(
        SimulatedGateway(ports=gateway.ports, timezone=DEMO_TIMEZONE, seed=seed),
        username=username,
        password=password,
        traffic_interval=traffic_interval,
        push_url=f"http://facade/push/{DEMO_GATEWAY_ID}?token={token}",
        push_transport=httpx.ASGITransport(app=facade),
        push_interval=push_interval,
    )
    state = tempfile.TemporaryDirectory(prefix="ultiroam-demo-")
    server = ServerSettings(allow_unauthenticated_mutations=True, state_dir=state.name)
    facade.app = create_app(
        Settings(server=server, gateways=(gateway,)),
        clients={gateway.id: GatewayClient.in_process(gateway, device_app)},
        lifespans=[
            lambda: device_app.router.lifespan_context(device_app),
            lambda: _removed_at_exit(state),
        ],
    )
    # The simulated device's own API, e.g. to make it receive an SMS:
    # curl --digest -u admin:admin -d '{"port":1,"number":"+33611111111","text":"hi"}' \
    #      http://127.0.0.1:8000/demo-gateway/control/incoming_sms
    facade.app.mount(DEVICE_PATH, device_app)
    return facade.app


@contextlib.asynccontextmanager
async def _removed_at_exit(directory: tempfile.TemporaryDirectory[str]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        directory.cleanup()
