"""The subscription broker: a small backend interface, fan-out once, bounded subscribers.

The backend is chosen by URL scheme: ``memory://`` (the default, one process).
"""

from __future__ import annotations

from typing import Any

from .base import Backend
from .broker import Broker, Subscription
from .memory import MemoryBackend


class UnsupportedBrokerUrl(ValueError):
    pass


def broker_from_url(url: str, **options: Any) -> Broker:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "memory":
        return Broker(MemoryBackend(), **options)
    raise UnsupportedBrokerUrl(f"unsupported broker URL scheme {scheme!r}: use memory://")


__all__ = ["Backend", "Broker", "MemoryBackend", "Subscription", "broker_from_url"]
