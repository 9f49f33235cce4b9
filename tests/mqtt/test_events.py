"""Events out: real pushes from the simulator through the webhook reach MQTT once each, shaped
like the API's types."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.mqtt.support import Names, Running, Spy, running
from tests.support import START, TOKEN, Facade

from ultiroam_graphql.simulator import ManualClock, PushTracker, SimulatedGateway

SEND = """mutation($input: SendSmsInput!) {
  sendSms(input: $input) { messages { number userId accepted } }
}"""
KIND_TOPIC = {
    "sms_result": "sms_result",
    "sms_deliver_status": "delivery_report",
    "sms": "incoming_sms",
}


def simulated(facade: Facade, gateway: str = "office") -> tuple[SimulatedGateway, ManualClock]:
    clock = ManualClock(START)
    device = SimulatedGateway(ports=32, clock=clock, initial_results=0, seed=7)
    facade.add_device(gateway, device=device, push_token=TOKEN)
    return device, clock


async def push_all(app: Running, tracker: PushTracker, gateway: str = "office") -> Counter[str]:
    """What the device has to push now, through the webhook; events published, by kind."""
    published: Counter[str] = Counter()
    for body in tracker.collect():
        kind = next(key for key in body if key != "sn")
        published[kind] += await app.push(gateway, body)
    return published


async def sentinel(app: Running, spy: Spy, device: SimulatedGateway, tracker: PushTracker) -> None:
    """A last incoming SMS, awaited on MQTT: anything published before it has arrived too."""
    device.add_incoming_sms(port=0, number="+33600000000", text="sentinel")
    await push_all(app, tracker)
    await spy.wait_for(lambda: any(b"sentinel" in m.payload for m in spy.messages))


async def test_results_reports_and_incoming_sms_each_appear_once(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    device, clock = simulated(facade)
    async with running(facade, names.mqtt(mqtt_url), state_dir=state_dir) as app:
        tracker = PushTracker(device, omit_user_id=0)
        recipients = [{"number": f"+3361234{n:04d}"} for n in range(5)]
        sent = await app.http.post(
            "/graphql",
            json={
                "query": SEND,
                "variables": {
                    "input": {"gatewayId": "office", "text": "Hi", "recipients": recipients}
                },
            },
        )
        user_ids = {m["userId"] for m in sent.json()["data"]["sendSms"]["messages"]}
        clock.advance(600)  # every message reaches its final status, with its report
        device.add_incoming_sms(port=3, number="+33611111111", text="Door code?")
        published = await push_all(app, tracker)
        await sentinel(app, spy, device, tracker)

    topic = f"{names.prefix}/office/"
    results = [m.json() for m in spy.on(topic + "sms_result")]
    reports = [m.json() for m in spy.on(topic + "delivery_report")]
    incoming = [m.json() for m in spy.on(topic + "incoming_sms")]
    assert published["sms_result"] >= 5 and published["sms_deliver_status"] >= 1
    assert len(results) == published["sms_result"]
    assert len(reports) == published["sms_deliver_status"]
    assert len(incoming) == 2  # the message and the sentinel
    assert not [m for m in spy.messages if m.retain and m.topic.startswith(topic + "sms")]
    assert {r["userId"] for r in results} == user_ids
    assert len({r["cursor"] for r in results + reports + incoming}) == len(results + reports) + 2
    final = {r["userId"]: r["status"] for r in results}
    assert set(final.values()) <= {"SENDING", "SENT_OK", "DELIVERED", "FAILED"}
    first = incoming[0]
    assert first == {
        "gatewayId": "office",
        "port": 3,
        "id": first["id"],
        "number": "+33611111111",
        "smsc": first["smsc"],
        "receivedAt": "2024-05-03T10:10:00+00:00",
        "text": "Door code?",
        "imsi": device.imsi(3),
        "cursor": first["cursor"],
    }
    report = reports[0]
    assert set(report) == {
        "gatewayId",
        "port",
        "number",
        "time",
        "refId",
        "statusCode",
        "delivered",
        "imsi",
        "cursor",
    }
    assert report["delivered"] is (report["statusCode"] == 0)


async def test_a_push_sent_twice_is_published_once(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    device, _ = simulated(facade)
    body: dict[str, Any] = {
        "sn": device.sn,
        "sms": [
            {
                "incoming_sms_id": 4242,
                "port": 1,
                "number": "+33611111111",
                "smsc": "+33609001390",
                "timestamp": "2024-05-03 10:21:40",
                "text": "once",
            }
        ],
    }
    async with running(facade, names.mqtt(mqtt_url), state_dir=state_dir) as app:
        tracker = PushTracker(device)
        assert await app.push("office", body) == 1
        assert await app.push("office", body) == 0  # the gateway sent it again
        await sentinel(app, spy, device, tracker)
    assert (
        len([m for m in spy.on(f"{names.prefix}/office/incoming_sms") if b"once" in m.payload]) == 1
    )
