"""SimRecord: status and succ_count as pure functions of time."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ultiroam_graphql.simulator import SimRecord

T0 = 1_714_730_400.0


def make_record(**overrides: object) -> SimRecord:
    fields: dict[str, object] = {
        "port": 0,
        "number": "0612345678",
        "user_id": 1,
        "sent_at": T0,
        "count": 3,
        "ref_id": 17,
        "imsi": "208011234567890",
        "fate": "DELIVERED",
        "send_delay": 4.0,
        "delivery_delay": 10.0,
    }
    fields.update(overrides)
    return SimRecord(**fields)  # type: ignore[arg-type]


def test_delivered_progression() -> None:
    record = make_record()
    assert [record.status(T0 + dt) for dt in (0, 3.9, 4.0, 13.9, 14.0, 1e6)] == [
        "SENDING",
        "SENDING",
        "SENT_OK",
        "SENT_OK",
        "DELIVERED",
        "DELIVERED",
    ]


def test_sent_ok_fate_never_delivers() -> None:
    record = make_record(fate="SENT_OK")
    assert record.status(T0 + 1) == "SENDING"
    assert record.status(T0 + 1e6) == "SENT_OK"


def test_failed_fate() -> None:
    record = make_record(fate="FAILED")
    assert record.status(T0 + 1) == "SENDING"
    assert record.status(T0 + 4) == "FAILED"
    assert record.status(T0 + 1e6) == "FAILED"


def test_succ_count_lower_while_sending_or_failed() -> None:
    record = make_record(count=3)
    sending = [record.succ_count(T0 + dt) for dt in (0, 1.5, 3.0, 3.99)]
    assert sending == sorted(sending)
    assert all(s < 3 for s in sending)
    assert record.succ_count(T0 + 4) == 3
    assert record.succ_count(T0 + 20) == 3
    assert make_record(fate="FAILED").succ_count(T0 + 5) < 3
    assert make_record(fate="FAILED", count=1).succ_count(T0 + 5) == 0


def test_local_time_uses_zone_and_drops_fraction() -> None:
    record = make_record(sent_at=T0 + 0.75)
    assert record.wire_time(ZoneInfo("UTC")) == "2024-05-03 10:00:00"
    assert record.wire_time(ZoneInfo("Asia/Shanghai")) == "2024-05-03 18:00:00"


@pytest.mark.parametrize(
    "overrides",
    [
        {"count": 0},
        {"ref_id": 256},
        {"ref_id": -1},
        {"user_id": -1},
        {"number": "1" * 25},
        {"fate": "LOST"},
        {"send_delay": -1.0},
    ],
)
def test_invalid_records_rejected(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_record(**overrides)
