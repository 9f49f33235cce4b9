"""A gateway's push body turned into normalised events; no I/O.

The body is ``{"sn": ..., "<kind>": [...]}``. Parsing is lenient where devices are sloppy (white
space in keys and values, ``<NULL>``, a missing ``sn``) and strict where nothing sensible can be
published: a body that is not a push is refused whole, so nothing of it is published.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from .events import EVENT_KINDS, Event, EventKind
from .gateway.models import (
    WireError,
    clean_keys,
    optional_int,
    optional_str,
    parse_delivery_report,
    parse_incoming_sms,
    parse_sms_result,
    record_data,
)

log = logging.getLogger(__name__)

SINGLE_OBJECT_KINDS: frozenset[str] = frozenset({"device", "exception_info"})


class PushRejected(ValueError):
    """A body that is not a push; the message tells the sender why."""


def _typed(
    parse: Callable[..., Any],
) -> Callable[[object, str, ZoneInfo], dict[str, Any]]:
    def normalise(item: object, gateway_id: str, zone: ZoneInfo) -> dict[str, Any]:
        return record_data(parse(item, gateway_id=gateway_id, zone=zone))

    return normalise


def _plain(item: object, gateway_id: str, zone: ZoneInfo) -> dict[str, Any]:
    """Kinds without a typed record yet: keys cleaned, strings trimmed, ``<NULL>`` as null."""
    if not isinstance(item, Mapping):
        raise WireError(f"element is not an object: {item!r}"[:200])
    data: dict[str, Any] = {}
    for key, value in clean_keys(item).items():
        if isinstance(value, str):
            data[key] = optional_str(value, key)
        elif isinstance(value, (int, float, bool)) or value is None:
            data[key] = value
        else:
            data[key] = json.loads(json.dumps(value))  # nested JSON stays plain JSON
    if "port" in data:
        data["port"] = optional_int(data["port"], "port")
    return data


NORMALISERS: dict[EventKind, Callable[[object, str, ZoneInfo], dict[str, Any]]] = {
    "sms_result": _typed(parse_sms_result),
    "sms_deliver_status": _typed(parse_delivery_report),
    "sms": _typed(parse_incoming_sms),
    "ussd": _plain,
    "register": _plain,
    "cdr": _plain,
    "device": _plain,
    "exception_info": _plain,
}


def parse_push(body: bytes, *, gateway_id: str, zone: ZoneInfo) -> list[Event]:
    """One event per element of every event key in the body."""
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PushRejected("the body is not JSON") from None
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
