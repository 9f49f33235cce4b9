"""A gateway's push body turned into normalised events; no I/O.

The body is ``{"sn": ..., "<kind>": [...]}`` (one object for ``device`` and ``exception_info``).
Every element is parsed into its gateway record and published as that record's plain data, so a
subscriber reads it back with ``record_from_data``. Parsing is lenient where devices are sloppy
(white space in keys and values, ``<NULL>``, a missing ``sn``) and strict where nothing sensible
can be published: a body that is not a push is refused whole, so nothing of it is published."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from .events import EVENT_KINDS, Event, EventKind
from .gateway.calls import parse_call
from .gateway.device import parse_device, parse_exception
from .gateway.models import (
    Record,
    WireError,
    clean_keys,
    optional_str,
    parse_delivery_report,
    parse_incoming_sms,
    parse_sms_result,
    record_data,
)
from .gateway.ports import parse_registration
from .gateway.ussd import parse_ussd_reply

log = logging.getLogger(__name__)

SINGLE_OBJECT_KINDS: frozenset[str] = frozenset({"device", "exception_info"})
"""Kinds whose value is one object rather than a list."""

Normaliser = Callable[[object, str, ZoneInfo], dict[str, Any]]


class PushRejected(ValueError):
    """A body that is not a push; the message tells the sender why."""


def _typed(parse: Callable[..., Record]) -> Normaliser:
    """An element parsed into its record, published as the record's plain data."""

    def normalise(item: object, gateway_id: str, zone: ZoneInfo) -> dict[str, Any]:
        return record_data(parse(item, gateway_id=gateway_id, zone=zone))

    return normalise


NORMALISERS: dict[EventKind, Normaliser] = {
    "sms_result": _typed(parse_sms_result),
    "sms_deliver_status": _typed(parse_delivery_report),
    "sms": _typed(parse_incoming_sms),
    "ussd": _typed(parse_ussd_reply),
    "register": _typed(parse_registration),
    "cdr": _typed(parse_call),
    "device": _typed(parse_device),
    "exception_info": _typed(parse_exception),
}
"""Each kind's element -> the data of its record (see ``record_data`` / ``record_from_data``)."""


def parse_push(body: bytes, *, gateway_id: str, zone: ZoneInfo) -> list[Event]:
    """One event per element of every event key in the body."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise PushRejected("the body is not JSON (or nested too deeply)") from None
    if not isinstance(value, dict):
        raise PushRejected("the body is not a JSON object")
    fields = clean_keys(value)
    sn = fields.get("sn")
    sn = optional_str(sn, "sn") if isinstance(sn, str) else None
    kinds = [key for key in fields if key in EVENT_KINDS]
    if not kinds:
        raise PushRejected(f"no event key: expected one of {', '.join(EVENT_KINDS)}")
    unknown = sorted(set(fields) - {"sn", *kinds})
    if unknown:
        log.warning("push from %s: ignored unknown keys %s", gateway_id, unknown)
    events: list[Event] = []
    for kind in kinds:
        items = fields[kind]
        if kind in SINGLE_OBJECT_KINDS and isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise PushRejected(f"{kind!r} must be a list")
        normalise = NORMALISERS[kind]
        for index, item in enumerate(items):
            try:
                data = normalise(item, gateway_id, zone)
            except WireError as exc:
                raise PushRejected(f"{kind}[{index}]: {exc}") from None
            events.append(Event(gateway_id=gateway_id, kind=kind, data=data, sn=sn))
    return events
