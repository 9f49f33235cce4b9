"""Helpers shared by the tests."""

from __future__ import annotations

from typing import Any

from ultiroam_graphql.config import GatewaySettings


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
