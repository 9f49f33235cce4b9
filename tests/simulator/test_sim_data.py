"""Seeded data: deterministic, realistic and ordered."""

from __future__ import annotations

import re

import pytest

from ultiroam_graphql.simulator import ManualClock, SimulatedGateway

START = 1_714_730_400.0
"""Same instant as the `clock` fixture's start."""


def seeded(seed: int = 0, **kwargs: object) -> SimulatedGateway:
    return SimulatedGateway(seed=seed, clock=ManualClock(START), **kwargs)  # type: ignore[arg-type]


def test_same_seed_same_data() -> None:
    first, second = seeded(7), seeded(7)
    assert first.records == second.records
    assert first.add_random_results(5) == second.add_random_results(5)
    assert seeded(8).records != first.records


def test_initial_records_span_last_hour_in_order() -> None:
    gateway = seeded()
    records = gateway.records
    assert len(records) == 120
    times = [r.sent_at for r in records]
    assert times == sorted(times)
    assert times[0] >= START - 3600 and times[-1] <= START
    assert times[-1] - times[0] > 3000
    assert len({r.port for r in records}) > 20


def test_realistic_fields() -> None:
    records = seeded().records
    numbers = {r.number for r in records}
    assert any(n.startswith("+") for n in numbers)
    assert any(n.startswith("0") for n in numbers)
    assert any(n != n.strip() for n in numbers)
    assert all(re.fullmatch(r"\+?[0-9]+", n.strip()) for n in numbers)
    assert all(len(n.encode()) <= 24 for n in numbers)
    user_ids = [r.user_id for r in records]
    positive = [u for u in user_ids if u > 0]
    assert len(set(positive)) == len(positive) > 100
    assert {r.count for r in records} == {1, 2, 3}
    assert all(0 <= r.ref_id <= 255 for r in records)


def test_zero_user_ids_appear() -> None:
    assert any(r.user_id == 0 for r in seeded(initial_results=400).records)


def test_one_imsi_per_port_some_with_trailing_space() -> None:
    gateway = seeded()
    imsis = [gateway.imsi(p) for p in range(32)]
    assert all(re.fullmatch(r"[0-9]{15} ?", i) for i in imsis)
    assert len({i.strip() for i in imsis}) == 32
    assert 1 <= sum(i.endswith(" ") for i in imsis) < 32
    assert all(r.imsi == gateway.imsi(r.port) for r in gateway.records)


def test_final_statuses_mix() -> None:
    gateway = seeded(initial_results=400)
    later = START + 3600
    statuses = [r.status(later) for r in gateway.records]
    assert statuses.count("FAILED") < statuses.count("SENT_OK") < statuses.count("DELIVERED")
    assert statuses.count("FAILED") > 0


def test_add_result_defaults_and_ref_counter(gateway: SimulatedGateway) -> None:
    first = gateway.add_result(port=2, number="0612345678", count=2)
    second = gateway.add_result(port=2, number="0612345678")
    assert first.user_id == 0
    assert first.sent_at == START
    assert second.ref_id == (first.ref_id + 2) % 256
    assert first.imsi == gateway.imsi(2)


def test_add_result_keeps_send_order(gateway: SimulatedGateway) -> None:
    late = gateway.add_result(port=0, number="1", sent_at=START + 10)
    early = gateway.add_result(port=0, number="2", sent_at=START - 10)
    assert gateway.records == (early, late)


def test_add_result_rejects_bad_port(gateway: SimulatedGateway) -> None:
    with pytest.raises(ValueError):
        gateway.add_result(port=32, number="1")


def test_port_count_configurable(clock: ManualClock) -> None:
    gateway = SimulatedGateway(ports=8, clock=clock)
    assert gateway.port_count == 8
    assert {r.port for r in gateway.records} <= set(range(8))
