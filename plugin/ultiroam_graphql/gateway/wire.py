"""Lenient readers for the gateway's JSON values, shared by every record.

The device's JSON is sloppy in practice (stray white space in numbers and keys, ``<NULL>``
strings, numbers sent as strings, local times without a zone); these turn one value into a typed
one, or raise :class:`WireError` for a value that cannot be read.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ..errors import BadUserInput

MAX_NUMBERS_PER_QUERY = 32
MAX_NUMBER_BYTES = 24
MAX_PORT = 31
"""The highest port index of any device: at most 32 ports, numbered from 0."""
GATEWAY_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_GATEWAY_TIME = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*(\d{2}):(\d{2}):(\d{2})\s*$")
_EXACT_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", re.ASCII)
_WIRE_INT = re.compile(r"\s*-?\d{1,18}\s*")
TIME_CACHE_SIZE = 8192
"""Gateway times remembered per process: a result list repeats its seconds, and polls repeat it."""
_ZERO_TIME = re.compile(r"^[\s0:-]*$")
NULL_TEXTS = frozenset({"", "<NULL>", "NULL"})
"""What the device writes for an absent string."""

T = TypeVar("T")


class WireError(ValueError):
    """A reply or push that does not have the documented shape."""


def to_gateway_local(value: datetime, zone: ZoneInfo) -> datetime:
    """A naive time is already gateway-local; an aware one is converted to the gateway's clock."""
    if value.tzinfo is None:
        return value
    return value.astimezone(zone).replace(tzinfo=None)


def gateway_time_str(value: datetime) -> str:
    """A gateway-local (naive) time as the device writes it."""
    if value.tzinfo is not None:
        raise ValueError("filter times are gateway-local: convert them with to_gateway_local")
    return value.strftime(GATEWAY_TIME_FORMAT)


def parse_gateway_time(value: object, zone: ZoneInfo) -> datetime:
    """``YYYY-MM-DD HH:MM:SS`` in the gateway's zone (also without the space, as PDFs print it).

    Text in a :class:`ZoneInfo` goes through a bounded cache (datetimes are immutable, so sharing
    one is safe); anything else, and every miss that is not the exact form, is read carefully.
    """
    if type(value) is str and type(zone) is ZoneInfo:
        return _cached_time(value, zone)
    return careful_gateway_time(value, zone)


@functools.lru_cache(maxsize=TIME_CACHE_SIZE)
def _cached_time(text: str, zone: ZoneInfo) -> datetime:
    # The exact form in ASCII digits reads the same with fromisoformat (fold 0, like the
    # constructor, so ambiguous and nonexistent local times come out alike); the rest, and any
    # invalid date, take the careful reader, which raises the WireError (not cached).
    if _EXACT_TIME.fullmatch(text) is not None:
        try:
            return datetime.fromisoformat(text).replace(tzinfo=zone)
        except ValueError:
            pass
    return careful_gateway_time(text, zone)


def careful_gateway_time(value: object, zone: ZoneInfo) -> datetime:
    """:func:`parse_gateway_time` without cache or shortcut: the reference for both."""
    match = _GATEWAY_TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise WireError(f"time {value!r} is not YYYY-MM-DD HH:MM:SS")
    try:
        return datetime(*(int(part) for part in match.groups()), tzinfo=zone)  # type: ignore[misc]
    except ValueError as exc:
        raise WireError(f"time {value!r} is not a valid date") from exc


def optional_gateway_time(value: object, zone: ZoneInfo) -> datetime | None:
    """A gateway time, or None for absent, empty, ``<NULL>`` and all-zero (a call not answered)."""
    if value is None or (isinstance(value, str) and value.strip() in NULL_TEXTS):
        return None
    if isinstance(value, str) and _ZERO_TIME.match(value):
        return None
    return parse_gateway_time(value, zone)


def clean_keys(item: Mapping[str, Any]) -> dict[str, Any]:
    """Keys with white space removed: the manual's own examples carry ``"ref_i d"``."""
    return {"".join(key.split()): value for key, value in item.items()}


def wire_int(value: object, name: str) -> int:
    """An integer that may arrive as a string with stray white space."""
    if type(value) is int:  # the usual case first; bool is not int by type
        return value
    if isinstance(value, bool):
        raise WireError(f"{name} is not an integer: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _WIRE_INT.fullmatch(value):
        return int(value)
    raise WireError(f"{name} is not an integer: {str(value)[:40]!r}")


def wire_str(value: object, name: str) -> str:
    if type(value) is str:
        return value.strip()
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
    return None if text in NULL_TEXTS else text


def optional_int(value: object, name: str) -> int | None:
    if value is None:
        return None
    if type(value) is int:
        return value
    if isinstance(value, str) and not value.strip():
        return None
    return wire_int(value, name)


def any_str(value: object) -> str:
    """Any JSON value as text: strings trimmed, anything nested as compact JSON."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def plain_keys(item: dict[Any, Any], names: frozenset[str]) -> bool:
    """True when :func:`clean_keys` would leave every one of ``names`` as it is in ``item``.

    So a reader of only ``names`` may skip the cleaning: the item's keys are among them, or its
    other keys are strings that do not clean into one of them (and so cannot overwrite it).
    """
    return names.issuperset(item) or all(  # issuperset: no keys view made per element
        type(key) is str and "".join(key.split()) not in names for key in item.keys() - names
    )


def fields(item: object, required: tuple[str, ...], what: str) -> dict[str, Any]:
    """An element's keys cleaned, after checking it is an object with the ``required`` keys."""
    if not isinstance(item, Mapping):
        raise WireError(f"{what} element is not an object: {item!r}"[:200])
    cleaned = clean_keys(item)
    for name in required:
        if name not in cleaned:
            raise WireError(f"{what} element has no {name!r}")
    return cleaned


def wire_list(items: object, what: str) -> Sequence[object]:
    """A JSON array; an absent one is empty."""
    if items is None:
        return []
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise WireError(f"{what} is not a list")
    return items


def parse_each(
    items: object, parse: Callable[..., T], what: str, *, gateway_id: str, zone: ZoneInfo
) -> list[T]:
    """Every element of a JSON array parsed with ``parse``."""
    return [parse(item, gateway_id=gateway_id, zone=zone) for item in wire_list(items, what)]


def check_port(port: int) -> int:
    """A port index a client gave, or BAD_USER_INPUT before any call."""
    if not 0 <= port <= MAX_PORT:
        raise BadUserInput(f"port {port} is outside 0..{MAX_PORT}")
    return port
