"""Records as the device writes them on the wire (§3.2, §3.3, §3.4), shared by replies and
pushes so every view of the device agrees."""

from __future__ import annotations

import zlib
from zoneinfo import ZoneInfo

from .inbox import IncomingRecord
from .record import SimRecord, wire_time

PERMANENT_FAILURE_CODES: tuple[int, ...] = (64, 65, 66, 67, 69, 70, 71, 72, 73, 96, 97, 98, 101)
"""TP-Status values (3GPP TS 23.040) a network reports for a message it gave up on."""


def wire_result(record: SimRecord, zone: ZoneInfo, now: float) -> dict[str, object]:
    """One `query_sms_result` element (and `sms_result` push element) at `now`."""
    return {
        "port": record.port,
        "user_id": record.user_id,
        "number": record.number,
        "time": record.wire_time(zone),
        "status": record.status(now),
        "count": record.count,
        "succ_count": record.succ_count(now),
        "ref_id": record.ref_id,
        "imsi": record.imsi,
    }


def failure_report_code(record: SimRecord) -> int | None:
    """For a FAILED record with a status report, the permanent-failure TP-Status the network
    reports for it, or None for the (about half) that never get a report. A pure function of
    the record."""
    if record.fate != "FAILED" or not record.status_report:
        return None
    key = f"{record.port}|{record.number}|{record.sent_at!r}|{record.ref_id}"
    digest = zlib.crc32(key.encode())
    if digest % 2:
        return None
    return PERMANENT_FAILURE_CODES[(digest // 2) % len(PERMANENT_FAILURE_CODES)]


def wire_deliver_status(record: SimRecord, zone: ZoneInfo, now: float) -> dict[str, object] | None:
    """The §3.3 delivery report held for `record` at `now`: status_code 0 once DELIVERED, a
    permanent-failure code for some FAILED ones, otherwise None."""
    status = record.status(now)
    if status == "DELIVERED":
        status_code = 0
    elif status == "FAILED" and (code := failure_report_code(record)) is not None:
        status_code = code
    else:
        return None
    return {
        "port": record.port,
        "number": record.number,
        "time": record.wire_time(zone),
        "ref_id": record.ref_id,
        "status_code": status_code,
        "imsi": record.imsi,
    }


def wire_incoming(
    message: IncomingRecord, zone: ZoneInfo, *, imsi: bool = False
) -> dict[str, object]:
    """One received SMS as §3.4 lists it; pushes (`imsi=True`) also carry the IMSI."""
    item: dict[str, object] = {
        "incoming_sms_id": message.incoming_sms_id,
        "port": message.port,
        "number": message.number,
        "smsc": message.smsc,
        "timestamp": wire_time(message.received_at, zone),
        "text": message.text,
    }
    if imsi:
        item["imsi"] = message.imsi
    return item
