"""The aiomqtt client for ``[mqtt]``: address, TLS, credentials and the last will."""

from __future__ import annotations

import logging
import ssl
from urllib.parse import urlsplit

import aiomqtt

from ..config import MqttSettings

KEEPALIVE_SECONDS = 30
"""A bridge that vanishes without closing its connection is declared offline after 1.5 x this."""
TIMEOUT_SECONDS = 10.0
MAX_QUEUED_INCOMING = 1000
"""Messages waiting to be handled (commands, Home Assistant's status); more are dropped."""
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


def broker_address(url: str) -> str:
    """``scheme://host:port``: the URL never holds credentials (the config refuses them)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or DEFAULT_PORTS[parts.scheme]}"


def mqtt_client(settings: MqttSettings, *, identifier: str, will: aiomqtt.Will) -> aiomqtt.Client:
    """A new client (aiomqtt clients are made per connection attempt, in the running loop)."""
    parts = urlsplit(settings.url)
    tls = parts.scheme == "mqtts"
    username, password = settings.credentials
    return aiomqtt.Client(
        parts.hostname or "127.0.0.1",
        parts.port or DEFAULT_PORTS[parts.scheme],
        username=username,
        password=password,
        identifier=identifier,
        will=will,
        clean_session=True,
        keepalive=KEEPALIVE_SECONDS,
        timeout=TIMEOUT_SECONDS,
        tls_context=ssl.create_default_context(cafile=settings.ca_file) if tls else None,
        max_queued_incoming_messages=MAX_QUEUED_INCOMING,
        logger=logging.getLogger("ultiroam_graphql.mqtt.client"),
    )
