"""Call planning as pure functions: merging, chunking, covering, splitting back."""

from __future__ import annotations

from datetime import datetime

import pytest

from ultiroam_graphql.batching import (
    CallGroup,
    PlannedCall,
    SmsResultKey,
    chunked,
    deduplicated,
    merged,
    plan,
    select,
)
from ultiroam_graphql.gateway import SmsResultQuery, SmsResultRecord

T0 = datetime(2024, 5, 3, 10, 0)


def key(**fields: object) -> SmsResultKey:
    return SmsResultKey(gateway_id=str(fields.pop("gateway_id", "a")), **fields)  # type: ignore[arg-type]


def record(
    port: int = 0, number: str = "1", user_id: int | None = 1, status: str = "SENT_OK", minute=0
):
    time = T0.replace(minute=minute)
    return SmsResultRecord("a", port, number, user_id, time, status, 1, 1, 0, None)


@pytest.mark.parametrize(
    ("keys", "calls"),
    [
        # 32 ports with one filter share one call, ports merged.
        ([key(ports=frozenset({p})) for p in range(32)], 1),
        # A field without a port filter makes the merged call unfiltered by port.
        ([key(ports=frozenset({1})), key()], 1),
        # Numbers merge with numbers; times must be equal.
        ([key(numbers=frozenset({"1"})), key(numbers=frozenset({"2"}))], 1),
        ([key(time_after=T0), key()], 2),
        # A field filtered by numbers never shares with one that is not (it would fetch all).
        ([key(numbers=frozenset({"1"})), key(ports=frozenset({1}))], 2),
        ([key(user_ids=frozenset({1})), key(numbers=frozenset({"1"}))], 2),
        # Different gateways never share a call.
        ([key(), key(gateway_id="b")], 2),
        # Statuses are applied by the facade, so they do not split calls.
        ([key(statuses=frozenset({"FAILED"})), key()], 1),
    ],
)
def test_plan_merges_what_one_call_can_serve(keys: list[SmsResultKey], calls: int) -> None:
    assert len(plan(keys)) == calls


def test_merged_ports_and_user_ids() -> None:
    (call,) = plan(
        [
            key(ports=frozenset({3}), user_ids=frozenset({7})),
            key(ports=frozenset({1}), user_ids=frozenset({9})),
        ]
    )
    assert call.ports == {1, 3}
    assert call.user_ids == {7, 9}
    assert call.queries() == [SmsResultQuery(ports=(1, 3), user_ids=(7, 9))]


@pytest.mark.parametrize(("count", "calls"), [(1, 1), (32, 1), (33, 2), (64, 2), (70, 3)])
def test_numbers_are_chunked_by_32(count: int, calls: int) -> None:
    numbers = [f"06{n:08d}" for n in range(count)]
    (call,) = plan([key(numbers=frozenset(numbers[: count // 2])), key(numbers=frozenset(numbers))])
    queries = call.queries()
    assert len(queries) == calls
    assert all(len(q.numbers or ()) <= 32 for q in queries)
    assert sum((q.numbers or () for q in queries), ()) == tuple(numbers)


def test_user_ids_are_chunked_by_32_too() -> None:
    (call,) = plan([key(user_ids=frozenset(range(40)))])
    assert [len(q.user_ids or ()) for q in call.queries()] == [32, 8]


def test_chunked() -> None:
    assert chunked([1, 2, 3, 4, 5], 2) == [(1, 2), (3, 4), (5,)]
    assert chunked([], 2) == []


def test_a_call_covers_keys_it_fetched_everything_for() -> None:
    group = CallGroup("a", None, None, by_numbers=False, by_user_ids=False)
    everything = PlannedCall(group, numbers=None, ports=None, user_ids=None)
    some_ports = PlannedCall(group, numbers=None, ports=frozenset({1, 2}), user_ids=None)
    assert everything.covers(key(ports=frozenset({5})))
    assert some_ports.covers(key(ports=frozenset({1})))
    assert not some_ports.covers(key(ports=frozenset({3})))
    assert not some_ports.covers(key())
    assert not everything.covers(key(numbers=frozenset({"1"})))
    by_numbers = CallGroup("a", None, None, by_numbers=True, by_user_ids=False)
    two = PlannedCall(by_numbers, numbers=frozenset({"1", "2"}), ports=None, user_ids=None)
    assert two.covers(key(numbers=frozenset({"2"}), ports=frozenset({4})))
    assert not two.covers(key(numbers=frozenset({"3"})))


def test_deduplicated_keeps_the_gateways_order() -> None:
    a, b, c = record(number="1"), record(number="2"), record(number="3")
    assert deduplicated([b, a, b, c, a]) == [b, a, c]


def test_select_splits_a_merged_call_back() -> None:
    records = [
        record(port=0, user_id=1),
        record(port=1, user_id=2, status="FAILED"),
        record(port=2, user_id=3, status="WEIRD"),
    ]
    assert select(records, key(ports=frozenset({1}))) == [records[1]]
    assert select(records, key(numbers=frozenset({"1"}))) == records
    assert select(records, key(numbers=frozenset({"2"}))) == []
    assert select(records, key(user_ids=frozenset({1, 3}))) == [records[0], records[2]]
    assert select(records, key(statuses=frozenset({"FAILED"}))) == [records[1]]
    assert select(records, key(statuses=frozenset({"UNKNOWN"}))) == [records[2]]
    assert select(records, key()) == records


def test_chunk_replies_merge_in_time_order_each_once() -> None:
    a, b, c, d = (record(number=str(n), minute=n) for n in range(4))
    assert merged([[a, c], [b, c, d]]) == [a, b, c, d]
    assert merged([[a, b]]) == [a, b]
    assert merged([]) == []
