"""The ``DateTime`` scalar: ISO 8601, with the offset of the gateway's zone when serialised."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types.scalar import ScalarDefinition

from ..errors import BadUserInput

MAX_TIME_LENGTH = 64


def _serialize(value: datetime) -> str:
    return value.isoformat()


def _parse(value: object) -> datetime:
    """ISO 8601; without an offset the time is read later on each gateway's own clock."""
    if not isinstance(value, str) or len(value) > MAX_TIME_LENGTH:
        raise BadUserInput(f"{str(value)[:MAX_TIME_LENGTH]!r} is not an ISO 8601 date and time")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadUserInput(
            f"{value!r} is not an ISO 8601 date and time (e.g. 2024-05-03T10:15:02+02:00)"
        ) from None


DATETIME: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description=(
        "ISO 8601 date and time. Results carry the UTC offset of the gateway's time zone; "
        "a filter time without an offset is read on the gateway's own clock."
    ),
    serialize=_serialize,
    parse_value=_parse,
)

SCALAR_MAP = {datetime: DATETIME}
