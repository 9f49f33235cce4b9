"""The whole gateway through the real app against the simulator: sending, reports, inbox,
ports, status, USSD, and the guard in front of every mutation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.support import Facade

SEND = """mutation($input: SendSmsInput!) {
  sendSms(input: $input) { messages { number userId taskId accepted error } }
}"""
ALLOW = {"allow_unauthenticated_mutations": True}


def send_input(count: int, **extra: Any) -> dict[str, Any]:
    recipients = [{"number": f"+3361{n:07d}"} for n in range(count)]
    return {"gatewayId": "office", "text": "Hello", "recipients": recipients, **extra}


async def test_mutations_are_refused_without_tokens_or_permission(facade: Facade) -> None:
    device = facade.add_device("office")
    await facade.start()
    data = await facade.query(SEND, input=send_input(1))
    assert data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    data = await facade.query('mutation { stopSms(gatewayId: "office", taskId: 1) }')
    assert data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert device.calls["send_sms"] == device.calls["stop_sms"] == 0


async def test_mutations_with_an_api_token(facade: Facade) -> None:
    device = facade.add_device("office")
    api = await facade.start(api_tokens=["secret-token"])
    body = {"query": SEND, "variables": {"input": send_input(2)}}
    refused = await api.post("/graphql", json=body)
    assert refused.status_code == 401
    served = await api.post("/graphql", json=body, headers={"Authorization": "Bearer secret-token"})
    assert [m["accepted"] for m in served.json()["data"]["sendSms"]["messages"]] == [True, True]
    assert device.calls["send_sms"] == 1


async def test_200_recipients_make_2_calls_and_200_tracked_ids(facade: Facade) -> None:
    device = facade.add_device("office")
    await facade.start(**ALLOW)
    data = await facade.query(SEND, input=send_input(200))
    messages = data["data"]["sendSms"]["messages"]
    assert device.calls["send_sms"] == 2
    assert len(messages) == 200 and all(m["accepted"] for m in messages)
    user_ids = [m["userId"] for m in messages]
    assert len(set(user_ids)) == 200 and all(0 < uid < 2**31 for uid in user_ids)
    assert len({m["taskId"] for m in messages}) == 2
    found = await facade.query(
        "query($ids: [Int!]) { smsResults(filter: {userIds: $ids}) { userId number } }",
        ids=user_ids,
    )
    results = found["data"]["smsResults"]
    assert {r["userId"] for r in results} == set(user_ids)
    assert {r["number"] for r in results} == {m["number"] for m in messages}


async def test_sent_results_cost_one_call_per_32_messages(facade: Facade) -> None:
    facade.add_device("office")
    await facade.start(**ALLOW)
    before = facade.calls()
    data = await facade.query(
        "mutation($input: SendSmsInput!) { sendSms(input: $input) "
        "{ messages { userId result { userId status } } } }",
        input=send_input(70),
    )
    messages = data["data"]["sendSms"]["messages"]
    assert facade.calls() - before == 3
    assert all(m["result"]["userId"] == m["userId"] for m in messages)
    assert {m["result"]["status"] for m in messages} <= {"SENDING", "SENT_OK", "FAILED"}


async def test_a_rejected_call_marks_its_recipients_only(facade: Facade) -> None:
    device = facade.add_device("office", max_concurrency=1)
    await facade.start(**ALLOW)
    device.inject_fault("error_code", error_code=550)  # the first call: no port available
    data = await facade.query(SEND, input=send_input(130))
    messages = data["data"]["sendSms"]["messages"]
    refused = [m for m in messages if not m["accepted"]]
    assert len(refused) == 128 and all(m["error"] == "GATEWAY_REJECTED 550" for m in refused)
    assert sum(m["accepted"] for m in messages) == 2
    (error,) = data["errors"]
    assert error["extensions"] == {
        "code": "GATEWAY_REJECTED",
        "gatewayId": "office",
        "gatewayErrorCode": 550,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"text": "x" * 1501}, "1500 UTF-8 bytes"),
        ({"text": "é" * 751}, "1500 UTF-8 bytes"),
        ({"recipients": []}, "recipients"),
        ({"recipients": [{"number": "1" * 25}]}, "bytes"),
        ({"ports": [32]}, "outside 0..31"),
    ],
)
async def test_bad_sends_make_no_call(facade: Facade, change: dict, message: str) -> None:
    device = facade.add_device("office")
    await facade.start(**ALLOW)
    data = await facade.query(SEND, input={**send_input(1), **change})
    assert data["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in data["errors"][0]["message"]
    assert device.calls["send_sms"] == 0


async def test_the_send_rate_limit(facade: Facade) -> None:
    device = facade.add_device("office", send_rate_limit=5)
    await facade.start(**ALLOW)
    assert "errors" not in await facade.query(SEND, input=send_input(5))
    data = await facade.query(SEND, input=send_input(1))
    assert data["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "gatewayId": "office"}
    assert device.calls["send_sms"] == 1


async def test_stop_sms(facade: Facade) -> None:
    facade.add_device("office")
    await facade.start(**ALLOW)
    task = (await facade.query(SEND, input=send_input(3)))["data"]["sendSms"]["messages"][0]
    stopped = await facade.query(
        'mutation($t: Int!) { stopSms(gatewayId: "office", taskId: $t) }', t=task["taskId"]
    )
    assert stopped == {"data": {"stopSms": True}}
    unknown = await facade.query('mutation { stopSms(gatewayId: "office", taskId: 99999) }')
    assert unknown["errors"][0]["extensions"]["code"] == "GATEWAY_REJECTED"
    assert unknown["errors"][0]["extensions"]["gatewayErrorCode"] in (404, 486)


async def test_port_state_for_32_ports_costs_one_call(facade: Facade) -> None:
    device = facade.add_device("office")
    data = await facade.query(
        '{ gateway(id: "office") { ports { index state { registration network signal imsi '
        "iccid imei number slot callState gprs balance } } } }"
    )
    ports = data["data"]["gateway"]["ports"]
    assert device.calls["get_port_info"] == 1
    states = [p["state"] for p in ports]
    assert len(states) == 32 and all(s is not None for s in states)
    assert {s["registration"] for s in states} >= {"REGISTER_OK"}
    registered = [s for s in states if s["registration"] == "REGISTER_OK"]
    assert all(s["imsi"] and len(s["imsi"]) == 15 for s in registered)


async def test_gateway_status_and_queue(facade: Facade) -> None:
    device = facade.add_device("office")
    data = await facade.query(
        '{ gateway(id: "office") { queueLength status { cpuUsed memoryTotal memoryUsed '
        "memoryFree flashTotal flashUsed } } }"
    )
    gateway = data["data"]["gateway"]
    assert isinstance(gateway["queueLength"], int)
    assert gateway["status"]["memoryTotal"] > 0
    assert 0 <= gateway["status"]["cpuUsed"] <= 100
    assert device.calls["get_status"] == 1


async def test_delivery_reports_linked_to_their_message(facade: Facade) -> None:
    device = facade.add_device("office", timezone="Europe/Paris")
    data = await facade.query(
        '{ gateway(id: "office") { deliveryReports { number port { index } refId statusCode '
        "delivered time result { number refId port { index } status } } } }"
    )
    reports = data["data"]["gateway"]["deliveryReports"]
    assert reports, "the seeded device holds delivery reports"
    assert all(r["time"].endswith(("+01:00", "+02:00")) for r in reports)
    linked = [r for r in reports if r["result"] is not None]
    assert linked
    for report in linked:
        assert report["result"]["number"] == report["number"]
        assert report["result"]["refId"] == report["refId"]
        assert report["result"]["port"] == report["port"]
    assert device.calls["query_sms_deliver_status"] == 1


async def test_delivery_reports_for_70_numbers_cost_3_calls(facade: Facade) -> None:
    device = facade.add_device("office")
    numbers = [f"+3361{n:07d}" for n in range(70)]
    await facade.query(
        'query($n: [String!]) { gateway(id: "office") { deliveryReports(filter: {numbers: $n})'
        " { number } } }",
        n=numbers,
    )
    assert device.calls["query_sms_deliver_status"] == 3


async def test_the_inbox_is_read_without_marking_anything_read(facade: Facade) -> None:
    device = facade.add_device("office")
    first = device.add_incoming_sms(port=1, number="+33611111111", text="hello")
    second = device.add_incoming_sms(port=2, number="+33622222222", text="second")
    data = await facade.query(
        'query($after: Int!) { gateway(id: "office") { incomingSms(afterId: $after) '
        "{ id number text port { index } receivedAt } } }",
        after=first.incoming_sms_id - 1,
    )
    got = data["data"]["gateway"]["incomingSms"]
    assert [m["id"] for m in got][-2:] == [first.incoming_sms_id, second.incoming_sms_id]
    assert got[-1]["text"] == "second" and got[-1]["port"] == {"index": 2}
    assert not device.is_read(first.incoming_sms_id)
    assert not device.is_read(second.incoming_sms_id)


USSD = """mutation($p: Int!, $code: String!) {
  sendUssd(gatewayId: "office", port: $p, code: $code) { text port { index } }
}"""


async def test_ussd_reply_by_push(facade: Facade) -> None:
    facade.add_device("office", push_token="tok", ussd_timeout=20)
    api = await facade.start(**ALLOW)
    answer = asyncio.ensure_future(facade.query(USSD, p=3, code="*100#"))
    broker = facade.app.state.broker
    for _ in range(500):
        if broker.subscriber_count:
            break
        await asyncio.sleep(0.01)
    await api.post(
        "/push/office", params={"token": "tok"}, json={"ussd": [{"port": 3, "text": "Balance 5"}]}
    )
    data = await asyncio.wait_for(answer, 20)
    assert data == {"data": {"sendUssd": {"text": "Balance 5", "port": {"index": 3}}}}


async def test_ussd_reply_by_poll_is_the_reply_to_this_code(
    facade: Facade, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ultiroam_graphql.ussd as ussd

    monkeypatch.setattr(ussd, "POLL_SECONDS", 0.01)
    device = facade.add_device("office", ussd_timeout=20)
    await facade.start(**ALLOW)

    async def time_passes() -> None:
        while True:
            await asyncio.sleep(0.01)
            device.clock.advance(0.5)  # type: ignore[attr-defined]

    clock = asyncio.ensure_future(time_passes())
    try:
        balance = await facade.query(USSD, p=1, code="*100#")
        other = await facade.query(USSD, p=1, code="*123#")
    finally:
        clock.cancel()
    assert "balance" in balance["data"]["sendUssd"]["text"].lower()
    assert other["data"]["sendUssd"]["text"] != balance["data"]["sendUssd"]["text"]


async def test_ussd_on_a_port_that_is_not_registered_is_rejected(facade: Facade) -> None:
    device = facade.add_device("office")
    await facade.start(**ALLOW)
    port = next(p for p in range(32) if p not in device.ports.registered())
    data = await facade.query(USSD, p=port, code="*100#")
    assert data["errors"][0]["extensions"]["code"] == "GATEWAY_REJECTED"
    assert data["errors"][0]["extensions"]["gatewayErrorCode"] == 503


async def test_set_port_state(facade: Facade) -> None:
    device = facade.add_device("office")
    await facade.start(**ALLOW)
    data = await facade.query(
        'mutation { a: setPortState(gatewayId: "office", port: 2, action: RESET)'
        ' b: setPortState(gatewayId: "office", port: 3, action: POWER_OFF) }'
    )
    assert data == {"data": {"a": True, "b": True}}
    assert device.calls["set_port_info"] == 2


async def test_the_same_ussd_reply_twice_is_two_replies_and_a_late_push_is_not_one(
    facade: Facade, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ultiroam_graphql.ussd as ussd

    monkeypatch.setattr(ussd, "POLL_SECONDS", 0.01)
    device = facade.add_device("office", push_token="tok", ussd_timeout=20)
    api = await facade.start(**ALLOW)

    async def time_passes() -> None:
        while True:
            await asyncio.sleep(0.01)
            device.clock.advance(0.5)  # type: ignore[attr-defined]

    clock = asyncio.ensure_future(time_passes())
    try:
        first = (await facade.query(USSD, p=1, code="*100#"))["data"]["sendUssd"]["text"]
        second_answer = asyncio.ensure_future(facade.query(USSD, p=1, code="*100#"))
        for _ in range(500):
            if facade.app.state.broker.subscriber_count:
                break
            await asyncio.sleep(0.001)
        late = {"ussd": [{"port": 1, "text": first}]}  # the first code's reply, pushed late
        await api.post("/push/office", params={"token": "tok"}, json=late)
        second = await asyncio.wait_for(second_answer, 20)
    finally:
        clock.cancel()
    assert second["data"]["sendUssd"]["text"] == first  # the balance did not change
    assert device.calls["send_ussd"] == 2
