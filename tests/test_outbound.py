"""User ids that are never reused, the send rate limit, the state file behind them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ultiroam_graphql.outbound import USER_ID_BLOCK, USER_ID_LIMIT, SendRateLimit, UserIds
from ultiroam_graphql.state import STATE_FILE, StateStore


def test_user_ids_are_unique_and_31_bit(tmp_path: Path) -> None:
    ids = UserIds("office", StateStore(tmp_path), clock=lambda: 1_700_000_000.0)
    first, second = ids.allocate(200), ids.allocate(3000)
    together = first + second
    assert len(set(together)) == len(together) == 3200
    assert all(0 < user_id <= USER_ID_LIMIT for user_id in together)


def test_user_ids_survive_a_restart_even_with_a_clock_set_back(tmp_path: Path) -> None:
    before = UserIds("office", StateStore(tmp_path), clock=lambda: 1_700_000_000.0)
    handed_out = set(before.allocate(10))
    after_restart = UserIds("office", StateStore(tmp_path), clock=lambda: 1_600_000_000.0)
    assert handed_out.isdisjoint(after_restart.allocate(5000))


def test_user_ids_are_per_gateway_and_reserved_before_use(tmp_path: Path) -> None:
    state = StateStore(tmp_path)
    office = UserIds("office", state, clock=lambda: 1_700_000_000.0)
    ids = office.allocate(1)
    assert StateStore(tmp_path).get("user_ids", "office") == ids[0] + 1 + USER_ID_BLOCK
    assert StateStore(tmp_path).get("user_ids", "shop") is None


def test_user_ids_wrap_before_31_bits(tmp_path: Path) -> None:
    state = StateStore(tmp_path)
    state.set("user_ids", "office", USER_ID_LIMIT - 10)
    assert UserIds("office", state, clock=lambda: 0.0).allocate(20)[0] == 1


def test_an_unreadable_state_file_starts_afresh(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("{not json")
    state = StateStore(tmp_path)
    assert state.get("inbox", "office") is None
    state.set("inbox", "office", 41)
    assert StateStore(tmp_path).get("inbox", "office") == 41


def test_the_rate_limit_allows_bursts_then_refills() -> None:
    now = [0.0]
    limit = SendRateLimit(60, clock=lambda: now[0])
    assert limit.take(60)
    assert not limit.take(1)
    now[0] += 10  # ten seconds: ten messages
    assert not limit.take(11)
    assert limit.take(10)


def test_no_rate_limit_by_default() -> None:
    assert SendRateLimit(0).take(1_000_000)


def test_two_processes_sharing_a_state_dir_never_share_ids(tmp_path: Path) -> None:
    one = UserIds("office", StateStore(tmp_path), clock=lambda: 1_700_000_000.0)
    two = UserIds("office", StateStore(tmp_path), clock=lambda: 1_700_000_000.0)
    ids = one.allocate(10) + two.allocate(10) + one.allocate(2000) + two.allocate(5)
    assert len(set(ids)) == len(ids)


def test_nothing_is_handed_out_when_the_reservation_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    ids = UserIds("office", StateStore(blocker), clock=lambda: 1_700_000_000.0)
    for _ in range(2):
        with pytest.raises(OSError):
            ids.allocate(1)
