"""The simulator's own control endpoint: inject a received SMS."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ultiroam_graphql.simulator import (
    ManualClock,
    PushTracker,
    SimulatedGateway,
    create_simulator_app,
)

ClientFactory = Callable[..., httpx.AsyncClient]
SN = "da00-0030-1901-2817"


async def test_injected_sms_lands_in_inbox_and_is_pushed(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = PushTracker(gateway)
    clock.advance(42)
    body = {"port": 3, "number": "+33611111111", "text": "bonjour 👋"}
    response = await api.post("/control/incoming_sms", json=body)
    assert response.status_code == 200
    assert response.json() == {"incoming_sms_id": 1}
    second = await api.post("/control/incoming_sms", json={**body, "smsc": "+33609001390"})
    assert second.json() == {"incoming_sms_id": 2}
    (message, other) = gateway.incoming
    assert (message.port, message.number, message.text) == (3, "+33611111111", "bonjour 👋")
    assert message.imsi == gateway.imsi(3) and other.smsc == "+33609001390"
    inbox = (await api.get("/api/query_incoming_sms?flag=all")).json()
    assert [m["timestamp"] for m in inbox["sms"]] == ["2024-05-03 10:00:42"] * 2
    assert tracker.collect() == [
        {"sn": SN, "sms": [gateway.wire_incoming(m, imsi=True) for m in gateway.incoming]}
    ]
    assert gateway.calls == {"query_incoming_sms": 1}  # control calls are not device calls


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"number": "1", "text": "x"}',
        b'{"port": 32, "number": "1", "text": "x"}',
        b'{"port": true, "number": "1", "text": "x"}',
        b'{"port": 0, "number": "", "text": "x"}',
        b'{"port": 0, "number": "1234567890123456789012345", "text": "x"}',
        b'{"port": 0, "number": "1"}',
        b'{"port": 0, "number": "1", "text": "x", "smsc": 5}',
    ],
)
async def test_bad_bodies_are_400(
    api: httpx.AsyncClient, gateway: SimulatedGateway, body: bytes
) -> None:
    response = await api.post("/control/incoming_sms", content=body)
    assert response.status_code == 400
    assert "error" in response.json()
    assert gateway.incoming == ()


async def test_same_auth_and_lockout_as_the_api(
    gateway: SimulatedGateway, make_client: ClientFactory
) -> None:
    app = create_simulator_app(gateway, lockout_failures=2)
    body = {"port": 0, "number": "1", "text": "x"}
    wrong = make_client(app, auth=httpx.DigestAuth("admin", "nope"))
    assert (await wrong.post("/control/incoming_sms", json=body)).status_code == 401  # probe + try
    right = make_client(app, auth=httpx.DigestAuth("admin", "admin"))
    assert (await right.post("/control/incoming_sms", json=body)).status_code == 403
    assert gateway.incoming == ()
    other = make_client(app, auth=httpx.DigestAuth("admin", "admin"), host="10.0.0.9")
    assert (await other.post("/control/incoming_sms", json=body)).status_code == 200
    basic = create_simulator_app(gateway, auth="basic")
    preemptive = make_client(basic, auth=httpx.BasicAuth("admin", "admin"))
    assert (await preemptive.post("/control/incoming_sms", json=body)).json() == {
        "incoming_sms_id": 2
    }


async def test_control_routing(api: httpx.AsyncClient, gateway: SimulatedGateway) -> None:
    assert (await api.get("/control/incoming_sms")).status_code == 405
    assert (await api.post("/control/reboot", json={})).status_code == 404
    gateway.inject_fault("error_code")
    body = {"port": 0, "number": "1", "text": "x"}
    assert (await api.post("/control/incoming_sms", json=body)).status_code == 200
    assert (await api.get("/api/query_sms_in_queue")).json() == {"error_code": 500, "sn": SN}
