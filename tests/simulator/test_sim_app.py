"""Routing, the queue endpoint, fault injection and live traffic."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from ultiroam_graphql.simulator import (
    ManualClock,
    SimRecord,
    SimulatedGateway,
    create_simulator_app,
)
from ultiroam_graphql.simulator.traffic import traffic_loop

ClientFactory = Callable[..., httpx.AsyncClient]
SN = "da00-0030-1901-2817"


@pytest.fixture
def client(gateway: SimulatedGateway, make_client: ClientFactory) -> httpx.AsyncClient:
    app = create_simulator_app(gateway)
    return make_client(app, auth=httpx.DigestAuth("admin", "admin"))


async def test_in_queue_counts_sending(
    client: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    gateway.add_result(port=0, number="1", send_delay=5)
    gateway.add_result(port=1, number="2", send_delay=10, fate="FAILED")
    gateway.add_result(port=2, number="3", send_delay=0)
    counts = []
    for step in (0, 5, 5):
        clock.advance(step)
        reply = (await client.get("/api/query_sms_in_queue")).json()
        counts.append(reply["in_queue"])
        assert reply["error_code"] == 200 and reply["sn"] == SN
    assert counts == [2, 1, 0]


async def test_unknown_api_path_is_404_after_auth(
    gateway: SimulatedGateway, make_client: ClientFactory
) -> None:
    app = create_simulator_app(gateway)
    assert (await make_client(app).get("/api/query_sms_queue")).status_code == 401
    authed = make_client(app, auth=httpx.DigestAuth("admin", "admin"))
    assert (await authed.get("/api/query_sms_queue")).status_code == 404
    assert (await authed.post("/api/query_sms_count", json={})).status_code == 404
    assert gateway.calls == {}


async def test_non_api_path_is_404_without_auth(client: httpx.AsyncClient) -> None:
    assert (await client.get("/")).status_code == 404


async def test_wrong_method_is_405(client: httpx.AsyncClient, gateway: SimulatedGateway) -> None:
    assert (await client.get("/api/query_sms_result")).status_code == 405
    assert (await client.post("/api/query_sms_in_queue")).status_code == 405
    assert gateway.calls == {}


async def test_calls_counted_per_endpoint(
    client: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    await client.get("/api/query_sms_in_queue")
    await client.post("/api/query_sms_result", json={})
    await client.post("/api/query_sms_result", content=b"not json")
    assert gateway.calls == {"query_sms_in_queue": 1, "query_sms_result": 2}


async def test_fault_error_code(client: httpx.AsyncClient, gateway: SimulatedGateway) -> None:
    gateway.inject_fault("error_code", error_code=503, times=2)
    for _ in range(2):
        response = await client.post("/api/query_sms_result", json={})
        assert response.status_code == 200
        assert response.json() == {"error_code": 503, "sn": SN}
    assert (await client.post("/api/query_sms_result", json={})).json()["error_code"] == 200
    assert gateway.calls["query_sms_result"] == 3


async def test_fault_not_json(client: httpx.AsyncClient, gateway: SimulatedGateway) -> None:
    gateway.inject_fault("not_json")
    response = await client.get("/api/query_sms_in_queue")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()
    assert (await client.get("/api/query_sms_in_queue")).json()["error_code"] == 200


async def test_fault_close(client: httpx.AsyncClient, gateway: SimulatedGateway) -> None:
    gateway.inject_fault("close")
    response = await client.get("/api/query_sms_in_queue")
    assert response.status_code == 500
    assert response.content == b""


async def test_faults_wait_for_authenticated_requests(
    gateway: SimulatedGateway, make_client: ClientFactory
) -> None:
    app = create_simulator_app(gateway)
    gateway.inject_fault("error_code", error_code=500)
    assert (await make_client(app).get("/api/query_sms_in_queue")).status_code == 401
    authed = make_client(app, auth=httpx.DigestAuth("admin", "admin"))
    assert (await authed.get("/api/query_sms_in_queue")).json() == {"error_code": 500, "sn": SN}


def test_unknown_fault_kind_rejected(gateway: SimulatedGateway) -> None:
    with pytest.raises(ValueError):
        gateway.inject_fault("explode")  # type: ignore[arg-type]


def test_bad_app_settings_rejected(gateway: SimulatedGateway) -> None:
    with pytest.raises(ValueError):
        create_simulator_app(gateway, auth="ntlm")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        create_simulator_app(gateway, traffic_interval=0)


async def test_traffic_loop_adds_bursts(gateway: SimulatedGateway) -> None:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) > 5:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await traffic_loop(gateway, 2.5, sleep=fake_sleep)
    assert waits == [2.5] * 6
    assert 5 <= len(gateway.records) <= 15
    assert all(r.sent_at == gateway.clock() for r in gateway.records)


async def test_lifespan_runs_and_stops_traffic(
    gateway: SimulatedGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrived = asyncio.Event()
    add_random_burst = gateway.add_random_burst

    def burst(max_size: int = 3) -> list[SimRecord]:
        arrived.set()
        return add_random_burst(max_size)

    monkeypatch.setattr(gateway, "add_random_burst", burst)
    app = create_simulator_app(gateway, traffic_interval=0.001)
    async with app.router.lifespan_context(app):
        async with asyncio.timeout(5):
            await arrived.wait()
    count = len(gateway.records)
    assert count >= 1
    await asyncio.sleep(0.01)
    assert len(gateway.records) == count


async def test_lifespan_without_traffic(gateway: SimulatedGateway) -> None:
    app = create_simulator_app(gateway)
    async with app.router.lifespan_context(app):
        await asyncio.sleep(0)
    assert gateway.records == ()
