"""USSD: the per-port statuses of ``send_ussd`` and the replies (``query_ussd_reply``, pushes)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .wire import fields, wire_int

MAX_USSD_BYTES = 60
USSD_SENT = 200
USSD_PORT_BUSY = 486
USSD_NOT_REGISTERED = 503


@dataclass(frozen=True, slots=True)
class UssdPortStatus:
    """One port's status inside ``send_ussd``'s 202: 200 sent, 486 busy, 503 not registered."""

    port: int
    status: int

    @property
    def sent(self) -> bool:
        return self.status == USSD_SENT


@dataclass(frozen=True, slots=True)
class UssdReplyRecord:
    """The network's answer to a USSD code on one port."""

    gateway_id: str
    port: int
    text: str


def parse_ussd_status(item: object) -> UssdPortStatus:
    item = fields(item, ("port", "status"), "USSD result")
    return UssdPortStatus(
        port=wire_int(item["port"], "port"), status=wire_int(item["status"], "status")
    )


def parse_ussd_reply(item: object, *, gateway_id: str, zone: ZoneInfo) -> UssdReplyRecord:
    """A reply as the device gives it; ``""`` or ``" "`` (no reply yet) stay as they are."""
    item = fields(item, ("port",), "USSD reply")
    text = item.get("text")
    return UssdReplyRecord(
        gateway_id=gateway_id,
        port=wire_int(item["port"], "port"),
        text=text if isinstance(text, str) else "",
    )
