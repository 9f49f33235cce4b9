"""POST /api/query_sms_result: filters, validation and ordering, over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ultiroam_graphql.simulator import ManualClock, SimulatedGateway, create_simulator_app

ClientFactory = Callable[..., httpx.AsyncClient]
SN = "da00-0030-1901-2817"
WIRE_KEYS = ["port", "user_id", "number", "time", "status", "count", "succ_count", "ref_id", "imsi"]


@pytest.fixture
def client(gateway: SimulatedGateway, make_client: ClientFactory) -> httpx.AsyncClient:
    """Records at 10:00:00, 10:01:00, ... on ports 0/1 with user ids 1..4, fully sent."""
    start = gateway.clock()
    for i, (port, number) in enumerate(
        [(0, "0612345678"), (1, " 10086"), (0, "+33698765432 "), (1, "0612345678")]
    ):
        gateway.add_result(
            port=port, number=number, user_id=i + 1, sent_at=start + 60 * i, send_delay=1
        )
    app = create_simulator_app(gateway)
    return make_client(app, auth=httpx.DigestAuth("admin", "admin"))


async def query(client: httpx.AsyncClient, body: Any) -> dict[str, Any]:
    response = await client.post("/api/query_sms_result", json=body)
    assert response.status_code == 200
    return response.json()


async def user_ids(client: httpx.AsyncClient, body: Any) -> list[int]:
    reply = await query(client, body)
    assert reply["error_code"] == 200
    return [r["user_id"] for r in reply["result"]]


async def test_no_filter_returns_all_in_send_order(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    clock.advance(3600)
    reply = await query(client, {})
    assert reply["error_code"] == 200
    assert reply["sn"] == SN
    assert [r["user_id"] for r in reply["result"]] == [1, 2, 3, 4]
    first = reply["result"][0]
    assert list(first) == WIRE_KEYS
    assert first["time"] == "2024-05-03 10:00:00"
    assert first["number"] == "0612345678"


async def test_filter_by_user_id(client: httpx.AsyncClient) -> None:
    assert await user_ids(client, {"user_id": [3, 1, 99]}) == [1, 3]


async def test_filter_by_port(client: httpx.AsyncClient) -> None:
    assert await user_ids(client, {"port": [1]}) == [2, 4]


async def test_filter_by_number_trims_both_sides(client: httpx.AsyncClient) -> None:
    assert await user_ids(client, {"number": ["10086"]}) == [2]
    assert await user_ids(client, {"number": [" +33698765432"]}) == [3]
    assert await user_ids(client, {"number": ["0612345678"]}) == [1, 4]


async def test_stored_whitespace_is_kept_on_the_wire(client: httpx.AsyncClient) -> None:
    reply = await query(client, {"user_id": [2]})
    assert reply["result"][0]["number"] == " 10086"


async def test_time_bounds_are_strict(client: httpx.AsyncClient) -> None:
    assert await user_ids(client, {"time_after": "2024-05-03 10:01:00"}) == [3, 4]
    assert await user_ids(client, {"time_before": "2024-05-03 10:02:00"}) == [1, 2]
    between = {"time_after": "2024-05-03 10:00:00", "time_before": "2024-05-03 10:03:00"}
    assert await user_ids(client, between) == [2, 3]


async def test_filters_combine_with_and(client: httpx.AsyncClient) -> None:
    assert await user_ids(client, {"port": [0], "number": ["0612345678"]}) == [1]
    assert await user_ids(client, {"port": [0], "user_id": [2]}) == []
    body = {"number": ["0612345678"], "time_after": "2024-05-03 10:00:00", "port": [1]}
    assert await user_ids(client, body) == [4]


async def test_empty_arrays_mean_no_filter(client: httpx.AsyncClient) -> None:
    assert await user_ids(client, {"port": [], "user_id": [], "number": []}) == [1, 2, 3, 4]


async def test_unknown_keys_ignored(client: httpx.AsyncClient) -> None:
    assert await user_ids(client, {"user_id": [1], "foo": "bar"}) == [1]


async def test_times_are_gateway_local(clock: ManualClock, make_client: ClientFactory) -> None:
    gateway = SimulatedGateway(clock=clock, initial_results=0, timezone="Asia/Shanghai")
    gateway.add_result(port=0, number="1", user_id=5)
    client = make_client(create_simulator_app(gateway), auth=httpx.DigestAuth("admin", "admin"))
    reply = await query(client, {"time_after": "2024-05-03 17:59:59"})
    assert [r["time"] for r in reply["result"]] == ["2024-05-03 18:00:00"]
    assert (await query(client, {"time_after": "2024-05-03 18:00:00"}))["result"] == []


async def test_status_moves_on_with_the_clock(
    gateway: SimulatedGateway, clock: ManualClock, make_client: ClientFactory
) -> None:
    gateway.add_result(port=3, number="1", user_id=77, count=2, send_delay=5, delivery_delay=10)
    client = make_client(create_simulator_app(gateway), auth=httpx.DigestAuth("admin", "admin"))
    seen = []
    for step in (0, 4, 2, 9):
        clock.advance(step)
        result = (await query(client, {"user_id": [77]}))["result"][0]
        seen.append((result["status"], result["succ_count"]))
    assert seen == [("SENDING", 0), ("SENDING", 1), ("SENT_OK", 2), ("DELIVERED", 2)]


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        "user_id",
        None,
        {"user_id": 5},
        {"user_id": ["5"]},
        {"user_id": [-1]},
        {"user_id": [True]},
        {"user_id": [1.5]},
        {"port": [32]},
        {"port": [-1]},
        {"port": "0"},
        {"port": [None]},
        {"number": "0612345678"},
        {"number": [612345678]},
        {"number": ["1" * 25]},
        {"number": ["é" * 13]},
        {"time_after": "2024-05-03"},
        {"time_after": "2024-05-03T10:00:00"},
        {"time_before": "2024-05-03 10:00"},
        {"time_before": "2024-13-03 10:00:00"},
        {"time_before": " 2024-05-03 10:00:00"},
        {"time_after": 1714730400},
    ],
)
async def test_malformed_body_gives_400_envelope(client: httpx.AsyncClient, body: Any) -> None:
    assert await query(client, body) == {"error_code": 400, "sn": SN}


async def test_body_that_is_not_json_gives_400(client: httpx.AsyncClient) -> None:
    for content in (b"{user_id:[1]}", b"", b"\xff\xfe"):
        response = await client.post("/api/query_sms_result", content=content)
        assert response.status_code == 200
        assert response.json() == {"error_code": 400, "sn": SN}


async def test_more_than_32_numbers_gives_413(client: httpx.AsyncClient) -> None:
    assert (await query(client, {"number": ["0612345678"] * 32}))["error_code"] == 200
    assert await query(client, {"number": [str(i) for i in range(33)]}) == {
        "error_code": 413,
        "sn": SN,
    }


async def test_port_beyond_port_count_rejected(
    clock: ManualClock, make_client: ClientFactory
) -> None:
    gateway = SimulatedGateway(ports=8, clock=clock, initial_results=0)
    client = make_client(create_simulator_app(gateway), auth=httpx.DigestAuth("admin", "admin"))
    assert (await query(client, {"port": [7]}))["error_code"] == 200
    assert (await query(client, {"port": [8]}))["error_code"] == 400


async def test_old_firmware_omits_sn(clock: ManualClock, make_client: ClientFactory) -> None:
    gateway = SimulatedGateway(clock=clock, initial_results=0, sn=None)
    client = make_client(create_simulator_app(gateway), auth=httpx.DigestAuth("admin", "admin"))
    assert await query(client, {}) == {"error_code": 200, "result": []}
    assert await query(client, {"port": "x"}) == {"error_code": 400}


def test_query_without_http(gateway: SimulatedGateway) -> None:
    record = gateway.add_result(port=0, number="1", user_id=9)
    assert gateway.query_sms_result({"user_id": [9]}) == {
        "error_code": 200,
        "sn": SN,
        "result": [gateway.wire_result(record)],
    }
    assert gateway.calls == {}
