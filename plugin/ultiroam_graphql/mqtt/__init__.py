"""The home-automation bridge: gateway state and events to MQTT, Home Assistant discovery, and
(with ``allow_send``) send commands from MQTT. See docs/home-assistant.md.

Modules, one role each: ``topics`` (names), ``payloads`` (JSON out), ``discovery`` (Home
Assistant configs), ``commands`` (the send command), ``ports`` (port state and availability),
``leadership`` (one publisher among instances), ``connection`` (the aiomqtt client),
``session`` (one connection's work), ``bridge`` (reconnects and leadership) and ``cancel``
(cancellations that libraries swallow).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..broker import Broker
from ..config import Settings
from ..gateway import GatewayClient
from ..outbound import Outbound
from .bridge import MqttBridge
from .leadership import Leadership, RedisLease, SoleInstance, leadership_for
from .topics import Topics


def create_bridge(
    settings: Settings,
    gateways: Mapping[str, GatewayClient],
    broker: Broker,
    outbound: Mapping[str, Outbound],
) -> MqttBridge:
    """The bridge for ``settings.mqtt`` (which must be set), elected by the broker's kind."""
    mqtt = settings.mqtt
    if mqtt is None:
        raise ValueError("no [mqtt] section")
    key = f"{settings.broker.prefix}:mqtt:{mqtt.topic_prefix}:leader"
    leadership = leadership_for(settings.broker.url.get_secret_value(), key=key)
    return MqttBridge(mqtt, gateways, broker, outbound, leadership)


__all__ = [
    "Leadership",
    "MqttBridge",
    "RedisLease",
    "SoleInstance",
    "Topics",
    "create_bridge",
    "leadership_for",
]
