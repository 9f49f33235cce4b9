"""Helpers shared by the tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import uvicorn
from websockets.asyncio.client import connect

from ultiroam_graphql import create_app
from ultiroam_graphql.config import GatewaySettings, Settings
from ultiroam_graphql.gateway import GatewayClient
from ultiroam_graphql.simulator import ManualClock, SimulatedGateway, create_simulator_app

PUSH_EXAMPLES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "push_examples.json").read_text()
)
"""One example body element (or object) per push kind, shaped as the manual gives them."""

START = 1_714_730_400.0
"""2024-05-03 10:00:00 UTC: the simulated devices' clock in tests."""


def gateway_settings(**overrides: Any) -> GatewaySettings:
    """Gateway settings validated the way a config file's table would be."""
    data: dict[str, Any] = {
        "id": "office",
        "url": "http://gw.test",
        "username": "admin",
        "password": "s3cret-pass",
        "auth": "digest",
    }
    data.update(overrides)
    return GatewaySettings.model_validate(data)


class Facade:
    """The real ASGI app over in-process simulated gateways, one GraphQL POST at a time."""

    def __init__(self) -> None:
        self.devices: dict[str, SimulatedGateway] = {}
        self.clients: dict[str, GatewayClient] = {}
        self.settings: list[GatewaySettings] = []
        self._http: list[httpx.AsyncClient] = []
        self._api: httpx.AsyncClient | None = None
        self._lifespan = contextlib.AsyncExitStack()
        self._state_dir = tempfile.TemporaryDirectory(prefix="ultiroam-test-")
        self.app: Any = None

    def add_device(
        self,
        gateway_id: str,
        *,
        device: SimulatedGateway | None = None,
        device_auth: str = "digest",
        device_password: str = "s3cret-pass",
        transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> SimulatedGateway:
        """A gateway backed by a simulator (or by ``transport``), configured like a real one."""
        overrides.setdefault("inbox_poll_interval", 0)
        settings = gateway_settings(id=gateway_id, url=f"http://{gateway_id}.test", **overrides)
        device = device or SimulatedGateway(
            ports=settings.ports, timezone=settings.timezone, clock=ManualClock(START)
        )
        if transport is None:
            app = create_simulator_app(
                device,
                username="admin",
                password=device_password,
                auth=device_auth,  # type: ignore[arg-type]
            )
            transport = httpx.ASGITransport(app=InFlight(app, self))
        http = httpx.AsyncClient(transport=transport)
        self._http.append(http)
        self.devices[gateway_id] = device
        self.settings.append(settings)
        self.clients[gateway_id] = GatewayClient(settings, http=http)
        return device

    in_flight = 0
    peak_in_flight = 0

    async def start(self, **server: Any) -> httpx.AsyncClient:
        """The app over the devices added so far, its lifespan entered (once)."""
        if self._api is None:
            server.setdefault("state_dir", self._state_dir.name)
            settings = Settings.model_validate({"server": server, "gateways": self.settings})
            self.app = create_app(settings, clients=self.clients)
            await self._lifespan.enter_async_context(self.app.router.lifespan_context(self.app))
            self._api = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app), base_url="http://facade"
            )
        return self._api

    async def query(self, query: str, **variables: Any) -> dict[str, Any]:
        api = await self.start()
        response = await api.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        return response.json()

    def calls(self, gateway_id: str = "office") -> int:
        return self.devices[gateway_id].calls["query_sms_result"]

    async def aclose(self) -> None:
        await self._lifespan.aclose()
        self._state_dir.cleanup()
        for http in self._http:
            await http.aclose()
        if self._api is not None:
            await self._api.aclose()


class InFlight:
    """ASGI wrapper that counts requests in flight at a device and yields to let others in."""

    def __init__(self, app: Any, facade: Facade) -> None:
        self.app = app
        self.facade = facade

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.facade.in_flight += 1
        self.facade.peak_in_flight = max(self.facade.peak_in_flight, self.facade.in_flight)
        try:
            for _ in range(3):
                await asyncio.sleep(0)
            await self.app(scope, receive, send)
        finally:
            self.facade.in_flight -= 1


TOKEN = "push-token"
"""The push token of the gateways in WebSocket tests."""


class Server:
    def __init__(self, port: int, app: Any) -> None:
        self.port = port
        self.broker = app.state.broker
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}")

    async def push(self, gateway: str, **body: Any) -> None:
        response = await self.http.post(f"/push/{gateway}", params={"token": TOKEN}, json=body)
        assert response.status_code == 200, response.text

    def ws(self, protocol: str) -> Any:
        return connect(f"ws://127.0.0.1:{self.port}/graphql", subprotocols=[protocol])


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[Server]:
    """``app`` under a real uvicorn on a free port, for the time of the block."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uvicorn_server = uvicorn.Server(config)
    task = asyncio.create_task(uvicorn_server.serve())
    for _ in range(500):
        if uvicorn_server.started:
            break
        await asyncio.sleep(0.01)
    server = Server(port, app)
    try:
        yield server
    finally:
        await server.http.aclose()
        uvicorn_server.should_exit = True
        await task


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Bounded wait for a child's socket; a child that died is reported with its output."""
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


class Spawned(NamedTuple):
    process: subprocess.Popen[bytes]
    log: Path


@contextlib.contextmanager
def commands(directory: Path) -> Iterator[Callable[..., Spawned]]:
    """Starts ``ultiroam-graphql`` commands, their output to files (never to a full pipe), each
    once it listens on ``port``; stops those still running at the end."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(*args: str, port: int, env: dict[str, str] | None = None) -> Spawned:
        log = directory / f"{args[0]}-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "ultiroam_graphql", *args],
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )
        processes.append(process)
        wait_until_listening(port, process, log)
        return Spawned(process, log)

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
