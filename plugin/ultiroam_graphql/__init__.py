"""ultiroam-graphql: a typed GraphQL API and push hub in front of GSM SMS gateways."""

from .app import create_app
from .config import ConfigError, Settings, load_settings
from .errors import (
    BadUserInput,
    GatewayAuthFailed,
    GatewayError,
    GatewayProtocolError,
    GatewayRejected,
    GatewayUnavailable,
    UltiroamError,
    UnknownGateway,
)
from .gateway import GatewayClient

__all__ = [
    "BadUserInput",
    "ConfigError",
    "GatewayAuthFailed",
    "GatewayClient",
    "GatewayError",
    "GatewayProtocolError",
    "GatewayRejected",
    "GatewayUnavailable",
    "Settings",
    "UltiroamError",
    "UnknownGateway",
    "create_app",
    "load_settings",
]
