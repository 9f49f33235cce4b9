"""One connected session of the leading bridge: set-up, then events, state and commands.

Set-up, in order: read the retained index and clear what is no longer wanted (a gateway gone
from the config, ports removed, discovery turned off); publish discovery and the new index;
start reading the broker feed; publish ``online``. Then, until the connection or the
leadership ends: events to their topics, port state and availability, Home Assistant's birth
message (republish everything), send commands (only with ``allow_send``), and a watch on
``<prefix>/status`` that puts back ``online`` when an old instance's last will overwrote it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Mapping

import aiomqtt

from ..broker import Broker
from ..config import MqttSettings
from ..errors import BadUserInput, BrokerUnavailable, CursorExpired, SubscriptionOverflow
from ..events import Event
from ..gateway import GatewayClient
from ..outbound import Outbound
from .cancel import raise_if_cancelled
from .commands import refusal, run_command
from .discovery import GatewayDevice, gateway_configs
from .leadership import Leadership
from .payloads import encode, event_payload
from .ports import PortWatcher, RetainedStore
from .topics import ONLINE, Topics

log = logging.getLogger(__name__)

QOS = 1
INDEX_WAIT_SECONDS = 5.0
MAX_COMMANDS_IN_FLIGHT = 16
BROKER_RETRY_SECONDS = 1.0
RESUME_SECONDS = 15 * 60.0
"""Events missed for longer than this are not published late: automations must not fire on
stale news (an SMS "lights on" from an hour ago). Shorter gaps are filled from the broker's log."""
HEARTBEAT_SECONDS = 5.0
FEED_KINDS = frozenset({"sms_result", "sms_deliver_status", "sms", "register", "device"})
"""What the bridge reads from the broker feed: events to publish, and hints to poll ports."""


class Session:
    """The bridge over one MQTT connection, while this instance leads."""

    def __init__(
        self,
        client: aiomqtt.Client,
        settings: MqttSettings,
        gateways: Mapping[str, GatewayClient],
        broker: Broker,
        outbound: Mapping[str, Outbound],
        leadership: Leadership,
        *,
        ready: asyncio.Event,
    ) -> None:
        self.client = client
        self.settings = settings
        self.gateways = gateways
        self.broker = broker
        self.outbound = outbound
        self.leadership = leadership
        self.topics = Topics(settings.topic_prefix, settings.discovery_prefix)
        self.store = RetainedStore(self._publish_retained)
        self.watchers = {
            gateway_id: PortWatcher(
                client_,
                self.topics,
                self.store,
                interval=settings.port_state_interval,
                on_serial=lambda sn, gateway_id=gateway_id: self._discover(gateway_id),
            )
            for gateway_id, client_ in gateways.items()
        }
        self._ready = ready
        self._cursor: str | None = None  # the last event published
        self._commands: set[asyncio.Task[None]] = set()
        self.subscribed: list[str] = []
        """The topics this session listens to (the send topics only with ``allow_send``)."""

    async def run(self) -> None:
        """Serve until the connection fails (MqttError) or the task is cancelled."""
        stale = await self._read_index()
        wanted = self._retained_topics()
        for topic in sorted(stale - wanted):
            await self._publish_retained(topic, b"")  # an empty retained payload deletes it
        if self.settings.discovery:
            for gateway_id in self.gateways:
                await self._discover(gateway_id)
        index = json.dumps({"topics": sorted(wanted)}, separators=(",", ":")).encode()
        await self._publish_retained(self.topics.retained_index, index)
        listening = asyncio.Event()
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._pump(listening))
                await listening.wait()
                await self._subscribe()
                await self._publish_retained(self.topics.status, ONLINE)
                await self.client.subscribe(self.topics.status, qos=QOS)
                raise_if_cancelled()
                self.subscribed.append(self.topics.status)
                for watcher in self.watchers.values():
                    tasks.create_task(watcher.run())
                tasks.create_task(self._heartbeat())
                self._ready.set()
                await self._handle_messages()
        except* aiomqtt.MqttError as group:
            raise group.exceptions[0] from None
        finally:
            self._ready.clear()
            for task in self._commands:
                task.cancel()

    def _retained_topics(self) -> set[str]:
        """Every retained topic this configuration owns, but the status and the index."""
        topics: set[str] = set()
        for gateway_id, client in self.gateways.items():
            topics.add(self.topics.availability(gateway_id))
            topics.update(
                self.topics.port_state(gateway_id, p) for p in range(client.settings.ports)
            )
            if self.settings.discovery:
                topics.update(gateway_configs(self.topics, self._device(gateway_id), **self._send))
        return topics

    @property
    def _send(self) -> dict[str, tuple[str, ...] | None]:
        recipients = self.settings.notify_recipients if self.settings.allow_send else None
        return {"notify_recipients": recipients}

    def _device(self, gateway_id: str) -> GatewayDevice:
        client = self.gateways[gateway_id]
        return GatewayDevice(gateway_id, client.settings.ports, client.sn, client.settings.url)

    async def _discover(self, gateway_id: str) -> None:
        """Publish (again) every discovery config of one gateway: its serial may be new."""
        device = self._device(gateway_id)
        self.watchers[gateway_id].announced_serial = device.sn
        if not self.settings.discovery:
            return
        for topic, config in gateway_configs(self.topics, device, **self._send).items():
            await self._publish_retained(topic, encode(config))

    async def _read_index(self) -> set[str]:
        """The topics the last run left retained, read before anything else is subscribed.

        The broker sends retained messages when the subscription is made; a marker published
        afterwards on a private topic comes back after them, so its arrival ends the wait.
        """
        index, marker = self.topics.retained_index, self.topics.sync(uuid.uuid4().hex)
        await self.client.subscribe([(index, QOS), (marker, QOS)])
        raise_if_cancelled()
        await self._publish(marker, b"1")
        found: set[str] = set()
        try:
            async with asyncio.timeout(INDEX_WAIT_SECONDS):
                async for message in self.client.messages:
                    if message.topic.value == marker:
                        break
                    if message.topic.value == index:
                        found = _index_topics(message.payload)
        except TimeoutError:
            log.warning("mqtt: the retained index did not come back; nothing old is cleared")
        await self.client.unsubscribe([index, marker])
        raise_if_cancelled()
        return found

    async def _subscribe(self) -> None:
        subscriptions = [(self.topics.home_assistant_status, QOS)]
        if self.settings.allow_send:  # off: the send topic is not even subscribed
            # QoS 0 from the broker: a command is never delivered twice, so never sent twice
            subscriptions += [(self.topics.send(gateway_id), 0) for gateway_id in self.gateways]
        await self.client.subscribe(subscriptions)
        raise_if_cancelled()
        self.subscribed += [topic for topic, _ in subscriptions]

    async def _handle_messages(self) -> None:
        async for message in self.client.messages:
            topic, payload = message.topic.value, _bytes(message.payload)
            if topic == self.topics.home_assistant_status:
                if payload.strip() == ONLINE and not message.retain:
                    log.info("mqtt: Home Assistant is back; publishing discovery and state again")
                    await self._republish()
            elif topic == self.topics.status:
                if payload != ONLINE:  # an old instance's last will: this one still leads
                    await self._publish_retained(self.topics.status, ONLINE)
            else:
                gateway_id = self.topics.gateway_of(topic, "send")
                if gateway_id in self.gateways and self.settings.allow_send:
                    self._command(gateway_id, payload, retained=message.retain)

    async def _republish(self) -> None:
        for gateway_id in self.gateways:
            await self._discover(gateway_id)
        await self.store.republish()
        await self._publish_retained(self.topics.status, ONLINE)

    def _command(self, gateway_id: str, payload: bytes, *, retained: bool) -> None:
        if retained:
            reply = refusal("a retained send command is never run: publish it without retain")
            self._spawn(self._reply(gateway_id, reply))
        elif len(self._commands) >= MAX_COMMANDS_IN_FLIGHT:
            message = f"more than {MAX_COMMANDS_IN_FLIGHT} send commands in progress; try later"
            self._spawn(self._reply(gateway_id, refusal(message, code="RATE_LIMITED")))
        else:
            client, outbound = self.gateways[gateway_id], self.outbound[gateway_id]
            self._spawn(self._run_command(client, outbound, payload))

    def _spawn(self, work: object) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)  # type: ignore[arg-type]
        self._commands.add(task)
        task.add_done_callback(self._commands.discard)

    async def _run_command(self, client: GatewayClient, outbound: Outbound, payload: bytes) -> None:
        await self._reply(client.id, await run_command(client, outbound, payload))

    async def _reply(self, gateway_id: str, reply: bytes) -> None:
        try:
            await self._publish(self.topics.send_result(gateway_id), reply)
        except aiomqtt.MqttError as exc:
            log.warning("mqtt: the reply to a send command was lost: %s", exc)

    async def _pump(self, listening: asyncio.Event) -> None:
        """Broker feed -> MQTT, resuming after the last event published (no gap, no repeat)."""
        self._cursor = await self.leadership.load_cursor(max_age=RESUME_SECONDS)
        raise_if_cancelled()
        while True:
            try:
                async with self.broker.subscribe(self._wanted, after=self._cursor) as events:
                    listening.set()
                    async for event in events:
                        await self._forward(event)
                        if event.cursor is not None:
                            self._cursor = event.cursor
                            await self.leadership.save_cursor(event.cursor)
                            raise_if_cancelled()
            except (CursorExpired, BadUserInput) as exc:
                log.warning(
                    "mqtt: cannot resume after %s (%s); events from now on", self._cursor, exc
                )
                self._cursor = None
            except (SubscriptionOverflow, BrokerUnavailable) as exc:
                log.warning("mqtt: the event feed was interrupted (%s); resuming", exc.code)
                await asyncio.sleep(BROKER_RETRY_SECONDS)

    async def _heartbeat(self) -> None:
        """The cursor saved again every few seconds: it says the bridge served until now."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if self._cursor is not None:
                await self.leadership.save_cursor(self._cursor)
                raise_if_cancelled()

    def _wanted(self, event: Event) -> bool:
        return event.kind in FEED_KINDS and event.gateway_id in self.gateways

    async def _forward(self, event: Event) -> None:
        watcher = self.watchers[event.gateway_id]
        if event.kind in ("register", "device") or watcher.online is False:
            watcher.poke()
        try:
            payload = event_payload(event)
        except Exception:  # an event the bridge cannot shape is skipped, never fatal
            log.warning("mqtt: skipped a %s event it cannot publish", event.kind, exc_info=True)
            return
        if payload is not None:
            await self._publish(self.topics.event(event.gateway_id, event.kind), payload)

    async def _publish_retained(self, topic: str, payload: bytes) -> None:
        await self._publish(topic, payload, retain=True)

    async def _publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        await self.client.publish(topic, payload, qos=QOS, retain=retain)
        raise_if_cancelled()


def _bytes(payload: object) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, bytearray):
        return bytes(payload)
    return str(payload if payload is not None else "").encode()


def _index_topics(payload: object) -> set[str]:
    """The topics of an index message; nothing from one that is not ours or is damaged."""
    try:
        topics = json.loads(_bytes(payload)).get("topics", [])
    except (ValueError, AttributeError, RecursionError):
        return set()
    return (
        {t for t in topics if isinstance(t, str) and t and "+" not in t and "#" not in t}
        if isinstance(topics, list)
        else set()
    )
