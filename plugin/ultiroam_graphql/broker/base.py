"""The backend interface: what the broker needs from a transport, and nothing more."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator


class Backend(ABC):
    """Carries encoded events between the processes that share one audience.

    ``publish`` returns once the event is accepted by the backend; ``listen`` yields every event
    published by any process, in order, each with the cursor the backend gave it.
    """

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def disconnect(self) -> None: ...

    @abstractmethod
    async def publish(self, payload: bytes) -> str:
        """Accept one encoded event; return its cursor."""

    @abstractmethod
    def listen(self) -> AsyncIterator[tuple[str, bytes]]:
        """Every published event from now on, as (cursor, payload)."""

    @abstractmethod
    async def first_time(self, key: str, *, ttl: float) -> bool:
        """True the first time ``key`` is seen within ``ttl`` seconds (re-sent pushes)."""
