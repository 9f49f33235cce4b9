"""Port state: `get_port_info`, `set_port_info` and the `register` pushes they cause."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import httpx
import pytest

from ultiroam_graphql.simulator import (
    ManualClock,
    PushTracker,
    SimulatedGateway,
    create_simulator_app,
)
from ultiroam_graphql.simulator.port_data import luhn_digit
from ultiroam_graphql.simulator.ports import REREGISTER_DELAY

ClientFactory = Callable[..., httpx.AsyncClient]
SN = "da00-0030-1901-2817"
ALL_KEYS = "type,imei,imsi,iccid,number,reg,slot,callstate,signal,gprs,remain_credit"


async def info(api: httpx.AsyncClient, query: str) -> list[dict[str, object]]:
    reply = (await api.get(f"/api/get_port_info?{query}")).json()
    assert reply["error_code"] == 200 and reply["sn"] == SN
    return reply["info"]


async def reg(api: httpx.AsyncClient, port: int) -> object:
    return (await info(api, f"info_type=reg&port={port}"))[0]["reg"]


async def set_port(api: httpx.AsyncClient, query: str) -> object:
    return (await api.get(f"/api/set_port_info?{query}")).json()["error_code"]


def registers(tracker: PushTracker) -> list[dict[str, object]]:
    return [e for b in tracker.collect() for e in b.get("register", [])]  # type: ignore[attr-defined]


# -- get_port_info ------------------------------------------------------------------------------


async def test_every_port_every_key(api: httpx.AsyncClient, gateway: SimulatedGateway) -> None:
    ports = await info(api, f"info_type={ALL_KEYS}")
    assert [p["port"] for p in ports] == list(range(32))
    for port in ports:
        assert set(port) == {"port", *ALL_KEYS.split(",")}
        assert port["type"] in ("GSM", "LTE")
        assert port["slot"] == 255 and port["callstate"] == "Idle"
        assert isinstance(port["signal"], int) and 0 <= port["signal"] <= 31
        imei = str(port["imei"])
        assert re.fullmatch(r"[0-9]{15}", imei) and luhn_digit(imei[:-1]) == imei[-1]
        assert port["gprs"] in ("attached", "detached")
        if port["reg"] == "REGISTER_OK":
            assert port["imsi"] == gateway.imsi(int(port["port"]))  # type: ignore[call-overload]
            assert re.fullmatch(r"89[0-9]{18}", str(port["iccid"]))
            assert re.fullmatch(r"[0-9]+\.[0-9]{2}", str(port["remain_credit"]))
            assert re.fullmatch(r"(\+[0-9]{10,14})?", str(port["number"]))
    regs = [p["reg"] for p in ports]
    assert regs.count("NO_SIM") == 2 and regs.count("SEARCHING_NETWORK") == 1
    assert regs.count("REGISTER_OK") == 29
    assert all(p["port"] >= 16 for p in ports if p["reg"] != "REGISTER_OK")  # type: ignore[operator]
    no_sim = next(p for p in ports if p["reg"] == "NO_SIM")
    assert (no_sim["imsi"], no_sim["iccid"], no_sim["signal"]) == ("", "", 0)
    assert any(p["number"] == "" for p in ports) and any(p["number"] for p in ports)
    assert {p["type"] for p in ports} == {"GSM", "LTE"}
    assert gateway.calls["get_port_info"] == 1


async def test_only_requested_keys_and_ports(
    api: httpx.AsyncClient, gateway: SimulatedGateway
) -> None:
    gprs = {p: "attached" if gateway.ports[p].gprs else "detached" for p in (0, 7)}
    assert await info(api, "info_type=gprs,callstate&port=0,7") == [
        {"port": 0, "gprs": gprs[0], "callstate": "Idle"},
        {"port": 7, "gprs": gprs[7], "callstate": "Idle"},
    ]
    encoded = await info(api, "info_type=imei%2Cslot&port=3%2C1")
    assert [list(p) for p in encoded] == [["port", "imei", "slot"]] * 2
    assert [p["port"] for p in encoded] == [3, 1]
    limits = await info(api, "info_type=remain_daily_calltime,remain_monthly_credit&port=0")
    assert limits == [{"port": 0, "remain_daily_calltime": "-1", "remain_monthly_credit": "-1"}]


async def test_signal_varies_slowly(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    series = []
    for _ in range(60):
        series.append([p["signal"] for p in await info(api, "info_type=signal&port=0,1,2,3")])
        clock.advance(30)
    for port in range(4):
        values = [s[port] for s in series]
        assert len(set(values)) > 1
        assert all(abs(a - b) <= 1 for a, b in itertools.pairwise(values))  # type: ignore[operator]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "info_type=",
        "info_type=operator",
        "info_type=imei,operator",
        "info_type=CallForward",
        "info_type=imei,,reg",
        "info_type=imei&port=32",
        "info_type=imei&port=0,32",
        "info_type=imei&port=x",
    ],
)
async def test_get_port_info_400(api: httpx.AsyncClient, query: str) -> None:
    reply = (await api.get(f"/api/get_port_info?{query}")).json()
    assert reply == {"error_code": 400, "sn": SN}


async def test_port_beyond_a_small_device_is_400(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    gateway = SimulatedGateway(ports=8, clock=clock, initial_results=0)
    api = make_client(create_simulator_app(gateway), auth=httpx.DigestAuth("admin", "admin"))
    assert (await api.get("/api/get_port_info?info_type=reg&port=8")).json()["error_code"] == 400
    ports = (await api.get("/api/get_port_info?info_type=reg")).json()["info"]
    assert [p["port"] for p in ports] == list(range(8))
    assert sum(p["reg"] != "REGISTER_OK" for p in ports) == 3


def test_registrations_are_seeded(clock: ManualClock) -> None:
    def down(seed: int) -> list[tuple[object, object]]:
        gateway = SimulatedGateway(seed=seed, clock=clock, initial_results=0)
        ports = gateway.ports.info(["reg"])
        return [(p["port"], p["reg"]) for p in ports if p["reg"] != "REGISTER_OK"]

    assert down(3) == down(3)
    assert len({tuple(down(seed)) for seed in range(6)}) > 1
    small = SimulatedGateway(ports=2, clock=clock, initial_results=0)
    assert small.ports.registered() == [0, 1]


def test_made_up_traffic_avoids_unusable_ports(clock: ManualClock) -> None:
    gateway = SimulatedGateway(clock=clock, initial_results=500)
    usable = set(gateway.ports.registered())
    assert {r.port for r in gateway.records} <= usable
    assert {gateway.add_random_incoming().port for _ in range(100)} <= usable


# -- set_port_info ------------------------------------------------------------------------------


async def test_reset_goes_down_and_comes_back(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = PushTracker(gateway)
    assert await set_port(api, "port=2&action=reset&param=1") == 200
    assert await reg(api, 2) == "SEARCHING_NETWORK"
    (down,) = registers(tracker)
    assert down == {
        "port": 2,
        "iccid": "<NULL>",
        "imsi": "<NULL>",
        "number": "",
        "status": "down",
        "sequence": 1,
    }
    body = {"text": "x", "param": [{"number": "1"}], "port": [2]}
    assert (await api.post("/api/send_sms", json=body)).json()["error_code"] == 550
    clock.advance(REREGISTER_DELAY[0] - 0.1)
    assert await reg(api, 2) == "SEARCHING_NETWORK" and registers(tracker) == []
    clock.advance(REREGISTER_DELAY[1])
    assert await reg(api, 2) == "REGISTER_OK"
    (up,) = registers(tracker)
    port = (await info(api, "info_type=iccid,imsi,number&port=2"))[0]
    assert up == {
        "port": 2,
        "iccid": port["iccid"],
        "imsi": port["imsi"],
        "number": port["number"],
        "status": "up",
        "sequence": 2,
    }
    assert await set_port(api, "port=2&action=reset") == 200  # param is optional here
    assert [e["status"] for e in registers(tracker)] == ["down"]


async def test_reset_while_searching_extends_it(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = PushTracker(gateway)
    await set_port(api, "port=1&action=reset")
    clock.advance(REREGISTER_DELAY[0] - 1)
    await set_port(api, "port=1&action=reset")
    clock.advance(REREGISTER_DELAY[1] + 1)
    assert [e["status"] for e in registers(tracker)] == ["down", "up"]


async def test_power_off_and_on(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = PushTracker(gateway)
    assert await set_port(api, "port=0&action=power&param=off") == 200
    port = (await info(api, "info_type=reg,imsi,signal,gprs&port=0"))[0]
    assert port == {"port": 0, "reg": "POWER_OFF", "imsi": "", "signal": 0, "gprs": "detached"}
    assert await set_port(api, "port=0&action=power&param=off") == 200
    assert [e["status"] for e in registers(tracker)] == ["down"]
    assert await set_port(api, "port=0&action=reset") == 200  # nothing to reset while off
    assert await reg(api, 0) == "POWER_OFF"
    assert await set_port(api, "port=0&action=power&param=on") == 200
    assert await reg(api, 0) == "SEARCHING_NETWORK"
    clock.advance(REREGISTER_DELAY[1])
    assert await reg(api, 0) == "REGISTER_OK"
    assert [e["status"] for e in registers(tracker)] == ["up"]


async def test_power_off_cancels_a_pending_up(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = PushTracker(gateway)
    await set_port(api, "port=0&action=reset")
    await set_port(api, "port=0&action=power&param=off")
    clock.advance(60)
    assert await reg(api, 0) == "POWER_OFF"
    assert [e["status"] for e in registers(tracker)] == ["down"]


async def test_no_sim_and_no_coverage_ports_ignore_reset(
    api: httpx.AsyncClient, gateway: SimulatedGateway, clock: ManualClock
) -> None:
    tracker = PushTracker(gateway)
    ports = await info(api, "info_type=reg")
    for port in (p for p in ports if p["reg"] != "REGISTER_OK"):
        before = port["reg"]
        assert await set_port(api, f"port={port['port']}&action=reset&param=1") == 200
        clock.advance(30)
        assert await reg(api, int(port["port"])) == before  # type: ignore[call-overload]
    assert registers(tracker) == []


async def test_slot_is_accepted_but_stays_255(api: httpx.AsyncClient) -> None:
    assert await set_port(api, "port=0&action=slot&param=1") == 200
    assert (await info(api, "info_type=slot&port=0"))[0]["slot"] == 255


@pytest.mark.parametrize(
    "query",
    [
        "",
        "port=0",
        "port=0&action=power",
        "port=0&action=power&param=standby",
        "port=0&action=slot&param=4",
        "port=0&action=imei&param=867694030000000",
        "port=0&action=lock&param=1234",
        "port=32&action=reset&param=1",
        "port=x&action=reset&param=1",
        "action=reset&param=1",
    ],
)
async def test_set_port_info_400(
    api: httpx.AsyncClient, gateway: SimulatedGateway, query: str
) -> None:
    before = gateway.ports.info(["reg"])
    reply = (await api.get(f"/api/set_port_info?{query}")).json()
    assert reply == {"error_code": 400, "sn": SN}
    assert gateway.ports.info(["reg"]) == before
    assert gateway.last_event_seq == 0
