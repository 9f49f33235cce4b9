"""Queries through the real ASGI app against simulated gateways, counting REST calls exactly."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.support import Facade

RESULT_FIELDS = (
    "number userId time status rawStatus count succCount refId imsi cursor port { index }"
)


def expected(device: Any, records: Any) -> list[dict[str, Any]]:
    """What the facade must answer for these simulator records, field by field."""
    answers = []
    for record in records:
        wire = device.wire_result(record)
        local = datetime.strptime(wire["time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=device.zone)
        imsi = wire["imsi"].strip()
        answers.append(
            {
                "number": wire["number"].strip(),
                "userId": wire["user_id"],
                "time": local.isoformat(),
                "status": wire["status"],
                "rawStatus": wire["status"],
                "count": wire["count"],
                "succCount": wire["succ_count"],
                "refId": wire["ref_id"],
                "imsi": imsi or None,
                "cursor": None,
                "port": {"index": wire["port"]},
            }
        )
    return answers


async def test_gateways_and_ports(facade: Facade) -> None:
    facade.add_device("office")
    facade.add_device("shop", ports=8, auth="basic", device_auth="basic")
    data = await facade.query(
        "{ gateways { id sn portCount ports { index } port(index: 7) { index } } }"
    )
    office, shop = data["data"]["gateways"]
    assert office["id"] == "office"
    assert office["portCount"] == 32
    assert [p["index"] for p in office["ports"]] == list(range(32))
    assert shop["portCount"] == 8
    assert shop["port"] == {"index": 7}
    assert facade.calls("office") == facade.calls("shop") == 0


async def test_every_field_of_every_result(facade: Facade) -> None:
    device = facade.add_device("office", timezone="Asia/Kolkata")
    data = await facade.query(
        f"{{ smsResults(filter: {{ports: [3, 4]}}) {{ {RESULT_FIELDS} gateway {{ id sn }} }} }}"
    )
    results = data["data"]["smsResults"]
    records = [r for r in device.records if r.port in (3, 4)]
    assert records, "the seeded device has results on ports 3 and 4"
    assert [{k: v for k, v in r.items() if k != "gateway"} for r in results] == expected(
        device, records
    )
    assert all(r["time"].endswith("+05:30") for r in results)
    assert {r["gateway"]["sn"] for r in results} == {"da00-0030-1901-2817"}
    assert facade.calls() == 1


async def test_70_numbers_cost_3_calls(facade: Facade) -> None:
    device = facade.add_device("office")
    numbers = list(dict.fromkeys(r.number.strip() for r in device.records))
    assert len(numbers) >= 40
    numbers = (numbers + [f"+3361{n:07d}" for n in range(70)])[:70]
    data = await facade.query(
        f"query($n: [String!]) {{ smsResults(filter: {{numbers: $n}}) {{ {RESULT_FIELDS} }} }}",
        n=numbers,
    )
    assert facade.calls() == 3
    wanted = [r for r in device.records if r.number.strip() in set(numbers)]
    got = data["data"]["smsResults"]
    assert sorted(got, key=str) == sorted(expected(device, wanted), key=str)


async def test_32_port_fields_with_one_filter_cost_1_call(facade: Facade) -> None:
    device = facade.add_device("office")
    data = await facade.query(
        '{ gateway(id: "office") { ports { index smsResults(filter: {statuses: [DELIVERED]})'
        " { number port { index } status } } } }"
    )
    assert facade.calls() == 1
    ports = data["data"]["gateway"]["ports"]
    for port in ports:
        want = [
            r.number.strip()
            for r in device.records
            if r.port == port["index"] and r.status(device.clock()) == "DELIVERED"
        ]
        assert [r["number"] for r in port["smsResults"]] == want
        assert all(r["port"]["index"] == port["index"] for r in port["smsResults"])


async def test_aliased_port_fields_and_gateway_field_share_a_call(facade: Facade) -> None:
    facade.add_device("office")
    await facade.start(max_aliases=40)  # the default allows 30
    aliases = " ".join(f"p{i}: port(index: {i}) {{ smsResults {{ number }} }}" for i in range(32))
    await facade.query(f'{{ gateway(id: "office") {{ smsResults {{ number }} {aliases} }} }}')
    assert facade.calls() == 1


async def test_a_root_list_and_nested_port_fields_share_one_call(facade: Facade) -> None:
    """The root field's keys and those of every port join one DataLoader batch."""
    facade.add_device("office")
    facade.add_device("home")
    await facade.query(
        '{ a: smsResults(gatewayIds: ["office"], filter: {ports: [1]}) { number }'
        " gateways { ports { smsResults { number } } } }"
    )
    assert facade.calls("office") == facade.calls("home") == 1


async def test_statuses_are_applied_by_the_facade(facade: Facade) -> None:
    device = facade.add_device("office")
    data = await facade.query("{ smsResults(filter: {statuses: [FAILED, SENDING]}) { status } }")
    statuses = [r["status"] for r in data["data"]["smsResults"]]
    assert statuses == [
        r.status(device.clock())
        for r in device.records
        if r.status(device.clock()) in ("FAILED", "SENDING")
    ]
    assert facade.calls() == 1


async def test_a_time_with_an_offset_reaches_the_gateway_as_local_time(facade: Facade) -> None:
    device = facade.add_device("office", timezone="Europe/Paris")
    paris = ZoneInfo("Europe/Paris")
    # the device's clock reads 2024-05-03 12:00 in Paris (10:00 UTC)
    before = device.add_result(
        port=1, number="0611", sent_at=datetime(2024, 5, 3, 11, 59, 0, tzinfo=paris).timestamp()
    )
    after = device.add_result(
        port=1, number="0612", sent_at=datetime(2024, 5, 3, 12, 0, 1, tzinfo=paris).timestamp()
    )
    query = (
        "query($t: DateTime) { smsResults(filter: {ports: [1], timeAfter: $t}) { number time } }"
    )
    with_offset = await facade.query(query, t="2024-05-03T10:00:00Z")
    local = await facade.query(query, t="2024-05-03T12:00:00")
    for data in (with_offset, local):
        numbers = [r["number"] for r in data["data"]["smsResults"]]
        assert after.number in numbers
        assert before.number not in numbers
    assert with_offset["data"]["smsResults"][-1]["time"] == "2024-05-03T12:00:01+02:00"


@pytest.mark.parametrize(
    ("filter_", "message"),
    [
        ('{numbers: ["0123456789012345678901234"]}', "longer than 24 bytes"),
        ("{ports: [32]}", "outside 0..31"),
        ("{ports: [-1]}", "outside 0..31"),
        ("{userIds: [-5]}", "negative"),
        ('{timeAfter: "2024-05-03T12:00:00", timeBefore: "2024-05-03T11:00:00"}', "after"),
        ('{timeAfter: "2024-05-03T12:00:00Z", timeBefore: "2024-05-03T13:00:00+02:00"}', "after"),
        ('{timeAfter: "yesterday"}', "ISO 8601"),
    ],
)
async def test_bad_input_makes_no_rest_call(facade: Facade, filter_: str, message: str) -> None:
    facade.add_device("office")
    for field in (
        f"smsResults(filter: {filter_}) {{ number }}",
        f'gateway(id: "office") {{ smsResults(filter: {filter_}) {{ number }} }}',
        f'gateway(id: "office") {{ port(index: 0) {{ '
        f"smsResults(filter: {filter_}) {{ number }} }} }}",
    ):
        data = await facade.query(f"{{ {field} }}")
        (error,) = data["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert message in error["message"]
    assert facade.calls() == 0


async def test_bad_time_in_a_variable_is_bad_user_input(facade: Facade) -> None:
    facade.add_device("office")
    data = await facade.query(
        "query($t: DateTime) { smsResults(filter: {timeAfter: $t}) { number } }", t="3 pm"
    )
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert facade.calls() == 0


async def test_a_port_index_outside_0_31_is_bad_user_input(facade: Facade) -> None:
    facade.add_device("office", ports=8)
    data = await facade.query('{ gateway(id: "office") { a: port(index: 8) { index } } }')
    assert data == {"data": {"gateway": {"a": None}}}  # past the port count: no such port
    data = await facade.query('{ gateway(id: "office") { b: port(index: 40) { index } } }')
    assert [e["extensions"]["code"] for e in data["errors"]] == ["BAD_USER_INPUT"]


async def test_unknown_gateway(facade: Facade) -> None:
    facade.add_device("office")
    data = await facade.query('{ gateway(id: "nope") { id } }')
    assert data["data"] is None
    assert data["errors"][0]["extensions"] == {"code": "UNKNOWN_GATEWAY", "gatewayId": "nope"}
    data = await facade.query('{ smsResults(gatewayIds: ["office", "nope"]) { number } }')
    assert data["errors"][0]["extensions"]["code"] == "UNKNOWN_GATEWAY"
    assert facade.calls() == 0


@pytest.mark.parametrize("empty", ["numbers", "userIds", "statuses", "ports"])
async def test_empty_lists_match_nothing_without_a_call(facade: Facade, empty: str) -> None:
    facade.add_device("office")
    data = await facade.query(f"{{ smsResults(filter: {{{empty}: []}}) {{ number }} }}")
    assert data == {"data": {"smsResults": []}}
    assert facade.calls() == 0


async def test_the_same_numbers_in_another_order_share_a_call(facade: Facade) -> None:
    facade.add_device("office")
    await facade.query(
        '{ a: smsResults(filter: {numbers: ["1", "2"]}) { number }'
        ' b: smsResults(filter: {numbers: ["2", " 1"]}) { number } }'
    )
    assert facade.calls() == 1


async def test_chunked_results_come_back_in_the_gateways_order(facade: Facade) -> None:
    device = facade.add_device("office")
    numbers = sorted({r.number.strip() for r in device.records})
    assert len(numbers) > 32
    data = await facade.query(
        "query($n: [String!]) { smsResults(filter: {numbers: $n}) { number time } }", n=numbers
    )
    assert facade.calls() == -(-len(numbers) // 32)
    got = [(r["number"], r["time"]) for r in data["data"]["smsResults"]]
    want = [(r["number"], r["time"]) for r in expected(device, device.records)]
    assert got == want


async def test_ports_past_the_port_count_are_not_sent(facade: Facade) -> None:
    facade.add_device("office", ports=4)
    data = await facade.query("{ smsResults(filter: {ports: [10, 11]}) { number } }")
    assert data == {"data": {"smsResults": []}}
    assert facade.calls() == 0


async def test_many_queries_in_a_row_cost_at_most_one_401(facade: Facade) -> None:
    device = facade.add_device("office", auth="auto")
    for _ in range(30):
        data = await facade.query("{ smsResults(filter: {ports: [0]}) { number } }")
        assert "errors" not in data
    assert device.auth_failures == 1
    assert facade.calls() == 30


@pytest.mark.parametrize("auth", ["auto", "digest", "basic"])
@pytest.mark.parametrize("limit", [2, 4])
async def test_chunks_run_concurrently_within_max_concurrency(
    facade: Facade, auth: str, limit: int
) -> None:
    facade.add_device(
        "office",
        auth=auth,
        device_auth="basic" if auth == "basic" else "digest",
        max_concurrency=limit,
    )
    numbers = [f"+3361{n:07d}" for n in range(200)]
    query = "query($n: [String!]) { smsResults(filter: {numbers: $n}) { number } }"
    await facade.query(query, n=numbers)  # the very first query: a fresh login
    assert facade.calls() == 7
    assert facade.peak_in_flight == limit
    facade.peak_in_flight = 0
    await facade.query(query, n=numbers)
    assert facade.calls() == 14
    assert facade.peak_in_flight == limit


async def test_a_window_over_the_repeated_hour_of_a_dst_change_is_valid(facade: Facade) -> None:
    facade.add_device("office", timezone="Europe/Paris")
    # 00:50Z is 02:50 CEST and 01:10Z is 02:10 CET: ordered instants, inverted local times
    data = await facade.query(
        '{ smsResults(filter: {timeAfter: "2024-10-27T00:50:00Z",'
        ' timeBefore: "2024-10-27T01:10:00Z"}) { number } }'
    )
    assert data == {"data": {"smsResults": []}}
    assert facade.calls() == 1


@pytest.mark.parametrize(
    "bad_field",
    [
        'gateway(id: "nope") { id }',
        'gateway(id: "office") { port(index: 40) { index } }',
        'gateway(id: "office") { ports { smsResults(filter: {ports: [99]}) { number } } }',
        "...Bad",
    ],
)
async def test_bad_input_anywhere_in_the_operation_makes_no_rest_call(
    facade: Facade, bad_field: str
) -> None:
    facade.add_device("office")
    fragment = (
        ' fragment Bad on Query { b: smsResults(filter: {numbers: ["0123456789012345678901234"]})'
        " { number } }"
    )
    data = await facade.query(
        f"{{ smsResults {{ number }} {bad_field} }}" + (fragment if "Bad" in bad_field else "")
    )
    assert data["data"] is None
    (error,) = data["errors"]
    assert error["extensions"]["code"] in ("BAD_USER_INPUT", "UNKNOWN_GATEWAY")
    assert error["locations"]
    assert facade.calls() == 0


async def test_bad_input_in_variables_anywhere_makes_no_rest_call(facade: Facade) -> None:
    facade.add_device("office")
    data = await facade.query(
        "query($p: Int!, $f: SmsResultFilter) { smsResults(filter: $f) { number }"
        ' gateway(id: "office") { port(index: $p) { index } } }',
        p=32,
        f={"ports": [1]},
    )
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert facade.calls() == 0
