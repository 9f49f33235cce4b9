"""The device as a whole: `get_status`, `get_cdr`, the `device`, `cdr`, `exception_info` and
traffic-made pushes, and the endpoint table."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable

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
from ultiroam_graphql.simulator.cdr import CallRecord
from ultiroam_graphql.simulator.endpoints import ENDPOINTS
from ultiroam_graphql.simulator.push import device_body
from ultiroam_graphql.simulator.traffic import traffic_loop

SN = "da00-0030-1901-2817"
START = 1_714_730_400.0
PERFORMANCE_KEYS = {
    "cpu_used",
    "flash_total",
    "flash_used",
    "memory_total",
    "memory_used",
    "memory_free",
    "memory_cached",
    "memory_buffers",
}


def call(port: int = 0, *, answered: bool = True, start: float = START) -> CallRecord:
    return CallRecord(
        port=port,
        started_at=start,
        answered_at=start + 5 if answered else None,
        duration=60 if answered else 0,
        source_number="0612345678",
        destination_number="101",
        direction="gsm->ip",
        ip="",
        codec="G.711A",
        hangup="called",
        gsm_code=16 if answered else 19,
        bcch="62",
    )


# -- get_status ---------------------------------------------------------------------------------


async def test_get_status_has_no_envelope(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    response = await api.post("/api/get_status", content=b'["performance"]')
    assert response.status_code == 200
    reply = response.json()
    assert list(reply) == ["performance"]
    performance = reply["performance"]
    assert set(performance) == PERFORMANCE_KEYS
    assert all(isinstance(v, str) and v.isdigit() for v in performance.values())
    assert 0 < int(performance["cpu_used"]) < 100
    total, used, free = (
        int(performance[k]) for k in ("memory_total", "memory_used", "memory_free")
    )
    assert used + free == total
    assert int(performance["flash_used"]) < int(performance["flash_total"])
    cpu = {
        (await api.post("/api/get_status", json=["performance"])).json()["performance"]["cpu_used"]
    }
    for _ in range(10):
        clock.advance(60)
        cpu.add(gateway.performance()["cpu_used"])
    assert len(cpu) > 1
    assert gateway.calls["get_status"] == 2


@pytest.mark.parametrize(
    "content", [b'{"performance": true}', b"[]", b'["memory"]', b"performance", b""]
)
async def test_get_status_refusals_are_403(
    api: httpx.AsyncClient, gateway: SimulatedGateway, content: bytes
) -> None:
    response = await api.post("/api/get_status", content=content)
    assert response.status_code == 403


async def test_get_status_by_get_is_403(api: httpx.AsyncClient, gateway: SimulatedGateway) -> None:
    assert (await api.get("/api/get_status?performance")).status_code == 403
    assert gateway.calls["get_status"] == 0


# -- get_cdr ------------------------------------------------------------------------------------


async def test_get_cdr_lists_and_filters(api: httpx.AsyncClient, gateway: SimulatedGateway) -> None:
    gateway.add_call(call(0, start=START - 3600))
    gateway.add_call(call(1, answered=False, start=START - 1800))
    gateway.add_call(call(0, start=START - 60))
    reply = (await api.post("/api/get_cdr", json={})).json()
    assert reply["error_code"] == 200 and reply["sn"] == SN
    assert reply["cdr"][1] == {
        "port": 1,
        "start_date": "2024-05-03 09:30:00",
        "answer_date": "",
        "duration": 0,
        "source_number": "0612345678",
        "destination_number": "101",
        "direction": "gsm->ip",
        "ip": "",
        "codec": "G.711A",
        "hangup": "called",
        "gsm_code": 19,
        "bcch": "62",
    }
    assert reply["cdr"][0]["answer_date"] == "2024-05-03 09:00:05"

    async def starts(**body: object) -> list[str]:
        return [c["start_date"] for c in (await api.post("/api/get_cdr", json=body)).json()["cdr"]]

    assert await starts(port=[0]) == ["2024-05-03 09:00:00", "2024-05-03 09:59:00"]
    assert await starts(time_after="2024-05-03 09:00:00") == [
        "2024-05-03 09:30:00",
        "2024-05-03 09:59:00",
    ]
    assert await starts(port=[0], time_before="2024-05-03 09:30:00") == ["2024-05-03 09:00:00"]
    assert gateway.calls["get_cdr"] == 4


@pytest.mark.parametrize(
    "body", [b"[]", b"not json", b'{"port": [32]}', b'{"time_after": "2024-05-03"}']
)
async def test_get_cdr_400(api: httpx.AsyncClient, body: bytes) -> None:
    assert (await api.post("/api/get_cdr", content=body)).json() == {"error_code": 400, "sn": SN}


async def test_get_cdr_is_post_only(api: httpx.AsyncClient) -> None:
    assert (await api.get("/api/get_cdr")).status_code == 405


def test_seeded_history_of_calls(clock: ManualClock) -> None:
    first = SimulatedGateway(clock=clock, seed=3)
    again = SimulatedGateway(clock=clock, seed=3)
    assert len(first.call_log.calls) == 6
    assert first.call_log.calls == again.call_log.calls
    for item in first.call_log.calls:
        assert START - 3600 - 450 < item.started_at <= item.ended_at <= START
        assert item.direction in ("gsm->ip", "ip->gsm", "callback")
        assert (item.ip != "") == (item.direction == "ip->gsm")
    assert first.last_event_seq == 0  # history is not pushed


# -- pushes of the other kinds ------------------------------------------------------------------


def test_cdr_pushed_for_answered_calls_only(gateway: SimulatedGateway) -> None:
    tracker = PushTracker(gateway)
    gateway.add_call(call(2, answered=False, start=START - 30))
    gateway.add_call(call(3, start=START - 65))
    (body,) = tracker.collect()
    assert body == {"sn": SN, "cdr": [call(3, start=START - 65).wire(gateway.zone)]}


def test_exception_info_is_a_single_object(gateway: SimulatedGateway) -> None:
    tracker = PushTracker(gateway)
    gateway.emit_exception(5)
    gateway.emit_exception(6)
    assert tracker.collect() == [
        {"sn": SN, "exception_info": {"port": 5, "type": "call_fail", "action": "reset"}},
        {"sn": SN, "exception_info": {"port": 6, "type": "call_fail", "action": "reset"}},
    ]


def test_device_body(clock: ManualClock) -> None:
    gateway = SimulatedGateway(clock=clock, ports=16, seed=4, ip="10.1.2.3")
    body = device_body(gateway)
    assert list(body) == ["sn", "device"]
    device = body["device"]
    assert isinstance(device, dict)
    assert device == {"port_number": 16, "IP": "10.1.2.3", "MAC": gateway.mac, "status": "power_on"}
    assert re.fullmatch(r"F8-A0-3D(-[0-9A-F]{2}){3}", gateway.mac)
    assert SimulatedGateway(clock=clock, seed=4).mac == gateway.mac
    old = SimulatedGateway(clock=clock, sn=None)
    assert list(device_body(old)) == ["device"]


async def test_push_loop_announces_the_device_first(
    gateway: SimulatedGateway, clock: ManualClock
) -> None:
    bodies: list[dict[str, object]] = []

    def receive(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200)

    tracker = PushTracker(gateway)
    gateway.ports.reset(0)  # before the tracker's first tick, after it started
    gateway.ports.reset(1)

    async def sleep(seconds: float) -> None:
        if clock.now - START >= 10:
            raise asyncio.CancelledError
        clock.advance(seconds)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as client:
        sender = PushSender(gateway, client, "http://hub.test/push")
        with pytest.raises(asyncio.CancelledError):
            await push_loop(tracker, sender, 1.0, sleep=sleep, announce=device_body(gateway))
    assert bodies[0] == {"sn": SN, "device": gateway.wire_device()}
    assert [list(b)[1] for b in bodies].count("device") == 1
    register = [e for b in bodies for e in b.get("register", [])]  # type: ignore[attr-defined]
    assert [(e["port"], e["status"]) for e in register[:2]] == [(0, "down"), (1, "down")]
    assert Counter(e["status"] for e in register) == {"down": 2, "up": 2}
    assert [e["sequence"] for e in register] == sorted(e["sequence"] for e in register)


async def test_lifespan_pushes_device_first(gateway: SimulatedGateway) -> None:
    arrived = asyncio.Event()
    bodies: list[dict[str, object]] = []

    def receive(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        arrived.set()
        return httpx.Response(200)

    app = create_simulator_app(
        gateway,
        push_url="http://hub.test/push",
        push_transport=httpx.MockTransport(receive),
        push_interval=60,
    )
    async with app.router.lifespan_context(app):
        async with asyncio.timeout(5):
            await arrived.wait()
    assert bodies == [{"sn": SN, "device": gateway.wire_device()}]


async def test_traffic_makes_device_events(clock: ManualClock) -> None:
    gateway = SimulatedGateway(clock=clock, seed=1, initial_results=0)
    tracker = PushTracker(gateway)
    kinds: Counter[str] = Counter()
    ticks = 0

    async def sleep(seconds: float) -> None:
        nonlocal ticks
        if ticks == 400:
            raise asyncio.CancelledError
        ticks += 1
        clock.advance(seconds)
        for body in tracker.collect():
            kind = next(k for k in body if k != "sn")
            kinds[kind] += 1
            if kind == "register":
                for element in body[kind]:  # type: ignore[attr-defined]
                    nulls = element["iccid"] == element["imsi"] == "<NULL>"
                    assert nulls == (element["status"] == "down")
            if kind == "cdr":
                assert all(e["answer_date"] for e in body[kind])  # type: ignore[attr-defined]

    with pytest.raises(asyncio.CancelledError):
        await traffic_loop(gateway, 2.0, sleep=sleep)
    assert kinds["register"] >= 4 and kinds["cdr"] >= 5 and kinds["exception_info"] >= 1
    assert {"sms_result", "sms"} <= set(kinds)
    assert len(gateway.call_log.calls) > 6 + kinds["cdr"] // 2


# -- the endpoint table -------------------------------------------------------------------------


def test_every_documented_endpoint_is_served() -> None:
    assert set(ENDPOINTS) == {
        "send_sms",
        "stop_sms",
        "query_sms_result",
        "query_sms_deliver_status",
        "query_incoming_sms",
        "query_sms_in_queue",
        "send_ussd",
        "query_ussd_reply",
        "get_port_info",
        "set_port_info",
        "get_cdr",
        "get_status",
    }


async def test_new_endpoints_need_auth_and_count_calls(
    gateway: SimulatedGateway, make_client: Callable[..., httpx.AsyncClient]
) -> None:
    app = create_simulator_app(gateway, lockout_failures=100)
    anonymous = make_client(app)
    authed = make_client(app, auth=httpx.DigestAuth("admin", "admin"))
    for name, endpoint in ENDPOINTS.items():
        response = await anonymous.request(endpoint.method, f"/api/{name}")
        assert response.status_code == 401, name
        await authed.request(endpoint.method, f"/api/{name}")
    assert gateway.calls == dict.fromkeys(ENDPOINTS, 1)


async def test_faults_apply_to_new_endpoints(
    api: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    gateway.inject_fault("error_code", error_code=500)
    body = {"text": "x", "param": [{"number": "1"}]}
    assert (await api.post("/api/send_sms", json=body)).json() == {"error_code": 500, "sn": SN}
    assert gateway.records == ()
    assert (await api.post("/api/send_sms", json=body)).json()["error_code"] == 202
