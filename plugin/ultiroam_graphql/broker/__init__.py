"""The subscription broker: a small backend interface, fan-out once, bounded subscribers.

The backend is chosen by URL scheme: ``memory://`` (the default, one process), or ``redis://``
and ``rediss://`` (several instances, one audience); redis is imported only when asked for.
"""

from __future__ import annotations

from typing import Any

from .base import Backend
from .broker import Broker, Subscription
from .memory import DEFAULT_RETENTION_EVENTS, DEFAULT_RETENTION_SECONDS, MemoryBackend


class UnsupportedBrokerUrl(ValueError):
    pass


def broker_from_url(
    url: str,
    *,
    prefix: str = "ultiroam-graphql",
    retention_events: int = DEFAULT_RETENTION_EVENTS,
    retention_seconds: float = DEFAULT_RETENTION_SECONDS,
    **options: Any,
) -> Broker:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    backend: Backend
    if scheme == "memory":
        backend = MemoryBackend(
            retention_events=retention_events, retention_seconds=retention_seconds
        )
    elif scheme in ("redis", "rediss"):
        from .redis import RedisBackend

        backend = RedisBackend(
            url,
            prefix=prefix,
            retention_events=retention_events,
            retention_seconds=retention_seconds,
        )
    else:
        raise UnsupportedBrokerUrl(
            f"unsupported broker URL scheme {scheme!r}: use memory://, redis:// or rediss://"
        )
    return Broker(backend, **options)


__all__ = ["Backend", "Broker", "MemoryBackend", "Subscription", "broker_from_url"]
