"""``MqttBridge``: leads or waits, connects and reconnects with backoff, serves sessions.

``<prefix>/status`` means "a bridge instance is publishing right now". Only the leading
instance connects to MQTT, with ``offline`` (retained) as its last will, so the hub shows the
bridge offline the moment the leader dies; a leader that stops, or loses its lease, says
``offline`` itself before it disconnects; and the leader puts ``online`` back whenever it sees
``offline`` there (an old leader's will arriving late). Instances waiting for the lease hold no
MQTT connection at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence

import aiomqtt

from ..broker import Broker
from ..config import MqttSettings
from ..gateway import GatewayClient
from ..outbound import Outbound
from .cancel import cancel_and_wait
from .connection import broker_address, mqtt_client
from .leadership import Leadership
from .session import QOS, Session
from .topics import OFFLINE, Topics

log = logging.getLogger(__name__)

RECONNECT_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds before each new attempt after a failure; the last one repeats."""
GOODBYE_SECONDS = 2.0


class MqttBridge:
    """The home-automation bridge of one facade instance (see docs/home-assistant.md)."""

    def __init__(
        self,
        settings: MqttSettings,
        gateways: Mapping[str, GatewayClient],
        broker: Broker,
        outbound: Mapping[str, Outbound],
        leadership: Leadership,
        *,
        reconnect_delays: Sequence[float] = RECONNECT_DELAYS,
    ) -> None:
        self.settings = settings
        self.gateways = gateways
        self.broker = broker
        self.outbound = outbound
        self.leadership = leadership
        self.topics = Topics(settings.topic_prefix, settings.discovery_prefix)
        self.address = broker_address(settings.url)
        self.identifier = settings.client_id + (
            f"-{leadership.instance}" if leadership.instance else ""
        )
        self.reconnect_delays = tuple(reconnect_delays)
        self.ready = asyncio.Event()
        """Set while a session serves: discovery published, the feed read, ``online`` sent."""
        self.sessions = 0
        """Sessions started so far (a reconnect starts a new one)."""
        self.session: Session | None = None
        """The session serving now, or the last one."""
        self.failures = 0
        """Connections that failed or were lost so far."""
        self._down_since_logged = False

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[MqttBridge]:
        """Run in the background for the time of the block (the app's lifespan)."""
        task = asyncio.create_task(self.run(), name="mqtt-bridge")
        try:
            yield self
        finally:
            await cancel_and_wait(task)
            await self.leadership.aclose()

    async def run(self) -> None:
        """Lead (or wait to), serve while leading, and start again when leadership ends."""
        while True:
            await self.leadership.acquire()
            serving = asyncio.create_task(self._connected_loop(), name="mqtt-sessions")
            holding = asyncio.create_task(self.leadership.hold(), name="mqtt-lease")
            try:
                await asyncio.wait({serving, holding}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (serving, holding):
                    await cancel_and_wait(task)

    async def _connected_loop(self) -> None:
        """Connect, serve, and after any failure wait a little longer before trying again."""
        attempt = 0
        while True:
            try:
                async with self._client() as client:
                    attempt = 0
                    self._connected()
                    await self._serve(client)
            except aiomqtt.MqttError as exc:
                self._disconnected(exc)
            except Exception:  # a bug must not end the bridge for good: log, start again
                log.exception("mqtt: the bridge failed; starting again")
            delay = self.reconnect_delays[min(attempt, len(self.reconnect_delays) - 1)]
            attempt += 1
            await asyncio.sleep(delay)

    async def _serve(self, client: aiomqtt.Client) -> None:
        session = Session(
            client,
            self.settings,
            self.gateways,
            self.broker,
            self.outbound,
            self.leadership,
            ready=self.ready,
        )
        self.sessions += 1
        self.session = session
        try:
            await session.run()
        except asyncio.CancelledError:
            # Stopping, or no longer leading: say so now rather than leave "online" behind.
            with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
                async with asyncio.timeout(GOODBYE_SECONDS):
                    await client.publish(self.topics.status, OFFLINE, qos=QOS, retain=True)
            raise

    def _client(self) -> aiomqtt.Client:
        will = aiomqtt.Will(self.topics.status, OFFLINE, qos=QOS, retain=True)
        return mqtt_client(self.settings, identifier=self.identifier, will=will)

    def _connected(self) -> None:
        log.info("mqtt: connected to %s as %s", self.address, self.identifier)
        self._down_since_logged = False

    def _disconnected(self, exc: aiomqtt.MqttError) -> None:
        self.failures += 1
        if not self._down_since_logged:
            log.warning("mqtt: no connection to %s (%s); retrying", self.address, exc)
        self._down_since_logged = True
