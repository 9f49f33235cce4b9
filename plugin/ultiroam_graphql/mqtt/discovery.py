"""Home Assistant MQTT discovery: one device per gateway, its entities, their config payloads.

Each payload follows Home Assistant's documented discovery schema (full key names, no
abbreviations): a ``device`` block shared by the gateway's entities, an ``origin`` block, a
``unique_id`` built from the topic prefix, the gateway id and the entity's role (stable across
restarts), and both availability topics with ``availability_mode: all``, so an entity is
available only while the bridge runs *and* its gateway answers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from .topics import Topics

MANUFACTURER = "Ultiroam / Dinstar"
INCOMING_EVENT_TYPES = ("received",)
REPORT_EVENT_TYPES = ("delivered", "pending", "failed")
"""Delivery report event types: TP-Status 0; 32-63 (the network still tries); anything else."""
INCOMING_TEMPLATE = "{{ dict(value_json, event_type='received') | to_json }}"
REPORT_TEMPLATE = (
    "{{ dict(value_json, event_type=('delivered' if value_json.delivered else "
    "('pending' if 32 <= value_json.statusCode < 64 else 'failed'))) | to_json }}"
)


@dataclass(frozen=True, slots=True)
class GatewayDevice:
    """What Home Assistant learns about one gateway."""

    id: str
    ports: int
    sn: str | None
    url: str


@dataclass(frozen=True, slots=True)
class Sensor:
    """One per-port sensor: the port state field it shows (also its role in the unique id)."""

    field: str
    icon: str
    extra: tuple[tuple[str, Any], ...] = ()


PORT_SENSORS = (
    Sensor("signal", "mdi:signal", (("state_class", "measurement"),)),
    Sensor("registration", "mdi:sim", (("json_attributes", True),)),
    Sensor("operator", "mdi:radio-tower"),
    Sensor("balance", "mdi:cash"),
)
"""Signal is CSQ (0..31, as the API's PortState.signal); the registration sensor carries the
whole port state as attributes."""


def origin() -> dict[str, str]:
    try:
        version = metadata.version("ultiroam-graphql")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        version = "unknown"
    return {"name": "ultiroam-graphql", "sw_version": version}


def device_block(topics: Topics, gateway: GatewayDevice) -> dict[str, Any]:
    """The device registry entry; the serial number once the gateway has given it."""
    device: dict[str, Any] = {
        "identifiers": [topics.unique_id(gateway.id, "gateway")],
        "name": f"SMS gateway {gateway.id}",
        "manufacturer": MANUFACTURER,
        "model": f"{gateway.ports}-port GSM SMS gateway",
        "configuration_url": gateway.url,
    }
    if gateway.sn:
        device["serial_number"] = gateway.sn
    return device


def _common(topics: Topics, gateway: GatewayDevice, role: str, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "unique_id": topics.unique_id(gateway.id, role),
        "device": device_block(topics, gateway),
        "origin": origin(),
        "availability": [
            {"topic": topics.status},
            {"topic": topics.availability(gateway.id)},
        ],
        "availability_mode": "all",
    }


def _sensor(topics: Topics, gateway: GatewayDevice, port: int, sensor: Sensor) -> dict[str, Any]:
    state_topic = topics.port_state(gateway.id, port)
    config = _common(topics, gateway, f"port{port}_{sensor.field}", f"Port {port} {sensor.field}")
    config.update(
        state_topic=state_topic,
        value_template=f"{{{{ value_json.{sensor.field} }}}}",
        icon=sensor.icon,
    )
    for key, value in sensor.extra:
        if key == "json_attributes":
            config["json_attributes_topic"] = state_topic
        else:
            config[key] = value
    return config


def _event(
    topics: Topics, gateway: GatewayDevice, role: str, name: str, kind: str, types: Sequence[str]
) -> dict[str, Any]:
    config = _common(topics, gateway, role, name)
    config.update(
        state_topic=topics.event(gateway.id, kind),  # type: ignore[arg-type]
        event_types=list(types),
        value_template=INCOMING_TEMPLATE if kind == "sms" else REPORT_TEMPLATE,
        icon="mdi:message-text" if kind == "sms" else "mdi:message-check",
    )
    return config


def _notify(topics: Topics, gateway: GatewayDevice, recipients: Sequence[str]) -> dict[str, Any]:
    """A notify entity whose message is texted to ``recipients`` through the send command."""
    config = _common(topics, gateway, "send_sms", "Send SMS")
    numbers = json.dumps([{"number": number} for number in recipients], separators=(",", ":"))
    config.update(
        command_topic=topics.send(gateway.id),
        command_template=(
            '{"text": {{ value | to_json }}, "recipients": ' + numbers + ", "
            '"correlationId": "home-assistant"}'
        ),
        icon="mdi:message-arrow-right",
    )
    return config


def gateway_configs(
    topics: Topics, gateway: GatewayDevice, *, notify_recipients: Sequence[str] | None
) -> dict[str, dict[str, Any]]:
    """Discovery topic -> config payload for every entity of ``gateway``.

    ``notify_recipients`` is None when sending is off; an empty list also means no notify
    entity, as it would have no one to text.
    """
    configs: dict[str, dict[str, Any]] = {}

    def add(component: str, config: dict[str, Any]) -> None:
        configs[topics.discovery(component, config["unique_id"])] = config

    for port in range(gateway.ports):
        for sensor in PORT_SENSORS:
            add("sensor", _sensor(topics, gateway, port, sensor))
    add(
        "event",
        _event(topics, gateway, "incoming_sms", "Incoming SMS", "sms", INCOMING_EVENT_TYPES),
    )
    add(
        "event",
        _event(
            topics,
            gateway,
            "delivery_report",
            "Delivery report",
            "sms_deliver_status",
            REPORT_EVENT_TYPES,
        ),
    )
    if notify_recipients:
        add("notify", _notify(topics, gateway, notify_recipients))
    return configs
