"""Sending: `send_sms` (validation, ports, timing), `stop_sms`, the queue, delivery reports."""

from __future__ import annotations

import itertools
from collections import Counter

import httpx
import pytest

from ultiroam_graphql.simulator import ManualClock, PushTracker, SimulatedGateway
from ultiroam_graphql.simulator.dispatch import SEND_TIME
from ultiroam_graphql.simulator.send_request import (
    Recipient,
    SendRequest,
    render,
    segment_count,
)

SN = "da00-0030-1901-2817"


def one(number: str = "0612345678", user_id: int = 1, **extra: object) -> dict[str, object]:
    return {"number": number, "user_id": user_id, **extra}


async def send(api: httpx.AsyncClient, **body: object) -> dict[str, object]:
    body.setdefault("text", "hello")
    body.setdefault("param", [one()])
    response = await api.post("/api/send_sms", json=body)
    assert response.status_code == 200
    return response.json()


async def results(api: httpx.AsyncClient, **body: object) -> list[dict[str, object]]:
    reply = (await api.post("/api/query_sms_result", json=body)).json()
    assert reply["error_code"] == 200
    return reply["result"]


async def statuses(api: httpx.AsyncClient) -> list[object]:
    return [r["status"] for r in await results(api)]


# -- send_sms -----------------------------------------------------------------------------------


async def test_send_reply_records_and_substitution(
    api: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    reply = await send(
        api,
        text="Code #param# for #param#",
        port=[0, 1],
        param=[
            one("0612345678", 1001, text_param=["4821", "Ann"]),
            one("+33698765432", 1002, text_param=["7730"]),
        ],
    )
    assert reply == {"error_code": 202, "sn": SN, "sms_in_queue": 2, "task_id": 1}
    first, second = gateway.records
    assert (first.text, second.text) == ("Code 4821 for Ann", "Code 7730 for ")
    assert {first.port, second.port} == {0, 1}
    assert (first.user_id, second.user_id) == (1001, 1002)
    assert first.task_id == second.task_id == 1
    listed = await results(api, user_id=[1001, 1002])
    assert [r["status"] for r in listed] == ["SENDING", "SENDING"]
    assert [r["imsi"] for r in listed] == [gateway.imsi(first.port), gateway.imsi(second.port)]
    assert (await send(api))["task_id"] == 2
    assert gateway.calls["send_sms"] == 2


async def test_task_ids_increase_and_queue_counts(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    ids = [(await send(api, param=[one(user_id=n)]))["task_id"] for n in range(3)]
    assert ids == [1, 2, 3]
    gateway.add_result(port=5, number="1", send_delay=100)
    assert (await api.get("/api/query_sms_in_queue")).json()["in_queue"] == 4
    assert (await send(api))["sms_in_queue"] == 5
    clock.advance(SEND_TIME[1] * 5)
    assert (await api.get("/api/query_sms_in_queue")).json()["in_queue"] == 1


async def test_timing_sending_sent_ok_delivered(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    await send(api, port=[0])
    (record,) = gateway.records
    assert SEND_TIME[0] <= record.send_delay <= SEND_TIME[1]
    assert record.fate == "DELIVERED" and 2 <= record.delivery_delay <= 8
    seen = []
    sent_ok = record.send_delay
    delivered = sent_ok + record.delivery_delay
    for at in (0.0, sent_ok - 0.5, sent_ok + 0.1, delivered - 0.1, delivered + 0.01):
        clock.advance(record.sent_at + at - clock.now)
        seen += await statuses(api)
    assert seen == ["SENDING", "SENDING", "SENT_OK", "SENT_OK", "DELIVERED"]
    (report,) = (await api.post("/api/query_sms_deliver_status", json={})).json()["result"]
    assert report["status_code"] == 0 and report["ref_id"] == record.ref_id


async def test_no_delivered_without_status_report(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    await send(api, request_status_report=False, param=[one(user_id=n) for n in range(60)])
    clock.advance(3600)
    final = Counter(await statuses(api))
    assert set(final) <= {"SENT_OK", "FAILED"} and final["SENT_OK"] > 40
    assert not any(r.status_report for r in gateway.records)
    reports = (await api.post("/api/query_sms_deliver_status", json={})).json()["result"]
    assert reports == []


async def test_about_five_percent_fail(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    for _ in range(4):
        await send(api, param=[one(user_id=n) for n in range(128)])
    clock.advance(3 * 3600)
    final = Counter(await statuses(api))
    assert final["DELIVERED"] + final["FAILED"] == 512
    assert 5 <= final["FAILED"] <= 50


async def test_recipients_queue_behind_each_other_on_a_port(
    api: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    await send(api, port=[3], param=[one(user_id=n) for n in range(3)])
    delays = [r.send_delay for r in gateway.records]
    assert [r.port for r in gateway.records] == [3, 3, 3]
    for before, after in itertools.pairwise(delays):
        assert after - before >= SEND_TIME[0]


async def test_spread_over_allowed_registered_ports_only(
    api: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    info = (await api.get("/api/get_port_info?info_type=reg")).json()["info"]
    down = [p["port"] for p in info if p["reg"] != "REGISTER_OK"]
    up = [p["port"] for p in info if p["reg"] == "REGISTER_OK"]
    await send(api, port=[*down, up[0], up[1]], param=[one(user_id=n) for n in range(6)])
    assert Counter(r.port for r in gateway.records) == {up[0]: 3, up[1]: 3}
    await send(api, param=[one(user_id=n) for n in range(64)])
    assert not {r.port for r in gateway.records} & set(down)


async def test_550_when_no_asked_port_is_usable(
    api: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    info = (await api.get("/api/get_port_info?info_type=reg")).json()["info"]
    down = [p["port"] for p in info if p["reg"] != "REGISTER_OK"]
    assert len(down) == 3
    assert await send(api, port=down) == {"error_code": 550, "sn": SN}
    gateway.ports.power(0, False)
    assert (await send(api, port=[0]))["error_code"] == 550
    assert gateway.records == ()


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"param": [one()]},
        {"text": 5, "param": [one()]},
        {"text": "x"},
        {"text": "x", "param": []},
        {"text": "x", "param": {"number": "1"}},
        {"text": "x", "param": ["0612345678"]},
        {"text": "x", "param": [{"user_id": 1}]},
        {"text": "x", "param": [one("06-12-34")]},
        {"text": "x", "param": [one("1" * 25)]},
        {"text": "x", "param": [one(user_id="7")]},
        {"text": "x", "param": [one(user_id=-1)]},
        {"text": "x", "param": [one(user_id=True)]},
        {"text": "x", "param": [one(text_param="a")]},
        {"text": "x", "param": [one()], "port": [32]},
        {"text": "x", "param": [one()], "port": "0"},
        {"text": "x", "param": [one()], "encoding": 7},
        {"text": "x", "param": [one()], "request_status_report": "true"},
    ],
)
async def test_send_400(api: httpx.AsyncClient, gateway: SimulatedGateway, body: object) -> None:
    reply = (await api.post("/api/send_sms", json=body)).json()
    assert reply == {"error_code": 400, "sn": SN}
    assert gateway.records == ()


async def test_send_400_for_non_json(api: httpx.AsyncClient) -> None:
    reply = (await api.post("/api/send_sms", content=b"text=hi")).json()
    assert reply["error_code"] == 400


async def test_send_413(api: httpx.AsyncClient, gateway: SimulatedGateway) -> None:
    many = [one(user_id=n) for n in range(129)]
    assert (await send(api, param=many))["error_code"] == 413
    assert (await send(api, text="é" * 751))["error_code"] == 413
    assert (await send(api, text="é" * 750))["error_code"] == 202
    assert (await send(api, param=many[:128]))["error_code"] == 202


async def test_unknown_encoding_is_unicode(
    api: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    await send(api, text="a" * 100, encoding="GSM7BIT")
    await send(api, text="a" * 100, encoding="gsm-7bit")
    assert [r.count for r in gateway.records] == [2, 1]


def test_segments_and_render() -> None:
    assert segment_count("", "unicode") == 1
    assert segment_count("a" * 70, "unicode") == 1
    assert segment_count("a" * 71, "unicode") == 2
    assert segment_count("a" * 135, "unicode") == 3
    assert segment_count("a" * 160, "gsm-7bit") == 1
    assert segment_count("€" * 80, "gsm-7bit") == 1
    assert segment_count("€" * 81, "gsm-7bit") == 2
    assert segment_count("😀" * 35, "unicode") == 1
    assert render("#param##param#!", ("a",)) == "a!"
    assert render("no placeholder", ("a",)) == "no placeholder"


def test_send_sms_python_api(gateway: SimulatedGateway) -> None:
    task = gateway.send_sms(SendRequest("hi", (Recipient("0612345678", user_id=9),), ports=(2,)))
    assert task.task_id == 1 and [r.port for r in task.records] == [2]
    assert gateway.task(1) is task and gateway.task(2) is None
    with pytest.raises(ValueError):
        gateway.send_sms(SendRequest("hi", (Recipient("1"),), ports=(32,)))
    assert gateway.stop_sms(1) is True and gateway.stop_sms(1) is False
    assert [r.status(gateway.clock()) for r in gateway.records] == ["FAILED"]


# -- stop_sms -----------------------------------------------------------------------------------


async def test_stop_fails_what_is_still_sending(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = PushTracker(gateway, omit_user_id=0.0)
    task_id = (await send(api, port=[0], param=[one(user_id=n) for n in range(4)]))["task_id"]
    first_done = min(r.send_delay for r in gateway.records)
    clock.advance(first_done + 0.1)
    tracker.collect()
    reply = (await api.get(f"/api/stop_sms?task_id={task_id}")).json()
    assert reply == {"error_code": 200, "sn": SN}
    assert Counter(await statuses(api)) == {"FAILED": 3, "SENT_OK": 1}
    pushed = [e["status"] for b in tracker.collect() for e in b.get("sms_result", [])]
    assert pushed == ["FAILED"] * 3
    clock.advance(3600)
    bodies = tracker.collect()
    assert [list(b)[1] for b in bodies] == ["sms_result", "sms_deliver_status"]
    assert [e["status"] for e in bodies[0]["sms_result"]] == ["DELIVERED"]  # type: ignore[index]
    assert Counter(await statuses(api)) == {"FAILED": 3, "DELIVERED": 1}
    assert (await api.get(f"/api/stop_sms?task_id={task_id}")).json()["error_code"] == 404
    await send(api, port=[0])
    assert gateway.records[-1].send_delay <= SEND_TIME[1]


async def test_stop_unknown_finished_or_malformed(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    assert (await api.get("/api/stop_sms?task_id=7")).json() == {"error_code": 404, "sn": SN}
    await send(api)
    clock.advance(60)
    assert (await api.get("/api/stop_sms?task_id=1")).json()["error_code"] == 404
    for query in ("", "?task_id=", "?task_id=x", "?task_id=-1"):
        assert (await api.get(f"/api/stop_sms{query}")).json()["error_code"] == 400
    assert (await api.post("/api/stop_sms?task_id=1")).status_code == 405
    assert gateway.calls["stop_sms"] == 6


# -- query_sms_deliver_status ------------------------------------------------------------------


async def test_deliver_status_reports_and_filters(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    delivered = gateway.add_result(port=0, number=" 10086", user_id=5, send_delay=1)
    gateway.add_result(port=1, number="2", fate="SENT_OK", send_delay=1)
    failed = [
        gateway.add_result(port=2, number=f"06000000{n:02}", fate="FAILED", send_delay=1)
        for n in range(12)
    ]
    clock.advance(3600)
    gateway.add_result(port=0, number="3", send_delay=0, delivery_delay=0)
    reports = (await api.post("/api/query_sms_deliver_status", json={})).json()
    assert reports["error_code"] == 200
    by_number = {r["number"]: r for r in reports["result"]}
    assert by_number[" 10086"] == {
        "port": 0,
        "number": " 10086",
        "time": "2024-05-03 10:00:00",
        "ref_id": delivered.ref_id,
        "status_code": 0,
        "imsi": gateway.imsi(0),
    }
    assert "2" not in by_number
    codes = {r.number: gateway.failure_report_code(r) for r in failed}
    assert {n: by_number[n]["status_code"] for n in codes if n in by_number} == {
        n: c for n, c in codes.items() if c is not None
    }
    assert 0 < sum(c is not None for c in codes.values()) < 12
    assert all(64 <= r["status_code"] <= 255 for r in reports["result"] if r["port"] == 2)

    async def numbers(**body: object) -> list[str]:
        reply = (await api.post("/api/query_sms_deliver_status", json=body)).json()
        return [r["number"] for r in reply["result"]]

    assert await numbers(number=["10086"]) == [" 10086"]
    assert await numbers(port=[0]) == [" 10086", "3"]
    assert await numbers(port=[0], time_after="2024-05-03 10:30:00") == ["3"]
    assert await numbers(port=[0], time_before="2024-05-03 10:30:00") == [" 10086"]
    assert await numbers(port=[0], user_id=[12345]) == [" 10086", "3"]  # no user_id filter


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"number": [str(n) for n in range(33)]}, 413),
        ({"number": "1"}, 400),
        ({"port": [40]}, 400),
        ({"time_after": "yesterday"}, 400),
        ([], 400),
    ],
)
async def test_deliver_status_refusals(api: httpx.AsyncClient, body: object, code: int) -> None:
    reply = (await api.post("/api/query_sms_deliver_status", json=body)).json()
    assert reply == {"error_code": code, "sn": SN}
