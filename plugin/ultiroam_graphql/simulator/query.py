"""Validation and matching of `query_sms_result` filters.

Strict on purpose: the client under test should learn here, not on a real device, that it sends
wrong types or badly formatted times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .record import MAX_NUMBER_BYTES, WIRE_TIME_FORMAT, SimRecord

MAX_QUERY_NUMBERS = 32
MAX_PORTS = 32
_UINT = re.compile(r"[0-9]+")
_WIRE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


class QueryError(Exception):
    """A request the device would refuse; `error_code` goes into the reply envelope."""

    def __init__(self, error_code: int, reason: str) -> None:
        super().__init__(reason)
        self.error_code = error_code


@dataclass(frozen=True, slots=True)
class ResultFilter:
    """Parsed filters; None (or an empty list on the wire) means "no condition"."""

    numbers: frozenset[str] | None = None
    ports: frozenset[int] | None = None
    user_ids: frozenset[int] | None = None
    time_after: datetime | None = None
    time_before: datetime | None = None

    def matches(self, record: SimRecord, zone: ZoneInfo) -> bool:
        """All conditions must hold (AND); numbers compare trimmed, times on the local clock."""
        if self.ports is not None and record.port not in self.ports:
            return False
        if self.user_ids is not None and record.user_id not in self.user_ids:
            return False
        if self.numbers is not None and record.number.strip() not in self.numbers:
            return False
        if self.time_after is None and self.time_before is None:
            return True
        local = record.local_time(zone)
        if self.time_after is not None and not local > self.time_after:
            return False
        return self.time_before is None or local < self.time_before


def int_list(body: dict[str, object], key: str) -> list[int] | None:
    """`body[key]` as a list of integers, None when absent; QueryError 400 otherwise."""
    if key not in body:
        return None
    value = body[key]
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise QueryError(400, f"{key} must be an array of integers")
    return value


def port_list(body: dict[str, object], key: str, port_count: int) -> list[int] | None:
    """`body[key]` as a list of ports of this device, None when absent; QueryError 400."""
    ports = int_list(body, key)
    if ports is not None and any(not 0 <= p < min(MAX_PORTS, port_count) for p in ports):
        raise QueryError(400, "port out of range")
    return ports


def comma_ports(params: Mapping[str, str], key: str, port_count: int) -> list[int] | None:
    """A GET parameter `1,2,3` (commas possibly sent as %2C) as ports of this device, None
    when absent or empty; QueryError 400 for anything else."""
    raw = params.get(key, "").strip()
    if not raw:
        return None
    items = [p.strip() for p in raw.split(",")]
    if not all(_UINT.fullmatch(p) for p in items):
        raise QueryError(400, f"{key} must be a comma-separated list of integers")
    ports = [int(p) for p in items]
    if any(not 0 <= p < min(MAX_PORTS, port_count) for p in ports):
        raise QueryError(400, "port out of range")
    return list(dict.fromkeys(ports))


def number_list(body: dict[str, object]) -> frozenset[str] | None:
    """The `number` filter: at most 32 strings (413 beyond), each at most 24 bytes."""
    if "number" not in body:
        return None
    value = body["number"]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QueryError(400, "number must be an array of strings")
    if len(value) > MAX_QUERY_NUMBERS:
        raise QueryError(413, f"more than {MAX_QUERY_NUMBERS} numbers")
    if any(len(v.encode()) > MAX_NUMBER_BYTES for v in value):
        raise QueryError(400, f"number longer than {MAX_NUMBER_BYTES} bytes")
    return frozenset(v.strip() for v in value) if value else None


def time_field(body: dict[str, object], key: str) -> datetime | None:
    """`body[key]` as a gateway-local time, None when absent; QueryError 400 otherwise."""
    if key not in body:
        return None
    value = body[key]
    if not isinstance(value, str) or not _WIRE_TIME.fullmatch(value):
        raise QueryError(400, f"{key} must be 'YYYY-MM-DD HH:MM:SS'")
    try:
        return datetime.strptime(value, WIRE_TIME_FORMAT)
    except ValueError as exc:
        raise QueryError(400, f"{key} is not a valid date") from exc


def parse_result_filter(body: object, port_count: int) -> ResultFilter:
    """Turn a request body into filters, or raise QueryError (400 or 413). Unknown keys are
    ignored, as firmware tends to do."""
    if not isinstance(body, dict):
        raise QueryError(400, "body must be a JSON object")
    numbers = number_list(body)
    ports = port_list(body, "port", port_count)
    user_ids = int_list(body, "user_id")
    if user_ids is not None and any(u < 0 for u in user_ids):
        raise QueryError(400, "user_id must be >= 0")
    return ResultFilter(
        numbers=numbers,
        ports=frozenset(ports) if ports else None,
        user_ids=frozenset(user_ids) if user_ids else None,
        time_after=time_field(body, "time_after"),
        time_before=time_field(body, "time_before"),
    )
