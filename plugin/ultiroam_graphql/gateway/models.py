"""SMS wire shapes parsed once, at the edge, into frozen records; the queries that ask for them.

Every record that can cross the broker turns into plain JSON data with :func:`record_data` and
back with :func:`record_from_data`. The lenient value readers live in :mod:`.wire`.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from .calls import CallRecord
from .device import DeviceRecord, ExceptionRecord
from .ports import PortInfoRecord, RegistrationRecord
from .sending import (
    MAX_RECIPIENTS_PER_SEND,
    MAX_TEXT_BYTES,
    SendSmsReceipt,
    SendSmsRequest,
    SmsRecipient,
    parse_send_receipt,
)
from .ussd import UssdReplyRecord
from .wire import (
    GATEWAY_TIME_FORMAT,
    MAX_NUMBER_BYTES,
    MAX_NUMBERS_PER_QUERY,
    NULL_TEXTS,
    WireError,
    careful_gateway_time,
    clean_keys,
    fields,
    gateway_time_str,
    optional_int,
    optional_str,
    parse_each,
    parse_gateway_time,
    plain_keys,
    to_gateway_local,
    wire_int,
    wire_str,
)

SMS_STATUSES = frozenset({"FAILED", "SENDING", "SENT_OK", "DELIVERED"})
UNKNOWN_STATUS = "UNKNOWN"


def status_kind(raw: str) -> str:
    """The status as one of SMS_STATUSES, or UNKNOWN for one this version does not know."""
    status = raw.upper()
    return status if status in SMS_STATUSES else UNKNOWN_STATUS


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


def _filter_body(
    what: str, numbers: tuple[str, ...] | None, ports: tuple[int, ...] | None
) -> dict[str, Any]:
    if numbers is not None and len(numbers) > MAX_NUMBERS_PER_QUERY:
        raise ValueError(f"at most {MAX_NUMBERS_PER_QUERY} numbers per {what} call")
    body: dict[str, Any] = {}
    if numbers is not None:
        body["number"] = list(numbers)
    if ports is not None:
        body["port"] = list(ports)
    return body


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
        body = _filter_body("query_sms_result", self.numbers, self.ports)
        if self.user_ids is not None:
            body["user_id"] = list(self.user_ids)
        if self.time_after is not None:
            body["time_after"] = self.time_after.strftime(GATEWAY_TIME_FORMAT)
        if self.time_before is not None:
            body["time_before"] = self.time_before.strftime(GATEWAY_TIME_FORMAT)
        return body


@dataclass(frozen=True, slots=True)
class DeliveryReportQuery:
    """The filters of one ``query_sms_deliver_status`` call (no user ids: the device has none).

    Times are gateway-local, without a zone (see :func:`to_gateway_local`).
    """

    numbers: tuple[str, ...] | None = None
    ports: tuple[int, ...] | None = None
    time_after: datetime | None = None
    time_before: datetime | None = None

    def body(self) -> dict[str, Any]:
        """The request body exactly as the manual gives it; absent filters are left out."""
        body = _filter_body("query_sms_deliver_status", self.numbers, self.ports)
        if self.time_after is not None:
            body["time_after"] = gateway_time_str(self.time_after)
        if self.time_before is not None:
            body["time_before"] = gateway_time_str(self.time_before)
        return body


_RESULT_KEYS = frozenset(
    {"port", "number", "user_id", "time", "status", "count", "succ_count", "ref_id", "imsi"}
)


def parse_sms_result(item: object, *, gateway_id: str, zone: ZoneInfo) -> SmsResultRecord:
    """One ``query_sms_result`` element or ``sms_result`` push.

    Lists run to thousands of elements, nearly all well formed: a plain dict whose keys need no
    cleaning and whose values already have their exact types is read straight; anything else
    takes :func:`careful_sms_result`, which gives the same record or raises the WireError.
    """
    if type(item) is dict and plain_keys(item, _RESULT_KEYS):
        get = item.get
        port, number, time, status = get("port"), get("number"), get("time"), get("status")
        user_id, count, succ_count = get("user_id"), get("count"), get("succ_count")
        ref_id, imsi = get("ref_id"), get("imsi")
        if (
            type(port) is int
            and type(number) is str
            and type(time) is str
            and type(status) is str
            and (user_id is None or type(user_id) is int)
            and (count is None or type(count) is int)
            and (succ_count is None or type(succ_count) is int)
            and (ref_id is None or type(ref_id) is int)
            and (imsi is None or type(imsi) is str)
        ):
            if imsi is not None:
                imsi = imsi.strip()
                if imsi in NULL_TEXTS:
                    imsi = None
            # The time is the one value left that may fail, and it is read as the careful
            # path reads it: a bad one raises the same WireError there and here.
            return SmsResultRecord(
                gateway_id,
                port,
                number.strip(),
                user_id,
                parse_gateway_time(time, zone),
                status.strip(),
                1 if count is None else count,
                0 if succ_count is None else succ_count,
                ref_id or 0,
                imsi,
            )
    return careful_sms_result(item, gateway_id=gateway_id, zone=zone)


def careful_sms_result(item: object, *, gateway_id: str, zone: ZoneInfo) -> SmsResultRecord:
    """:func:`parse_sms_result` for any element: keys cleaned, every value read leniently, the
    time without cache (the reference the fast reading is tested against)."""
    item = fields(item, ("port", "number", "time", "status"), "result")
    count = optional_int(item.get("count"), "count")
    succ_count = optional_int(item.get("succ_count"), "succ_count")
    return SmsResultRecord(
        gateway_id=gateway_id,
        port=wire_int(item["port"], "port"),
        number=wire_str(item["number"], "number"),
        user_id=optional_int(item.get("user_id"), "user_id"),
        time=careful_gateway_time(item["time"], zone),
        status=wire_str(item["status"], "status"),
        count=count if count is not None else 1,
        succ_count=succ_count if succ_count is not None else 0,
        ref_id=optional_int(item.get("ref_id"), "ref_id") or 0,
        imsi=optional_str(item.get("imsi"), "imsi"),
    )


def parse_sms_results(items: object, *, gateway_id: str, zone: ZoneInfo) -> list[SmsResultRecord]:
    return parse_each(items, parse_sms_result, "result", gateway_id=gateway_id, zone=zone)


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


@dataclass(frozen=True, slots=True)
class InboxPage:
    """One ``query_incoming_sms`` answer: the messages and the device's read/unread counts."""

    messages: tuple[IncomingSmsRecord, ...]
    read: int | None
    unread: int | None


def parse_delivery_report(item: object, *, gateway_id: str, zone: ZoneInfo) -> DeliveryReportRecord:
    item = fields(item, ("port", "number", "time", "status_code"), "delivery report")
    return DeliveryReportRecord(
        gateway_id=gateway_id,
        port=wire_int(item["port"], "port"),
        number=wire_str(item["number"], "number"),
        time=parse_gateway_time(item["time"], zone),
        ref_id=optional_int(item.get("ref_id"), "ref_id") or 0,
        status_code=wire_int(item["status_code"], "status_code"),
        imsi=optional_str(item.get("imsi"), "imsi"),
    )


def parse_incoming_sms(item: object, *, gateway_id: str, zone: ZoneInfo) -> IncomingSmsRecord:
    item = fields(item, ("incoming_sms_id", "port", "number", "timestamp"), "incoming SMS")
    text = item.get("text")
    return IncomingSmsRecord(
        gateway_id=gateway_id,
        id=wire_int(item["incoming_sms_id"], "incoming_sms_id"),
        port=wire_int(item["port"], "port"),
        number=wire_str(item["number"], "number"),
        smsc=optional_str(item.get("smsc"), "smsc"),
        received_at=parse_gateway_time(item["timestamp"], zone),
        text=text if isinstance(text, str) else "",
        imsi=optional_str(item.get("imsi"), "imsi"),
    )


def parse_inbox(reply: Mapping[str, Any], *, gateway_id: str, zone: ZoneInfo) -> InboxPage:
    """A ``query_incoming_sms`` envelope: ``sms``, ``read`` and ``unread``."""
    messages = parse_each(
        reply.get("sms"), parse_incoming_sms, "sms", gateway_id=gateway_id, zone=zone
    )
    return InboxPage(
        messages=tuple(messages),
        read=optional_int(reply.get("read"), "read"),
        unread=optional_int(reply.get("unread"), "unread"),
    )


Record = (
    SmsResultRecord
    | DeliveryReportRecord
    | IncomingSmsRecord
    | UssdReplyRecord
    | RegistrationRecord
    | CallRecord
    | DeviceRecord
    | ExceptionRecord
    | PortInfoRecord
)
"""Every record that can cross the broker (and port state, which may be cached)."""
R = TypeVar(
    "R",
    SmsResultRecord,
    DeliveryReportRecord,
    IncomingSmsRecord,
    UssdReplyRecord,
    RegistrationRecord,
    CallRecord,
    DeviceRecord,
    ExceptionRecord,
    PortInfoRecord,
)


def record_data(record: Record) -> dict[str, Any]:
    """A record as plain JSON data (times in ISO 8601 with their offset, tuples as lists),
    without its gateway."""
    return {
        field.name: _plain(getattr(record, field.name))
        for field in dataclass_fields(record)
        if field.name != "gateway_id"
    }


def record_from_data(cls: type[R], gateway_id: str, data: Mapping[str, Any]) -> R:
    """The inverse of :func:`record_data`; a missing field that may be None is None."""
    values: dict[str, Any] = {}
    for name, (thaw, optional) in _thawers(cls).items():
        if name not in data and optional:
            values[name] = None
        else:
            values[name] = thaw(data[name])
    return cls(gateway_id=gateway_id, **values)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _frozen(value: object) -> object:
    return tuple(_frozen(item) for item in value) if isinstance(value, list) else value


def _time(value: object) -> object:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _same(value: object) -> object:
    return value


@functools.cache
def _thawers(cls: type) -> dict[str, tuple[Any, bool]]:
    """For each field but the gateway: how to read its plain value, and whether it may be None."""
    hints = typing.get_type_hints(cls)
    thawers: dict[str, tuple[Any, bool]] = {}
    for field in dataclass_fields(cls):
        if field.name == "gateway_id":
            continue
        hint = hints[field.name]
        members = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        if datetime in members:
            thaw = _time
        elif any(typing.get_origin(member) is tuple for member in members):
            thaw = _frozen
        else:
            thaw = _same
        thawers[field.name] = (thaw, type(None) in members)
    return thawers


__all__ = [
    "GATEWAY_TIME_FORMAT",
    "MAX_NUMBERS_PER_QUERY",
    "MAX_NUMBER_BYTES",
    "MAX_RECIPIENTS_PER_SEND",
    "MAX_TEXT_BYTES",
    "SMS_STATUSES",
    "UNKNOWN_STATUS",
    "DeliveryReportQuery",
    "DeliveryReportRecord",
    "InboxPage",
    "IncomingSmsRecord",
    "Record",
    "SendSmsReceipt",
    "SendSmsRequest",
    "SmsRecipient",
    "SmsResultQuery",
    "SmsResultRecord",
    "WireError",
    "clean_keys",
    "optional_int",
    "optional_str",
    "parse_delivery_report",
    "parse_gateway_time",
    "parse_inbox",
    "parse_incoming_sms",
    "parse_send_receipt",
    "parse_sms_result",
    "parse_sms_results",
    "record_data",
    "record_from_data",
    "status_kind",
    "to_gateway_local",
    "wire_int",
    "wire_str",
]
