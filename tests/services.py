"""Real services for tests: skipped with a reason when absent, a failure when CI requires them."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

REDIS_URL = os.environ.get("ULTIROAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_redis() -> str:
    """The test Redis URL; skip (or, with REQUIRE_SERVICES=1, fail) when nothing listens there."""
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1):
            return REDIS_URL
    except OSError as exc:
        reason = f"Redis is not reachable at {REDIS_URL} ({exc}); set ULTIROAM_TEST_REDIS_URL"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)


MQTT_URL = os.environ.get("ULTIROAM_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


def require_mqtt() -> str:
    """The test MQTT broker's URL (Mosquitto); skip (or, with REQUIRE_SERVICES=1, fail) when
    nothing listens there."""
    parts = urlsplit(MQTT_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 1883), 1):
            return MQTT_URL
    except OSError as exc:
        reason = f"no MQTT broker at {MQTT_URL} ({exc}); set ULTIROAM_TEST_MQTT_URL"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)
