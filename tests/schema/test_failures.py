"""A failing gateway never hides the healthy ones; each failure has its typed error."""

from __future__ import annotations

import httpx
import pytest
from tests.support import Facade


def down() -> httpx.MockTransport:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    return httpx.MockTransport(refuse)


def three_gateways(facade: Facade) -> None:
    facade.add_device("healthy", timezone="America/New_York")
    facade.add_device("down", transport=down())
    facade.add_device("locked", auth="digest", device_password="another-password")


async def test_query_results_keep_healthy_data_and_add_one_error_per_failure(
    facade: Facade,
) -> None:
    three_gateways(facade)
    data = await facade.query("{ smsResults(filter: {ports: [0, 1]}) { number gateway { id } } }")
    results = data["data"]["smsResults"]
    assert results
    assert {r["gateway"]["id"] for r in results} == {"healthy"}
    errors = {e["extensions"]["gatewayId"]: e for e in data["errors"]}
    assert errors.keys() == {"down", "locked"}
    assert errors["down"]["extensions"]["code"] == "GATEWAY_UNAVAILABLE"
    assert errors["locked"]["extensions"]["code"] == "GATEWAY_AUTH_FAILED"
    for error in errors.values():
        assert error["path"] == ["smsResults"]
        assert error["locations"] == [{"line": 1, "column": 3}]
    assert "another-password" not in str(data) and "s3cret-pass" not in str(data)


async def test_gateway_results_are_null_for_the_failing_gateway_only(facade: Facade) -> None:
    three_gateways(facade)
    data = await facade.query(
        "{ gateways { id smsResults { number }"
        " ports { smsResults(filter: {ports: [0]}) { number } } } }"
    )
    by_id = {g["id"]: g for g in data["data"]["gateways"]}
    assert by_id["healthy"]["smsResults"]
    assert by_id["down"]["smsResults"] is None
    assert by_id["locked"]["smsResults"] is None
    codes = sorted((e["extensions"]["gatewayId"], e["extensions"]["code"]) for e in data["errors"])
    assert codes == [("down", "GATEWAY_UNAVAILABLE"), ("locked", "GATEWAY_AUTH_FAILED")]
    assert facade.calls("healthy") == 1
    assert facade.devices["locked"].auth_failures == 2  # one challenge, one refused answer


async def test_a_wrong_password_is_not_retried_by_later_queries(facade: Facade) -> None:
    facade.add_device("locked", device_password="another-password")
    for _ in range(10):
        data = await facade.query("{ smsResults { number } }")
        assert data["errors"][0]["extensions"]["code"] == "GATEWAY_AUTH_FAILED"
    assert facade.devices["locked"].auth_failures == 2


@pytest.mark.parametrize(
    ("fault", "extensions"),
    [
        (
            {"kind": "error_code", "error_code": 500},
            {"code": "GATEWAY_REJECTED", "gatewayErrorCode": 500},
        ),
        ({"kind": "not_json"}, {"code": "GATEWAY_PROTOCOL_ERROR"}),
        ({"kind": "close"}, {"code": "GATEWAY_PROTOCOL_ERROR"}),
    ],
)
async def test_device_faults_map_to_their_codes(
    facade: Facade, fault: dict, extensions: dict
) -> None:
    device = facade.add_device("office")
    device.inject_fault(**fault)
    data = await facade.query('{ gateway(id: "office") { smsResults { number } } }')
    assert data["data"] == {"gateway": {"smsResults": None}}
    (error,) = data["errors"]
    assert error["extensions"] == {**extensions, "gatewayId": "office"}
    assert error["path"] == ["gateway", "smsResults"]


async def test_an_unknown_status_stays_visible(facade: Facade) -> None:
    def device(request: httpx.Request) -> httpx.Response:
        result = {"port": 0, "number": "1", "time": "2024-05-03 10:00:00", "status": "QUEUED"}
        return httpx.Response(200, json={"error_code": 200, "result": [result]})

    facade.add_device("office", auth="basic", transport=httpx.MockTransport(device))
    data = await facade.query("{ smsResults { status rawStatus count succCount refId userId } }")
    assert data == {
        "data": {
            "smsResults": [
                {
                    "status": "UNKNOWN",
                    "rawStatus": "QUEUED",
                    "count": 1,
                    "succCount": 0,
                    "refId": 0,
                    "userId": None,
                }
            ]
        }
    }


async def test_unexpected_errors_are_masked(facade: Facade) -> None:
    def device(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("secret internals")

    facade.add_device("office", auth="basic", transport=httpx.MockTransport(device))
    data = await facade.query("{ smsResults { number } }")
    assert data["errors"][0]["message"] == "Internal server error"
    assert data["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}


@pytest.mark.parametrize(("auth", "failures"), [("auto", 2), ("digest", 2), ("basic", 1)])
async def test_a_wrong_password_costs_one_login_even_with_concurrent_chunks(
    facade: Facade, auth: str, failures: int
) -> None:
    device = facade.add_device(
        "locked",
        auth=auth,
        device_auth="basic" if auth == "basic" else "digest",
        device_password="another-password",
        max_concurrency=4,
    )
    numbers = [f"+3361{n:07d}" for n in range(128)]
    data = await facade.query(
        "query($n: [String!]) { smsResults(filter: {numbers: $n}) { number } }", n=numbers
    )
    assert [e["extensions"]["code"] for e in data["errors"]] == ["GATEWAY_AUTH_FAILED"]
    assert device.auth_failures == failures
