"""Helpers for the bridge tests: a spy on the real Mosquitto, the app with ``[mqtt]``, cleanup.

Every test gets its own topic prefix and discovery prefix, so no test sees another's retained
messages, and clears what it left retained when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
import httpx
from tests.support import TOKEN, Facade

from ultiroam_graphql import create_app
from ultiroam_graphql.config import Settings

WAIT = 15.0
"""Seconds before a wait gives up: a safety net against hanging, never a measurement."""


@dataclass(frozen=True)
class Names:
    """One test's topic prefix and discovery prefix, unique to it."""

    prefix: str
    discovery: str

    @classmethod
    def fresh(cls) -> Names:
        tag = uuid.uuid4().hex[:10]
        return cls(prefix=f"test-{tag}/ultiroam", discovery=f"test-{tag}/homeassistant")

    def mqtt(self, url: str, **overrides: Any) -> dict[str, Any]:
        """An ``[mqtt]`` table for these names."""
        return {
            "url": url,
            "topic_prefix": self.prefix,
            "discovery_prefix": self.discovery,
            "client_id": f"bridge-{self.prefix.split('/')[0]}",
            **overrides,
        }


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 1883


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Spy:
    """Subscribed to everything under a test's prefixes; records each message in order."""

    url: str
    names: Names
    messages: list[Received] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def on(self, topic: str) -> list[Received]:
        return [m for m in self.messages if m.topic == topic]

    def under(self, start: str) -> list[Received]:
        return [m for m in self.messages if m.topic.startswith(start)]

    async def wait_for(self, ready: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(ready)

    async def publish(self, topic: str, payload: bytes | str, *, retain: bool = False) -> None:
        host, port = address(self.url)
        async with aiomqtt.Client(host, port, identifier=f"pub-{uuid.uuid4().hex[:8]}") as c:
            await c.publish(topic, payload, qos=1, retain=retain)

    async def _read(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            async with self._changed:
                self.messages.append(Received(message.topic.value, payload, message.retain))
                self._changed.notify_all()


@contextlib.asynccontextmanager
async def spying(url: str, names: Names) -> AsyncIterator[Spy]:
    """A spy for the time of the block; afterwards every retained message is cleared."""
    host, port = address(url)
    spy = Spy(url, names)
    try:
        async with aiomqtt.Client(host, port, identifier=f"spy-{uuid.uuid4().hex[:8]}") as client:
            await client.subscribe([(f"{names.prefix}/#", 1), (f"{names.discovery}/#", 1)])
            reader = asyncio.create_task(spy._read(client))
            try:
                yield spy
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
    finally:
        await clear_retained(url, names)


async def retained(url: str, names: Names) -> dict[str, bytes]:
    """What the broker keeps retained under the prefixes now, read by a fresh subscriber."""
    host, port = address(url)
    found: dict[str, bytes] = {}
    marker = f"{names.prefix}/test/marker/{uuid.uuid4().hex}"
    async with aiomqtt.Client(host, port, identifier=f"read-{uuid.uuid4().hex[:8]}") as client:
        await client.subscribe([(f"{names.prefix}/#", 1), (f"{names.discovery}/#", 1)])
        await client.publish(marker, b"1", qos=1)
        async with asyncio.timeout(WAIT):
            async for message in client.messages:
                if message.topic.value == marker:
                    break
                if message.retain and isinstance(message.payload, bytes):
                    found[message.topic.value] = message.payload
    return found


async def clear_retained(url: str, names: Names) -> None:
    host, port = address(url)
    topics = await retained(url, names)
    async with aiomqtt.Client(host, port, identifier=f"clean-{uuid.uuid4().hex[:8]}") as client:
        for topic in topics:
            await client.publish(topic, b"", qos=1, retain=True)


def settings(
    facade: Facade, mqtt: dict[str, Any], *, state_dir: str, broker: dict[str, Any] | None = None
) -> Settings:
    return Settings.model_validate(
        {
            "server": {"state_dir": state_dir, "allow_unauthenticated_mutations": True},
            "broker": broker or {},
            "gateways": facade.settings,
            "mqtt": mqtt,
        }
    )


@dataclass
class Running:
    """The app and a client of its HTTP routes (the push webhook)."""

    app: Any
    http: httpx.AsyncClient

    @property
    def bridge(self) -> Any:
        return self.app.state.mqtt

    async def push(self, gateway: str, body: dict[str, Any]) -> int:
        """POST a push body to the webhook; how many events the broker published."""
        response = await self.http.post(f"/push/{gateway}", params={"token": TOKEN}, json=body)
        assert response.status_code == 200, response.text
        return int(response.json()["published"])


@contextlib.asynccontextmanager
async def running(
    facade: Facade,
    mqtt: dict[str, Any],
    *,
    state_dir: str,
    broker: dict[str, Any] | None = None,
    wait: bool = True,
) -> AsyncIterator[Running]:
    """The real app with ``[mqtt]`` over the facade's simulated gateways, lifespan entered."""
    config = settings(facade, mqtt, state_dir=state_dir, broker=broker)
    app = create_app(config, clients=facade.clients)
    async with app.router.lifespan_context(app):
        if wait:
            async with asyncio.timeout(WAIT):
                await app.state.mqtt.ready.wait()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://facade") as http:
            yield Running(app, http)
