"""``serve --demo``: the facade over an embedded simulated gateway, with no config at all."""

from __future__ import annotations

import httpx

from .app import Lifespan
from .config import GatewaySettings, Settings
from .gateway import GatewayClient
from .simulator import SimulatedGateway, create_simulator_app

DEMO_GATEWAY_ID = "demo"
DEMO_TIMEZONE = "Europe/Paris"
DEMO_CREDENTIALS = ("admin", "admin")


def demo_setup(
    *, traffic_interval: float = 3.0, seed: int = 1
) -> tuple[Settings, dict[str, GatewayClient], list[Lifespan]]:
    """Settings, a client wired to the in-process simulator, and the simulator's lifespan.

    The client speaks the real wire protocol (Digest included) to the simulator through an
    in-process transport, so the demo needs no second port.
    """
    username, password = DEMO_CREDENTIALS
    gateway = GatewaySettings.model_validate(
        {
            "id": DEMO_GATEWAY_ID,
            "url": "http://demo-gateway.simulator",
            "username": username,
            "password": password,
            "auth": "digest",
            "timezone": DEMO_TIMEZONE,
        }
    )
    settings = Settings(gateways=(gateway,))
    device = SimulatedGateway(ports=gateway.ports, timezone=DEMO_TIMEZONE, seed=seed)
    device_app = create_simulator_app(
        device, username=username, password=password, traffic_interval=traffic_interval
    )
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=device_app))
    client = GatewayClient(gateway, http=http)

    def device_lifespan() -> Lifespan:
        return device_app.router.lifespan_context(device_app)  # type: ignore[return-value]

    return settings, {gateway.id: client}, [device_lifespan, lambda: _closing(http)]


class _closing:
    """Closes the in-process HTTP client at shutdown."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()
