"""Port state and gateway availability, kept retained on the broker.

Each gateway is polled with one ``get_port_info`` call for all its ports every
``port_state_interval`` seconds, and at once when a ``register`` or ``device`` push says
something changed. A poll that reaches the device makes the gateway ``online``; one that
cannot reach it (connect error, timeout, open circuit) or is refused its credentials makes it
``offline``. Only changed payloads are published; :class:`RetainedStore` can send them all
again (after a reconnect, or when Home Assistant comes back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from ..errors import GatewayAuthFailed, GatewayError, GatewayUnavailable
from ..gateway import GatewayClient
from .cancel import raise_if_cancelled
from .payloads import encode, port_state
from .topics import OFFLINE, ONLINE, Topics

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], Awaitable[None]]


class RetainedStore:
    """The retained payloads last published, by topic; unchanged ones are not sent again."""

    def __init__(self, publish: Publish) -> None:
        self._publish = publish
        self._payloads: dict[str, bytes] = {}

    async def put(self, topic: str, payload: bytes) -> None:
        if self._payloads.get(topic) != payload:
            await self._publish(topic, payload)
            self._payloads[topic] = payload

    async def republish(self) -> None:
        for topic, payload in list(self._payloads.items()):
            await self._publish(topic, payload)

    def forget(self) -> None:
        """After a reconnect nothing is assumed to be on the broker any more."""
        self._payloads.clear()


class PortWatcher:
    """Polls one gateway's ports; publishes its availability and each port's state."""

    def __init__(
        self,
        client: GatewayClient,
        topics: Topics,
        store: RetainedStore,
        *,
        interval: float,
        on_serial: Callable[[str], Awaitable[None]],
    ) -> None:
        self.client = client
        self.topics = topics
        self.store = store
        self.interval = interval
        self.on_serial = on_serial
        self._poke = asyncio.Event()
        self.online: bool | None = None
        self.announced_serial: str | None = None
        """The serial number in the discovery configs last published (set by their publisher)."""

    def poke(self) -> None:
        """Poll again now (a port changed, or a gateway thought down has spoken)."""
        self._poke.set()

    async def run(self) -> None:
        while True:
            self._poke.clear()
            await self.poll()
            raise_if_cancelled()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._poke.wait()

    async def poll(self) -> None:
        """One ``get_port_info``; MQTT failures propagate, gateway failures are state."""
        try:
            records = await self.client.get_port_info()
        except (GatewayUnavailable, GatewayAuthFailed) as exc:
            await self._set_online(False, reason=str(exc))
            return
        except GatewayError as exc:  # it answered, if not as asked: reachable, state unknown
            log.warning("mqtt: port state of %s unavailable: %s", self.client.id, exc)
            await self._set_online(True)
            return
        await self._set_online(True)
        for record in records:
            if 0 <= record.port < self.client.settings.ports:
                topic = self.topics.port_state(self.client.id, record.port)
                await self.store.put(topic, encode(port_state(record)))
        if self.client.sn and self.client.sn != self.announced_serial:
            await self.on_serial(self.client.sn)

    async def _set_online(self, online: bool, *, reason: str = "") -> None:
        if online != self.online and self.online is not None:
            if online:
                log.info("mqtt: gateway %s is available again", self.client.id)
            else:
                log.warning("mqtt: gateway %s is unavailable: %s", self.client.id, reason)
        self.online = online
        await self.store.put(
            self.topics.availability(self.client.id), ONLINE if online else OFFLINE
        )
