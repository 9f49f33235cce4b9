"""``SmsResultFilter``: checked once, before any REST call, then read on each gateway's clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..batching import SmsResultKey
from ..errors import BadUserInput
from ..gateway import GatewayClient, SmsResultRecord
from ..gateway.models import MAX_NUMBER_BYTES, status_kind, to_gateway_local
from ..gateway.wire import check_port

REPEATED_HOUR = timedelta(hours=1)
MAX_FILTER_ITEMS = 1000


@dataclass(frozen=True, slots=True)
class CheckedFilter:
    """A filter whose values are valid for any gateway."""

    numbers: frozenset[str] | None = None
    ports: frozenset[int] | None = None
    user_ids: frozenset[int] | None = None
    time_after: datetime | None = None
    time_before: datetime | None = None
    statuses: frozenset[str] | None = None

    def key(self, client: GatewayClient, *, port: int | None = None) -> SmsResultKey | None:
        """The batching key for one gateway (and port), or None when nothing can match."""
        if any(v is not None and not v for v in (self.numbers, self.user_ids, self.statuses)):
            return None  # an empty list matches nothing; the device would read it as no filter
        ports = frozenset(range(client.settings.ports))
        if self.ports is not None:
            ports &= self.ports
        if port is not None:
            ports &= {port}
        if not ports:
            return None
        time_after = _local(self.time_after, client)
        time_before = _local(self.time_before, client)
        if time_after and time_before and time_after > time_before:
            if self.time_after.tzinfo is None or self.time_before.tzinfo is None:  # type: ignore[union-attr]
                raise BadUserInput("timeAfter is after timeBefore")
            # Two ordered instants whose local times are not: the window spans the hour a
            # clock repeats when it falls back. Gateway times are ambiguous there, so ask for
            # the whole repeated hour rather than refuse a valid window.
            time_after, time_before = time_before - REPEATED_HOUR, time_after + REPEATED_HOUR
        return SmsResultKey(
            gateway_id=client.id,
            numbers=self.numbers,
            ports=None if self.ports is None and port is None else ports,
            user_ids=self.user_ids,
            time_after=time_after,
            time_before=time_before,
            statuses=self.statuses,
        )

    def matches(self, record: SmsResultRecord, zone: ZoneInfo) -> bool:
        """Whether a pushed result passes this filter; times without an offset are ``zone``'s."""
        return (
            (self.numbers is None or record.number in self.numbers)
            and (self.ports is None or record.port in self.ports)
            and (self.user_ids is None or record.user_id in self.user_ids)
            and (self.statuses is None or status_kind(record.status) in self.statuses)
            and (self.time_after is None or _aware(self.time_after, zone) < record.time)
            and (self.time_before is None or record.time < _aware(self.time_before, zone))
        )


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _local(value: datetime | None, client: GatewayClient) -> datetime | None:
    return None if value is None else to_gateway_local(value, client.zone)


def check_filter(
    *,
    numbers: list[str] | None = None,
    ports: list[int] | None = None,
    user_ids: list[int] | None = None,
    time_after: datetime | None = None,
    time_before: datetime | None = None,
    statuses: list[str] | None = None,
) -> CheckedFilter:
    for name, values in (("numbers", numbers), ("ports", ports), ("userIds", user_ids)):
        if values is not None and len(values) > MAX_FILTER_ITEMS:
            raise BadUserInput(f"{name}: at most {MAX_FILTER_ITEMS} values per filter")
    if (
        time_after is not None
        and time_before is not None
        and (time_after.tzinfo is None) == (time_before.tzinfo is None)
        and time_after > time_before
    ):
        raise BadUserInput("timeAfter is after timeBefore")
    return CheckedFilter(
        numbers=None if numbers is None else _numbers(numbers),
        ports=None if ports is None else frozenset(check_port(port) for port in ports),
        user_ids=None if user_ids is None else frozenset(_user_id(uid) for uid in user_ids),
        time_after=time_after,
        time_before=time_before,
        statuses=None if statuses is None else frozenset(statuses),
    )


def _numbers(numbers: list[str]) -> frozenset[str]:
    """Trimmed and de-duplicated: the same set asked twice shares one call."""
    trimmed = []
    for number in numbers:
        value = number.strip()
        if not value:
            raise BadUserInput("numbers: an empty phone number")
        if len(value.encode()) > MAX_NUMBER_BYTES:
            raise BadUserInput(f"numbers: {value[:40]!r} is longer than {MAX_NUMBER_BYTES} bytes")
        trimmed.append(value)
    return frozenset(trimmed)


def _user_id(user_id: int) -> int:
    if user_id < 0:
        raise BadUserInput(f"userIds: {user_id} is negative")
    return user_id
