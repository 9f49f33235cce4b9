"""Received SMS: the device's inbox, with its read/unread flags and the `query_incoming_sms`
filters (§3.4).

`flag=unread` (the default) marks what it returns as read, as on a real device; `flag=all` with an
`incoming_sms_id` high-water mark is the side-effect-free way to poll.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

from .query import QueryError, comma_ports
from .record import MAX_NUMBER_BYTES

IncomingFlag = Literal["unread", "read", "all"]
INCOMING_FLAGS: tuple[IncomingFlag, ...] = ("unread", "read", "all")
MAX_INCOMING = 10_000
"""Oldest received SMS are forgotten past this (ids keep increasing)."""
_UINT = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class IncomingRecord:
    """One received SMS as the device stores it."""

    incoming_sms_id: int
    """Increasing from 1, never reused while the device runs."""
    port: int
    number: str
    """The sender as the network gave it: a number, a short code or an alphanumeric id."""
    smsc: str
    text: str
    received_at: float
    """Epoch seconds; on the wire as gateway-local `timestamp`."""
    imsi: str
    """IMSI of the receiving SIM, as stored (may carry a trailing space)."""


@dataclass(frozen=True, slots=True)
class IncomingQuery:
    """Parsed `query_incoming_sms` parameters."""

    after_id: int = 0
    flag: IncomingFlag = "unread"
    ports: frozenset[int] | None = None


class Inbox:
    """Received SMS in id order, bounded, with the set of ids not read yet."""

    def __init__(self, max_messages: int = MAX_INCOMING) -> None:
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        self._max = max_messages
        self._messages: list[IncomingRecord] = []
        self._unread: set[int] = set()
        self._last_id = 0

    @property
    def messages(self) -> tuple[IncomingRecord, ...]:
        return tuple(self._messages)

    @property
    def last_id(self) -> int:
        """The id of the latest message, 0 before the first one."""
        return self._last_id

    @property
    def read_count(self) -> int:
        return len(self._messages) - len(self._unread)

    @property
    def unread_count(self) -> int:
        return len(self._unread)

    def is_read(self, incoming_sms_id: int) -> bool:
        return incoming_sms_id not in self._unread

    def add(
        self, *, port: int, number: str, smsc: str, text: str, received_at: float, imsi: str
    ) -> IncomingRecord:
        if len(number.encode()) > MAX_NUMBER_BYTES:
            raise ValueError(f"number exceeds {MAX_NUMBER_BYTES} bytes")
        self._last_id += 1
        message = IncomingRecord(
            incoming_sms_id=self._last_id,
            port=port,
            number=number,
            smsc=smsc,
            text=text,
            received_at=received_at,
            imsi=imsi,
        )
        self._messages.append(message)
        self._unread.add(message.incoming_sms_id)
        if len(self._messages) > self._max:
            for old in self._messages[: len(self._messages) - self._max]:
                self._unread.discard(old.incoming_sms_id)
            del self._messages[: len(self._messages) - self._max]
        return message

    def since(self, incoming_sms_id: int) -> list[IncomingRecord]:
        """Messages whose id is greater than `incoming_sms_id`, oldest first; no side effect."""
        start = bisect.bisect_right(
            self._messages, incoming_sms_id, key=lambda m: m.incoming_sms_id
        )
        return self._messages[start:]

    def take(self, query: IncomingQuery) -> list[IncomingRecord]:
        """What `query_incoming_sms` returns; with flag `unread` the result is marked read."""
        chosen = [
            m
            for m in self.since(query.after_id)
            if (query.ports is None or m.port in query.ports)
            and (
                query.flag == "all"
                or (query.flag == "unread") == (m.incoming_sms_id in self._unread)
            )
        ]
        if query.flag == "unread":
            self._unread.difference_update(m.incoming_sms_id for m in chosen)
        return chosen


def parse_incoming_query(params: Mapping[str, str], port_count: int) -> IncomingQuery:
    """Turn GET parameters into an IncomingQuery, or raise QueryError (400). Empty values count
    as absent; unknown parameters are ignored."""
    raw_id = params.get("incoming_sms_id", "").strip()
    after_id = 0
    if raw_id:
        if not _UINT.fullmatch(raw_id):
            raise QueryError(400, "incoming_sms_id must be a non-negative integer")
        after_id = int(raw_id)
    flag = params.get("flag", "").strip() or "unread"
    if flag not in INCOMING_FLAGS:
        raise QueryError(400, f"flag must be one of {', '.join(INCOMING_FLAGS)}")
    ports = comma_ports(params, "port", port_count)
    return IncomingQuery(
        after_id=after_id,
        flag=cast(IncomingFlag, flag),
        ports=frozenset(ports) if ports is not None else None,
    )
