"""Pushes: which bodies are due when (no HTTP), the sender, the loop, and the app's lifespan."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx
import pytest

from ultiroam_graphql.simulator import (
    ManualClock,
    PushSender,
    PushTracker,
    SimulatedGateway,
    create_simulator_app,
    push_loop,
)

SN = "da00-0030-1901-2817"
START = 1_714_730_400.0
"""2024-05-03 10:00:00 UTC, the `clock` fixture's start."""
PUSH_URL = "http://hub.test/push/gw1?token=s3cret-token"


def tracker_for(gateway: SimulatedGateway, **kwargs: object) -> PushTracker:
    """A tracker that always sends user_id, unless the test asks for the quirk."""
    kwargs.setdefault("omit_user_id", 0.0)
    return PushTracker(gateway, **kwargs)  # type: ignore[arg-type]


def elements(bodies: list[dict[str, object]], kind: str) -> list[dict[str, object]]:
    return [item for body in bodies if kind in body for item in body[kind]]  # type: ignore[attr-defined]


def ticking(clock: ManualClock, ticks: int) -> Callable[[float], Awaitable[None]]:
    """A fake `sleep` that moves the clock and ends the loop after `ticks` ticks."""
    done = 0

    async def sleep(seconds: float) -> None:
        nonlocal done
        if done == ticks:
            raise asyncio.CancelledError
        done += 1
        clock.advance(seconds)

    return sleep


# -- bodies ---------------------------------------------------------------------------------


def test_new_record_pushed_as_sending(gateway: SimulatedGateway) -> None:
    tracker = tracker_for(gateway)
    gateway.add_result(port=3, number=" 10086", user_id=77, count=2, ref_id=17, send_delay=5)
    assert tracker.collect() == [
        {
            "sn": SN,
            "sms_result": [
                {
                    "port": 3,
                    "user_id": 77,
                    "number": " 10086",
                    "time": "2024-05-03 10:00:00",
                    "status": "SENDING",
                    "count": 2,
                    "succ_count": 0,
                    "ref_id": 17,
                    "imsi": gateway.imsi(3),
                }
            ],
        }
    ]
    assert tracker.collect() == []


def test_sending_sent_ok_delivered(gateway: SimulatedGateway, clock: ManualClock) -> None:
    tracker = tracker_for(gateway)
    gateway.add_result(port=0, number="0612345678", ref_id=42, send_delay=4, delivery_delay=10)
    ticks = []
    for step in (0, 2, 2, 5, 5, 1, 1):
        clock.advance(step)
        ticks.append(tracker.collect())
    statuses = [[e["status"] for e in elements(t, "sms_result")] for t in ticks]
    assert statuses == [["SENDING"], [], ["SENT_OK"], [], ["DELIVERED"], [], []]
    reports = [elements(t, "sms_deliver_status") for t in ticks]
    assert reports[4] == [
        {
            "port": 0,
            "number": "0612345678",
            "time": "2024-05-03 10:00:00",
            "ref_id": 42,
            "status_code": 0,
            "imsi": gateway.imsi(0),
        }
    ]
    assert sum(len(r) for r in reports) == 1
    assert [len(t) for t in ticks] == [1, 0, 1, 0, 2, 0, 0]
    assert tracker.tracked == 0


def test_first_seen_in_final_state_is_pushed_once(
    gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = tracker_for(gateway)
    gateway.add_result(
        port=1, number="1", sent_at=START - 600, send_delay=1, delivery_delay=1, ref_id=9
    )
    bodies = tracker.collect()
    assert [e["status"] for e in elements(bodies, "sms_result")] == ["DELIVERED"]
    assert [e["ref_id"] for e in elements(bodies, "sms_deliver_status")] == [9]
    clock.advance(60)
    assert tracker.collect() == []
    assert tracker.tracked == 0


def test_sent_ok_fate_has_no_report_and_is_forgotten(
    gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = tracker_for(gateway)
    record = gateway.add_result(port=0, number="1", fate="SENT_OK", send_delay=2)
    assert [e["status"] for e in elements(tracker.collect(), "sms_result")] == ["SENDING"]
    clock.advance(2)
    assert tracker.collect() == [{"sn": SN, "sms_result": [gateway.wire_result(record)]}]
    assert tracker.tracked == 0
    clock.advance(3600)
    assert tracker.collect() == []


def test_failed_reports_only_for_some(gateway: SimulatedGateway, clock: ManualClock) -> None:
    tracker = tracker_for(gateway)
    records = [
        gateway.add_result(port=p % 4, number=f"06000000{p:02}", fate="FAILED", send_delay=1)
        for p in range(20)
    ]
    clock.advance(1)
    bodies = tracker.collect()
    assert [e["status"] for e in elements(bodies, "sms_result")] == ["FAILED"] * 20
    reports = elements(bodies, "sms_deliver_status")
    expected = {r.number: gateway.failure_report_code(r) for r in records}
    with_report = {n: c for n, c in expected.items() if c is not None}
    assert 0 < len(with_report) < 20
    assert {str(e["number"]): e["status_code"] for e in reports} == with_report
    assert all(64 <= c <= 255 for c in with_report.values())
    assert tracker.tracked == 0


def test_no_duplicates_across_ticks(clock: ManualClock) -> None:
    gateway = SimulatedGateway(clock=clock, seed=5, initial_results=0)
    tracker = tracker_for(gateway)
    pushed: list[dict[str, object]] = []
    reports: list[dict[str, object]] = []
    for tick in range(80):
        if tick < 20:
            gateway.add_random_burst()
        bodies = tracker.collect()
        pushed += elements(bodies, "sms_result")
        reports += elements(bodies, "sms_deliver_status")
        clock.advance(1)
    key = Counter((e["port"], e["ref_id"], e["number"], e["status"]) for e in pushed)
    assert max(key.values()) == 1
    by_record: dict[tuple[object, ...], list[object]] = {}
    for e in pushed:
        by_record.setdefault((e["port"], e["ref_id"], e["number"]), []).append(e["status"])
    assert len(by_record) == len(gateway.records)
    final = {r.fate for r in gateway.records}
    assert final <= {"DELIVERED", "SENT_OK", "FAILED"}
    for record in gateway.records:
        statuses = by_record[(record.port, record.ref_id, record.number)]
        assert statuses[-1] == record.fate
        assert len(statuses) == len(set(statuses))
    delivered = sum(r.fate == "DELIVERED" for r in gateway.records)
    failed_reports = sum(gateway.failure_report_code(r) is not None for r in gateway.records)
    assert len(reports) == delivered + failed_reports
    assert tracker.tracked == 0


def test_clock_set_back_does_not_repush(gateway: SimulatedGateway, clock: ManualClock) -> None:
    tracker = tracker_for(gateway)
    gateway.add_result(port=0, number="1", send_delay=2, delivery_delay=100)
    clock.advance(3)
    assert [e["status"] for e in elements(tracker.collect(), "sms_result")] == ["SENT_OK"]
    clock.advance(-3)
    assert tracker.collect() == []
    clock.advance(3)
    assert tracker.collect() == []


def test_existing_records_count_as_pushed(clock: ManualClock) -> None:
    gateway = SimulatedGateway(clock=clock, seed=2)
    gateway.add_result(port=0, number="1", send_delay=5, delivery_delay=5)
    tracker = tracker_for(gateway)
    assert tracker.tracked >= 1
    assert tracker.collect() == []
    clock.advance(5)
    assert [e["status"] for e in elements(tracker.collect(), "sms_result")] == ["SENT_OK"]


def test_incoming_sms_bodies(gateway: SimulatedGateway, clock: ManualClock) -> None:
    gateway.add_incoming_sms(port=0, number="+33611111111", text="before start")
    tracker = tracker_for(gateway)
    clock.advance(71)
    first = gateway.add_incoming_sms(
        port=1, number="+33611111111", text="hi 👋", smsc="+33609001390"
    )
    second = gateway.add_incoming_sms(port=2, number="Google", text="G-123456 is your code")
    assert tracker.collect() == [
        {
            "sn": SN,
            "sms": [
                {
                    "incoming_sms_id": 2,
                    "port": 1,
                    "number": "+33611111111",
                    "smsc": "+33609001390",
                    "timestamp": "2024-05-03 10:01:11",
                    "text": "hi 👋",
                    "imsi": gateway.imsi(1),
                },
                gateway.wire_incoming(second, imsi=True),
            ],
        }
    ]
    assert tracker.collect() == []
    assert not gateway.is_read(first.incoming_sms_id)
    third = gateway.add_incoming_sms(port=0, number="1", text="again")
    assert elements(tracker.collect(), "sms") == [gateway.wire_incoming(third, imsi=True)]


def test_one_body_per_kind_in_order(gateway: SimulatedGateway, clock: ManualClock) -> None:
    tracker = tracker_for(gateway)
    for n in range(3):
        gateway.add_result(port=n, number=str(n), sent_at=START - 100, send_delay=1)
    gateway.add_incoming_sms(port=0, number="2", text="a")
    gateway.add_incoming_sms(port=1, number="3", text="b")
    bodies = tracker.collect()
    assert [list(b) for b in bodies] == [
        ["sn", "sms_result"],
        ["sn", "sms_deliver_status"],
        ["sn", "sms"],
    ]
    assert [len(b[list(b)[1]]) for b in bodies] == [3, 3, 2]  # type: ignore[arg-type]


def test_sn_omitted_when_none(clock: ManualClock) -> None:
    gateway = SimulatedGateway(clock=clock, sn=None, initial_results=0)
    tracker = tracker_for(gateway)
    gateway.add_result(port=0, number="1", sent_at=START - 100, send_delay=1)
    gateway.add_incoming_sms(port=0, number="2", text="x")
    bodies = tracker.collect()
    assert [list(b) for b in bodies] == [["sms_result"], ["sms_deliver_status"], ["sms"]]


def test_device_quirks_with_fixed_seed(clock: ManualClock) -> None:
    gateway = SimulatedGateway(clock=clock, seed=0, initial_results=0)
    tracker = PushTracker(gateway)
    gateway.add_random_results(300)
    results = elements(tracker.collect(), "sms_result")
    assert len(results) == 300
    without = [e for e in results if "user_id" not in e]
    assert 0 < len(without) < len(results) // 4
    numbers = {str(e["number"]) for e in results}
    assert any(n.startswith(" ") for n in numbers)
    assert any(str(e["imsi"]).endswith(" ") for e in results)
    again = SimulatedGateway(clock=ManualClock(START), seed=0, initial_results=0)
    again_tracker = PushTracker(again)
    again.add_random_results(300)
    assert elements(again_tracker.collect(START), "sms_result") == results


def test_tracker_stays_bounded_and_closes(gateway: SimulatedGateway) -> None:
    tracker = tracker_for(gateway, max_tracked=10)
    for n in range(30):
        gateway.add_result(port=0, number=str(n), send_delay=60)
    assert tracker.tracked == 10
    assert [e["number"] for e in elements(tracker.collect(), "sms_result")] == [
        str(n) for n in range(20, 30)
    ]
    tracker.close()
    gateway.add_result(port=0, number="late", send_delay=60)
    assert tracker.tracked == 10
    assert tracker.collect() == []


def test_seeded_omission_is_injectable(gateway: SimulatedGateway) -> None:
    tracker = PushTracker(gateway, rng=random.Random(1), omit_user_id=1.0)
    gateway.add_result(port=0, number="1", user_id=5)
    (element,) = elements(tracker.collect(), "sms_result")
    assert "user_id" not in element


# -- sender and loop ------------------------------------------------------------------------


class Receiver:
    """A fake push receiver behind httpx.MockTransport; `answers` scripts its replies."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, json={"ok": answer < 300})

    @property
    def bodies(self) -> list[dict[str, object]]:
        return [json.loads(r.content) for r in self.requests]


async def test_loop_posts_to_receiver(gateway: SimulatedGateway, clock: ManualClock) -> None:
    receiver = Receiver()
    tracker = tracker_for(gateway)
    gateway.add_result(port=0, number="0612345678", send_delay=1.5, delivery_delay=1)
    gateway.add_incoming_sms(port=1, number="+33611111111", text="Merci, bien reçu")
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        sender = PushSender(gateway, client, PUSH_URL)
        with pytest.raises(asyncio.CancelledError):
            await push_loop(tracker, sender, 1.0, sleep=ticking(clock, 5))
    assert [list(b)[1] for b in receiver.bodies] == [
        "sms_result",
        "sms",
        "sms_result",
        "sms_result",
        "sms_deliver_status",
    ]
    assert [e["status"] for e in elements(receiver.bodies, "sms_result")] == [
        "SENDING",
        "SENT_OK",
        "DELIVERED",
    ]
    assert elements(receiver.bodies, "sms")[0]["text"] == "Merci, bien reçu"
    for request in receiver.requests:
        assert request.method == "POST"
        assert str(request.url) == PUSH_URL
        assert request.headers["content-type"] == "application/json"
    assert "reçu".encode() in receiver.requests[1].content
    assert (gateway.pushes_sent, gateway.pushes_failed) == (5, 0)


async def test_failed_pushes_counted_logged_and_not_retried(
    gateway: SimulatedGateway, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver(503, httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), 200)
    tracker = tracker_for(gateway)
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        sender = PushSender(gateway, client, "http://hub:pw@hub.test:8080/push/s3cret-path")
        for n in range(4):
            gateway.add_result(port=0, number=f"secret-number-{n}", send_delay=60)
            clock.advance(1)
            for body in tracker.collect():
                await sender(body)
    assert len(receiver.requests) == 4
    assert (gateway.pushes_sent, gateway.pushes_failed) == (1, 3)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3
    text = "\n".join(r.getMessage() for r in warnings)
    assert "HTTP 503" in text and "ConnectError" in text and "ReadTimeout" in text
    assert "http://hub.test:8080" in text
    for secret in ("s3cret", "pw", "secret-number", "SENDING"):
        assert secret not in text


async def test_loop_goes_on_after_failures(gateway: SimulatedGateway, clock: ManualClock) -> None:
    receiver = Receiver(500, httpx.ConnectError("down"), 500)
    tracker = tracker_for(gateway)

    async def sleep(seconds: float) -> None:
        if clock.now - START >= 6:
            raise asyncio.CancelledError
        clock.advance(seconds)
        gateway.add_result(port=0, number="1", send_delay=100)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        with pytest.raises(asyncio.CancelledError):
            await push_loop(tracker, PushSender(gateway, client, PUSH_URL), 1.0, sleep=sleep)
    assert len(receiver.requests) == 6
    assert (gateway.pushes_sent, gateway.pushes_failed) == (3, 3)


# -- the app's lifespan ---------------------------------------------------------------------


async def test_lifespan_runs_and_stops_push_loop(
    gateway: SimulatedGateway, clock: ManualClock
) -> None:
    arrived = asyncio.Event()
    receiver = Receiver()

    def handler(request: httpx.Request) -> httpx.Response:
        if "sms" in json.loads(request.content):
            arrived.set()
        return receiver(request)

    app = create_simulator_app(
        gateway,
        push_url=PUSH_URL,
        push_transport=httpx.MockTransport(handler),
        push_interval=0.001,
    )
    gateway.add_result(port=0, number="before", send_delay=100)
    async with app.router.lifespan_context(app):
        gateway.add_incoming_sms(port=0, number="1", text="inside")
        async with asyncio.timeout(5):
            await arrived.wait()
    assert receiver.bodies[0] == {"sn": SN, "device": gateway.wire_device()}
    assert receiver.bodies[1] == {
        "sn": SN,
        "sms": [gateway.wire_incoming(gateway.incoming[0], imsi=True)],
    }
    count = len(receiver.requests)
    gateway.add_incoming_sms(port=0, number="1", text="after")
    await asyncio.sleep(0.01)
    assert len(receiver.requests) == count
    assert gateway.pushes_sent == count


async def test_lifespan_runs_traffic_and_push_together(clock: ManualClock) -> None:
    gateway = SimulatedGateway(clock=clock, initial_results=0)
    arrived = asyncio.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        if "sms_result" in json.loads(request.content):
            arrived.set()
        return httpx.Response(200)

    app = create_simulator_app(
        gateway,
        traffic_interval=0.001,
        push_url=PUSH_URL,
        push_transport=httpx.MockTransport(handler),
        push_interval=0.001,
    )
    async with app.router.lifespan_context(app):
        async with asyncio.timeout(5):
            await arrived.wait()
    assert gateway.records and gateway.pushes_sent >= 1
    assert gateway.pushes_failed == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"push_url": PUSH_URL, "push_interval": 0},
        {"push_url": PUSH_URL, "push_interval": -1},
        {"push_url": "ftp://hub.test/push"},
        {"push_url": "/push"},
        {"push_url": "http://"},
        {"push_transport": httpx.MockTransport(lambda r: httpx.Response(200))},
    ],
)
def test_bad_push_settings_rejected(gateway: SimulatedGateway, kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        create_simulator_app(gateway, **kwargs)  # type: ignore[arg-type]
