"""Call detail records: ``get_cdr`` answers and ``cdr`` pushes (answered calls only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .wire import fields, optional_gateway_time, optional_int, optional_str, wire_int


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call; times are None when the device leaves them empty (a call never answered)."""

    gateway_id: str
    port: int
    start: datetime | None
    answer: datetime | None
    duration: int | None  # seconds
    source_number: str | None
    destination_number: str | None
    direction: str | None  # gsm->ip, ip->gsm, callback
    ip: str | None
    codec: str | None
    hangup: str | None
    gsm_code: int | None
    bcch: str | None


def parse_call(item: object, *, gateway_id: str, zone: ZoneInfo) -> CallRecord:
    item = fields(item, ("port",), "cdr")
    bcch = optional_str(item.get("bcch"), "bcch")
    return CallRecord(
        gateway_id=gateway_id,
        port=wire_int(item["port"], "port"),
        start=optional_gateway_time(item.get("start_date"), zone),
        answer=optional_gateway_time(item.get("answer_date"), zone),
        duration=optional_int(item.get("duration"), "duration"),
        source_number=optional_str(item.get("source_number"), "source_number"),
        destination_number=optional_str(item.get("destination_number"), "destination_number"),
        direction=optional_str(item.get("direction"), "direction"),
        ip=optional_str(item.get("ip"), "ip"),
        codec=optional_str(item.get("codec"), "codec"),
        hangup=optional_str(item.get("hangup"), "hangup"),
        gsm_code=optional_int(item.get("gsm_code"), "gsm_code"),
        bcch=bcch if bcch is not None else optional_str(item.get("bech"), "bech"),
    )
