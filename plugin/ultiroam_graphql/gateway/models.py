"""Gateway wire shapes parsed once, at the edge, into frozen records.

The device's JSON is lenient in practice (stray white space in numbers and keys, ``<NULL>`` IMSIs,
missing ``sn`` or optional fields, local times without a zone); everything here turns it into
typed values with zone-aware times, or raises :class:`WireError` for a reply that cannot be read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

MAX_NUMBERS_PER_QUERY = 32
MAX_NUMBER_BYTES = 24
GATEWAY_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_GATEWAY_TIME = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*(\d{2}):(\d{2}):(\d{2})\s*$")
_NULLS = frozenset({"", "<NULL>", "NULL"})
SMS_STATUSES = frozenset({"FAILED", "SENDING", "SENT_OK", "DELIVERED"})
UNKNOWN_STATUS = "UNKNOWN"


def status_kind(raw: str) -> str:
    """The status as one of SMS_STATUSES, or UNKNOWN for one this version does not know."""
    status = raw.upper()
    return status if status in SMS_STATUSES else UNKNOWN_STATUS


class WireError(ValueError):
    """A reply or push that does not have the documented shape."""


@dataclass(frozen=True, slots=True)
class SmsResultRecord:
    """One message's sending result, as ``query_sms_result`` and ``sms_result`` pushes give it."""

    gateway_id: str
    port: int
    number: str
    user_id: int | None
    time: datetime
    status: str
    count: int
    succ_count: int
    ref_id: int
    imsi: str | None


@dataclass(frozen=True, slots=True)
class SmsResultQuery:
    """The filters of one ``query_sms_result`` call; times are gateway-local, without a zone."""

    numbers: tuple[str, ...] | None = None
    ports: tuple[int, ...] | None = None
    user_ids: tuple[int, ...] | None = None
    time_after: datetime | None = None
    time_before: datetime | None = None

    def body(self) -> dict[str, Any]:
        """The request body exactly as the manual gives it; absent filters are left out."""
        if self.numbers is not None and len(self.numbers) > MAX_NUMBERS_PER_QUERY:
            raise ValueError(f"at most {MAX_NUMBERS_PER_QUERY} numbers per query_sms_result call")
        body: dict[str, Any] = {}
        if self.numbers is not None:
            body["number"] = list(self.numbers)
        if self.ports is not None:
            body["port"] = list(self.ports)
        if self.user_ids is not None:
            body["user_id"] = list(self.user_ids)
        if self.time_after is not None:
            body["time_after"] = self.time_after.strftime(GATEWAY_TIME_FORMAT)
        if self.time_before is not None:
            body["time_before"] = self.time_before.strftime(GATEWAY_TIME_FORMAT)
        return body


def to_gateway_local(value: datetime, zone: ZoneInfo) -> datetime:
    """A naive time is already gateway-local; an aware one is converted to the gateway's clock."""
    if value.tzinfo is None:
        return value
    return value.astimezone(zone).replace(tzinfo=None)


def parse_gateway_time(value: object, zone: ZoneInfo) -> datetime:
    """``YYYY-MM-DD HH:MM:SS`` in the gateway's zone (also without the space, as PDFs print it)."""
    match = _GATEWAY_TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise WireError(f"time {value!r} is not YYYY-MM-DD HH:MM:SS")
    try:
        return datetime(*(int(part) for part in match.groups()), tzinfo=zone)  # type: ignore[misc]
    except ValueError as exc:
        raise WireError(f"time {value!r} is not a valid date") from exc


def clean_keys(item: Mapping[str, Any]) -> dict[str, Any]:
    """Keys with white space removed: the manual's own examples carry ``"ref_i d"``."""
    return {re.sub(r"\s+", "", key): value for key, value in item.items()}


def wire_int(value: object, name: str) -> int:
    """An integer that may arrive as a string with stray white space."""
    if isinstance(value, bool):
        raise WireError(f"{name} is not an integer: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise WireError(f"{name} is not an integer: {value!r}")


def wire_str(value: object, name: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise WireError(f"{name} is not a string: {value!r}")
    return value.strip()


def optional_str(value: object, name: str) -> str | None:
    """A string, or None for absent, empty and the device's ``<NULL>``."""
    if value is None:
        return None
    text = wire_str(value, name)
    return None if text in _NULLS else text


def optional_int(value: object, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return wire_int(value, name)


def parse_sms_result(item: object, *, gateway_id: str, zone: ZoneInfo) -> SmsResultRecord:
    if not isinstance(item, Mapping):
        raise WireError(f"result element is not an object: {item!r}")
    fields = clean_keys(item)
    for required in ("port", "number", "time", "status"):
        if required not in fields:
            raise WireError(f"result element has no {required!r}")
    count = optional_int(fields.get("count"), "count")
    succ_count = optional_int(fields.get("succ_count"), "succ_count")
    return SmsResultRecord(
        gateway_id=gateway_id,
        port=wire_int(fields["port"], "port"),
        number=wire_str(fields["number"], "number"),
        user_id=optional_int(fields.get("user_id"), "user_id"),
        time=parse_gateway_time(fields["time"], zone),
        status=wire_str(fields["status"], "status"),
        count=count if count is not None else 1,
        succ_count=succ_count if succ_count is not None else 0,
        ref_id=optional_int(fields.get("ref_id"), "ref_id") or 0,
        imsi=optional_str(fields.get("imsi"), "imsi"),
    )


def parse_sms_results(items: object, *, gateway_id: str, zone: ZoneInfo) -> list[SmsResultRecord]:
    if items is None:
        return []
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise WireError("result is not a list")
    return [parse_sms_result(item, gateway_id=gateway_id, zone=zone) for item in items]


@dataclass(frozen=True, slots=True)
class DeliveryReportRecord:
    """A status report from the network (``query_sms_deliver_status``, ``sms_deliver_status``)."""

    gateway_id: str
    port: int
    number: str
    time: datetime
    ref_id: int
    status_code: int
    imsi: str | None

    @property
    def delivered(self) -> bool:
        """TP-Status 0 means received by the handset; 32-63 temporary, 64-255 permanent errors."""
        return self.status_code == 0


@dataclass(frozen=True, slots=True)
class IncomingSmsRecord:
    """A received SMS (``query_incoming_sms``, ``sms`` pushes)."""

    gateway_id: str
    id: int
    port: int
    number: str
    smsc: str | None
    received_at: datetime
    text: str
    imsi: str | None


def _fields(item: object, required: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise WireError(f"{what} element is not an object: {item!r}"[:200])
    fields = clean_keys(item)
    for name in required:
        if name not in fields:
            raise WireError(f"{what} element has no {name!r}")
    return fields


def parse_delivery_report(item: object, *, gateway_id: str, zone: ZoneInfo) -> DeliveryReportRecord:
    fields = _fields(item, ("port", "number", "time", "status_code"), "delivery report")
    return DeliveryReportRecord(
        gateway_id=gateway_id,
        port=wire_int(fields["port"], "port"),
        number=wire_str(fields["number"], "number"),
        time=parse_gateway_time(fields["time"], zone),
        ref_id=optional_int(fields.get("ref_id"), "ref_id") or 0,
        status_code=wire_int(fields["status_code"], "status_code"),
        imsi=optional_str(fields.get("imsi"), "imsi"),
    )


def parse_incoming_sms(item: object, *, gateway_id: str, zone: ZoneInfo) -> IncomingSmsRecord:
    fields = _fields(item, ("incoming_sms_id", "port", "number", "timestamp"), "incoming SMS")
    text = fields.get("text")
    return IncomingSmsRecord(
        gateway_id=gateway_id,
        id=wire_int(fields["incoming_sms_id"], "incoming_sms_id"),
        port=wire_int(fields["port"], "port"),
        number=wire_str(fields["number"], "number"),
        smsc=optional_str(fields.get("smsc"), "smsc"),
        received_at=parse_gateway_time(fields["timestamp"], zone),
        text=text if isinstance(text, str) else "",
        imsi=optional_str(fields.get("imsi"), "imsi"),
    )


Record = SmsResultRecord | DeliveryReportRecord | IncomingSmsRecord
_TIME_FIELDS = frozenset({"time", "received_at"})


def record_data(record: Record) -> dict[str, Any]:
    """A record as plain JSON data (times in ISO 8601 with their offset), without its gateway."""
    data = {name: getattr(record, name) for name in record.__slots__ if name != "gateway_id"}
    return {k: v.isoformat() if k in _TIME_FIELDS else v for k, v in data.items()}


R = TypeVar("R", SmsResultRecord, DeliveryReportRecord, IncomingSmsRecord)


def record_from_data(cls: type[R], gateway_id: str, data: Mapping[str, Any]) -> R:
    """The inverse of :func:`record_data`."""
    values = {
        name: datetime.fromisoformat(data[name]) if name in _TIME_FIELDS else data[name]
        for name in cls.__slots__
        if name != "gateway_id"
    }
    return cls(gateway_id=gateway_id, **values)
