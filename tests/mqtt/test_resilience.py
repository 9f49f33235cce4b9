"""Resilience against the real Mosquitto: a dropped connection, Home Assistant coming back, an old
last will, port changes pushed by the gateway, and a gateway that stops answering."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.mqtt.support import Names, Running, Spy, address, retained, running
from tests.support import START, TOKEN, Facade
from tests.tcp_proxy import TcpProxy

from ultiroam_graphql.mqtt import session
from ultiroam_graphql.simulator import (
    ManualClock,
    PushTracker,
    SimulatedGateway,
    create_simulator_app,
)


def incoming(n: int, text: str) -> dict[str, Any]:
    return {
        "sn": "da00-0030-1901-2817",
        "sms": [
            {
                "incoming_sms_id": n,
                "port": 2,
                "number": "+33611111111",
                "smsc": "+33609001390",
                "timestamp": "2024-05-03 10:21:40",
                "text": text,
            }
        ],
    }


def count(spy: Spy, topic: str, payload: bytes | None = None) -> int:
    return sum(payload is None or m.payload == payload for m in spy.on(topic))


async def settled(spy: Spy, names: Names, ports: int) -> None:
    """The first poll is out: every port's state, and discovery again with the serial."""
    await spy.wait_for(
        lambda: (
            all(spy.on(f"{names.prefix}/office/port/{p}/state") for p in range(ports))
            and sum(b"serial_number" in m.payload for m in spy.under(names.discovery))
            >= ports * 4 + 2
        )
    )


async def test_reconnects_after_the_connection_drops_and_loses_no_event(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    proxy = TcpProxy(*address(mqtt_url))
    await proxy.start()
    facade.add_device("office", ports=2, push_token=TOKEN)
    status = f"{names.prefix}/status"
    sms = f"{names.prefix}/office/incoming_sms"
    through_proxy = names.mqtt(f"mqtt://127.0.0.1:{proxy.port}")
    try:
        async with running(facade, through_proxy, state_dir=state_dir) as app:
            await settled(spy, names, 2)
            assert await app.push("office", incoming(1, "before")) == 1
            await spy.wait_for(lambda: count(spy, sms) == 1)
            configs = len(spy.under(names.discovery))

            await proxy.cut()  # the broker sees the connection die: the last will goes out
            await spy.wait_for(lambda: count(spy, status, b"offline") == 1)
            assert await app.push("office", incoming(2, "during")) == 1  # no MQTT right now
            await proxy.start()
            await spy.wait_for(lambda: app.bridge.sessions == 2 and app.bridge.ready.is_set())
            await spy.wait_for(lambda: count(spy, status, b"online") == 2)
            assert await app.push("office", incoming(3, "after")) == 1
            await spy.wait_for(lambda: any(b"after" in m.payload for m in spy.on(sms)))
            # Discovery is published again on the new connection, with the serial known.
            assert len(spy.under(names.discovery)) == configs + 2 * 4 + 2
    finally:
        await proxy.cut()
    texts = [m.json()["text"] for m in spy.on(sms)]
    assert texts == ["before", "during", "after"]  # the outage's event once, in order


async def test_home_assistant_coming_back_gets_everything_again(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    facade.add_device("office", ports=2)
    status = f"{names.prefix}/status"
    async with running(facade, names.mqtt(mqtt_url), state_dir=state_dir):
        await settled(spy, names, 2)
        retained_topics = sorted(
            {m.topic for m in spy.messages if m.topic.endswith(("/config", "/state"))}
            | {f"{names.prefix}/office/availability"}
        )
        before = {topic: count(spy, topic) for topic in retained_topics}
        await spy.publish(f"{names.discovery}/status", "offline")  # Home Assistant's will
        await spy.publish(f"{names.discovery}/status", "online")  # and its birth
        await spy.wait_for(lambda: count(spy, status, b"online") == 2)
    assert len(retained_topics) == 2 * 4 + 2 + 2 + 1
    assert {topic: count(spy, topic) - before[topic] for topic in retained_topics} == dict.fromkeys(
        retained_topics, 1
    )


async def test_an_old_last_will_is_overwritten_while_the_bridge_leads(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    facade.add_device("office", ports=1)
    status = f"{names.prefix}/status"
    async with running(facade, names.mqtt(mqtt_url), state_dir=state_dir):
        await spy.publish(status, "offline", retain=True)  # as a dead instance's will would
        await spy.wait_for(lambda: statuses(spy, status)[-2:] == [b"offline", b"online"])
        kept = await retained(mqtt_url, names)
    assert kept[status] == b"online"


def statuses(spy: Spy, topic: str) -> list[bytes]:
    return [m.payload for m in spy.on(topic)]


async def test_a_port_change_pushed_by_the_gateway_refreshes_its_state(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    clock = ManualClock(START)
    device = SimulatedGateway(ports=4, clock=clock, initial_results=0)
    facade.add_device("office", device=device, push_token=TOKEN)
    state = f"{names.prefix}/office/port/0/state"
    async with running(facade, names.mqtt(mqtt_url), state_dir=state_dir) as app:
        await settled(spy, names, 4)
        assert spy.on(state)[-1].json()["registration"] == "REGISTER_OK"
        tracker = PushTracker(device)
        await power_off(app, port=0)
        for body in tracker.collect():  # the register push the device sends
            await app.push("office", body)
        # The next scheduled poll is a minute away: only the push can explain this.
        await spy.wait_for(lambda: spy.on(state)[-1].json()["registration"] == "POWER_OFF")
    assert device.calls["get_port_info"] == 2


async def power_off(app: Running, *, port: int) -> None:
    query = 'mutation($p: Int!) { setPortState(gatewayId: "office", port: $p, action: POWER_OFF) }'
    response = await app.http.post("/graphql", json={"query": query, "variables": {"p": port}})
    assert response.json() == {"data": {"setPortState": True}}


class Unplugged(httpx.AsyncBaseTransport):
    """The simulator's own app, behind a cable the test can pull."""

    def __init__(self, device: SimulatedGateway) -> None:
        self.inner = httpx.ASGITransport(
            app=create_simulator_app(device, username="admin", password="s3cret-pass")
        )
        self.down = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("unplugged", request=request)
        return await self.inner.handle_async_request(request)


async def test_a_gateway_that_stops_answering_becomes_unavailable(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    device = SimulatedGateway(ports=1, clock=ManualClock(START), initial_results=0)
    cable = Unplugged(device)
    facade.add_device("office", device=device, transport=cable, push_token=TOKEN)
    availability = f"{names.prefix}/office/availability"
    async with running(facade, names.mqtt(mqtt_url), state_dir=state_dir) as app:
        await spy.wait_for(lambda: count(spy, availability, b"online") == 1)
        cable.down = True
        await app.push("office", register(0, "down"))  # makes the bridge poll now
        await spy.wait_for(lambda: count(spy, availability, b"offline") == 1)
        cable.down = False
        await app.push("office", register(0, "up"))
        await spy.wait_for(lambda: count(spy, availability, b"online") == 2)
    configs = [m.json() for m in spy.under(names.discovery) if m.payload]
    assert all({"topic": availability} in c["availability"] for c in configs)


def register(port: int, status: str) -> dict[str, Any]:
    return {
        "sn": "da00-0030-1901-2817",
        "register": [{"port": port, "iccid": "<NULL>", "imsi": "<NULL>", "status": status}],
    }


async def test_an_outage_longer_than_the_resume_window_is_not_replayed(
    spy: Spy,
    names: Names,
    facade: Facade,
    mqtt_url: str,
    state_dir: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session, "RESUME_SECONDS", 0.0)  # every outage is "too long"
    proxy = TcpProxy(*address(mqtt_url))
    await proxy.start()
    facade.add_device("office", ports=1, push_token=TOKEN)
    sms = f"{names.prefix}/office/incoming_sms"
    try:
        through_proxy = names.mqtt(f"mqtt://127.0.0.1:{proxy.port}")
        async with running(facade, through_proxy, state_dir=state_dir) as app:
            assert await app.push("office", incoming(1, "before")) == 1
            await spy.wait_for(lambda: count(spy, sms) == 1)
            await proxy.cut()
            await spy.wait_for(lambda: count(spy, f"{names.prefix}/status", b"offline") == 1)
            assert await app.push("office", incoming(2, "stale")) == 1
            await proxy.start()
            await spy.wait_for(lambda: app.bridge.sessions == 2 and app.bridge.ready.is_set())
            assert await app.push("office", incoming(3, "after")) == 1
            await spy.wait_for(lambda: count(spy, sms) == 2)
    finally:
        await proxy.cut()
    assert [m.json()["text"] for m in spy.on(sms)] == ["before", "after"]
