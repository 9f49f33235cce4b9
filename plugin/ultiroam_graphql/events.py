"""Events as they cross the broker: plain data, encoded as JSON bytes.

A push from a gateway becomes one event per element. Nothing live crosses the broker, so any
backend (in memory or Redis) carries the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal, get_args

EventKind = Literal[
    "sms_result",
    "sms_deliver_status",
    "sms",
    "ussd",
    "register",
    "cdr",
    "device",
    "exception_info",
]
EVENT_KINDS: tuple[EventKind, ...] = get_args(EventKind)


class EventDecodeError(ValueError):
    """Bytes from a backend that are not an event of ours."""


@dataclass(frozen=True, slots=True)
class Event:
    """One pushed item: a sending result, a delivery report, a received SMS, ..."""

    gateway_id: str
    kind: EventKind
    data: dict[str, Any]
    sn: str | None = None
    cursor: str | None = None  # set by the broker when the event is delivered

    def encode(self) -> bytes:
        return json.dumps(
            {"gateway": self.gateway_id, "kind": self.kind, "sn": self.sn, "data": self.data},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()

    @classmethod
    def decode(cls, payload: bytes, *, cursor: str | None = None) -> Event:
        try:
            value = json.loads(payload)
            kind = value["kind"]
            if kind not in EVENT_KINDS or not isinstance(value["data"], dict):
                raise EventDecodeError(f"not an event kind: {kind!r}")
            return cls(value["gateway"], kind, value["data"], value.get("sn"), cursor)
        except (ValueError, KeyError, TypeError) as exc:
            raise EventDecodeError(str(exc)) from exc

    @property
    def identity(self) -> str:
        """Equal for an event the gateway sends again unchanged; the sn is left out.

        A received SMS is known by its id and time: pushed and polled, it is one message.
        """
        if self.kind == "sms" and "id" in self.data:  # the time too: ids restart after a reset
            content = json.dumps(
                [self.gateway_id, self.kind, self.data["id"], self.data.get("received_at")]
            )
        else:
            content = json.dumps([self.gateway_id, self.kind, self.data], sort_keys=True)
        return hashlib.sha256(content.encode()).hexdigest()
