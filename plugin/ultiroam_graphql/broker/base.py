"""The backend interface: what the broker needs from a transport, and nothing more."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One encoded event to publish, with what recognises it when it is sent again."""

    payload: bytes
    dedupe_key: str
    dedupe_ttl: float


class Backend(ABC):
    """Carries encoded events between the processes that share one audience, and keeps a log.

    ``publish`` returns once the event is durably accepted (in the log); ``listen`` yields every
    event published by any process, in order, each with its cursor, surviving reconnects;
    ``replay`` yields the logged events after a cursor, up to now.
    """

    @property
    @abstractmethod
    def connected(self) -> bool:
        """Whether events can be published and received right now."""

    @property
    @abstractmethod
    def description(self) -> str:
        """Where events go, for people: no password."""

    @abstractmethod
    async def connect(self) -> None:
        """Start; a backend that cannot connect yet keeps trying rather than raise."""

    @abstractmethod
    async def disconnect(self) -> None: ...

    @abstractmethod
    async def publish(self, events: Sequence[Outgoing]) -> list[str | None]:
        """Log and send encoded events, all or none; each one's cursor, or None for an event
        whose dedupe key was seen within its ttl (a push sent again). Raises BrokerUnavailable."""

    @abstractmethod
    def listen(self) -> AsyncIterator[tuple[str, bytes]]:
        """Every published event from now on, as (cursor, payload)."""

    @abstractmethod
    def replay(self, after: str) -> AsyncIterator[tuple[str, bytes]]:
        """The logged events after ``after``, oldest first. Raises CursorExpired when events
        after it are no longer kept, BadUserInput for a string that is no cursor."""
