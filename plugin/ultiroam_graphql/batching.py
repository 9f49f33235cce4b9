"""Turning the ``smsResults`` fields of one operation into the fewest ``query_sms_result`` calls.

Pure functions: fields whose filters differ only in ports and user ids share one call (their
ports and user ids merged), numbers and user ids are chunked by 32, chunk replies are merged back
in the gateway's order, and each field gets back only the records it asked for. The loader that
awaits the calls lives with the schema (``schema.loaders``).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from .gateway import SmsResultQuery, SmsResultRecord
from .gateway.models import MAX_NUMBERS_PER_QUERY, status_kind

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SmsResultKey:
    """What one GraphQL field asks of one gateway; times are gateway-local, without a zone."""

    gateway_id: str
    numbers: frozenset[str] | None = None
    ports: frozenset[int] | None = None
    user_ids: frozenset[int] | None = None
    time_after: datetime | None = None
    time_before: datetime | None = None
    statuses: frozenset[str] | None = None

    @property
    def group(self) -> CallGroup:
        return CallGroup(
            self.gateway_id,
            self.time_after,
            self.time_before,
            by_numbers=self.numbers is not None,
            by_user_ids=self.user_ids is not None,
        )


@dataclass(frozen=True, slots=True)
class CallGroup:
    """Fields share a call only when these are equal.

    Numbers merge with numbers and user ids with user ids, but a field that filters by numbers
    never shares a call with one that does not: the merged call would fetch everything.
    """

    gateway_id: str
    time_after: datetime | None
    time_before: datetime | None
    by_numbers: bool
    by_user_ids: bool


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """One logical ``query_sms_result`` call, before chunking; None means "no filter"."""

    group: CallGroup
    numbers: frozenset[str] | None
    ports: frozenset[int] | None
    user_ids: frozenset[int] | None

    def covers(self, key: SmsResultKey) -> bool:
        return (
            key.group == self.group
            and _within(key.numbers, self.numbers)
            and _within(key.ports, self.ports)
            and _within(key.user_ids, self.user_ids)
        )

    def queries(self) -> list[SmsResultQuery]:
        """The wire calls: at most 32 numbers (and 32 user ids) each."""
        ports = tuple(sorted(self.ports)) if self.ports is not None else None
        number_chunks = _chunks_or_none(self.numbers)
        user_chunks = _chunks_or_none(self.user_ids)
        return [
            SmsResultQuery(
                numbers=numbers,
                ports=ports,
                user_ids=user_ids,
                time_after=self.group.time_after,
                time_before=self.group.time_before,
            )
            for numbers, user_ids in itertools.product(number_chunks, user_chunks)
        ]


def _within(asked: frozenset[T] | None, fetched: frozenset[T] | None) -> bool:
    return fetched is None or (asked is not None and asked <= fetched)


def _union(values: Iterable[frozenset[T] | None]) -> frozenset[T] | None:
    merged: frozenset[T] = frozenset()
    for value in values:
        if value is None:
            return None
        merged |= value
    return merged


def chunked(items: Sequence[T], size: int = MAX_NUMBERS_PER_QUERY) -> list[tuple[T, ...]]:
    return [tuple(items[start : start + size]) for start in range(0, len(items), size)]


def _chunks_or_none(items: frozenset[Any] | None) -> list[tuple[Any, ...] | None]:
    """Sorted chunks, so the same set is always asked the same way."""
    return [None] if items is None else list(chunked(sorted(items)))


def plan(keys: Iterable[SmsResultKey]) -> list[PlannedCall]:
    """One call per group of keys, in the order groups first appear."""
    groups: dict[CallGroup, list[SmsResultKey]] = {}
    for key in keys:
        groups.setdefault(key.group, []).append(key)
    return [
        PlannedCall(
            group,
            numbers=_union(key.numbers for key in members),
            ports=_union(key.ports for key in members),
            user_ids=_union(key.user_ids for key in members),
        )
        for group, members in groups.items()
    ]


def deduplicated(records: Iterable[SmsResultRecord]) -> list[SmsResultRecord]:
    """Each record once, first occurrence kept, even when chunks overlap."""
    return list(dict.fromkeys(records))


def merged(replies: Sequence[Sequence[SmsResultRecord]]) -> list[SmsResultRecord]:
    """The replies of one call's chunks as one list in the gateway's (time) order.

    Each chunk keeps its own order; chunks are interleaved by time, as one call would have
    answered, and a record that two chunks both returned appears once.
    """
    if len(replies) == 1:  # one chunk: already in order
        return deduplicated(replies[0])
    return deduplicated(heapq.merge(*replies, key=lambda record: record.time))


def select(records: Iterable[SmsResultRecord], key: SmsResultKey) -> list[SmsResultRecord]:
    """The records of a (possibly merged) call that one field asked for."""
    if key.numbers is key.ports is key.user_ids is key.statuses is None:
        return list(records)  # the field asked for all of them
    return [
        record
        for record in records
        if (key.numbers is None or record.number in key.numbers)
        and (key.ports is None or record.port in key.ports)
        and (key.user_ids is None or record.user_id in key.user_ids)
        and (key.statuses is None or status_kind(record.status) in key.statuses)
    ]
