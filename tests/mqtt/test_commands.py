"""Send commands over the real Mosquitto: sent once through the same code as ``sendSms``, every
outcome answered on the reply topic, nothing at all without ``allow_send``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.mqtt.support import Names, Running, Spy, running
from tests.support import TOKEN, Facade

from ultiroam_graphql.mqtt.commands import MAX_COMMAND_BYTES, parse_command


def command(count: int = 1, **extra: Any) -> dict[str, Any]:
    recipients = [{"number": f"+3361{n:07d}"} for n in range(count)]
    return {"text": "Door opened", "recipients": recipients, **extra}


async def ask(spy: Spy, names: Names, payload: bytes | str, *, retain: bool = False) -> Any:
    """Publish one command; the one reply it gets."""
    result = f"{names.prefix}/office/send/result"
    before = len(spy.on(result))
    await spy.publish(f"{names.prefix}/office/send", payload, retain=retain)
    await spy.wait_for(lambda: len(spy.on(result)) > before)
    replies = spy.on(result)
    assert len(replies) == before + 1 and not replies[-1].retain
    return replies[-1].json()


@pytest.fixture
def allow_send(names: Names, mqtt_url: str) -> dict[str, Any]:
    return names.mqtt(mqtt_url, allow_send=True)


async def test_a_command_sends_exactly_one_sms_and_answers(
    spy: Spy, names: Names, facade: Facade, allow_send: dict[str, Any], state_dir: str
) -> None:
    device = facade.add_device("office", push_token=TOKEN)
    async with running(facade, allow_send, state_dir=state_dir) as app:
        reply = await ask(spy, names, json.dumps(command(correlationId="door-1")))
        assert device.calls["send_sms"] == 1
        (message,) = reply["messages"]
        assert reply["correlationId"] == "door-1" and reply["errors"] == []
        assert message["number"] == "+33610000000" and message["accepted"] is True
        assert message["taskId"] is not None and message["error"] is None
        # The id is the key for sending results, as with the mutation.
        found = await app.http.post(
            "/graphql",
            json={
                "query": "query($i: [Int!]) { smsResults(filter: {userIds: $i}) { number } }",
                "variables": {"i": [message["userId"]]},
            },
        )
        assert found.json()["data"]["smsResults"] == [{"number": "+33610000000"}]
        assert f"{names.prefix}/office/send" in app.bridge.session.subscribed


async def test_recipients_are_split_like_the_mutation(
    spy: Spy, names: Names, facade: Facade, allow_send: dict[str, Any], state_dir: str
) -> None:
    device = facade.add_device("office")
    async with running(facade, allow_send, state_dir=state_dir):
        reply = await ask(spy, names, json.dumps(command(130, encoding="GSM7")))
    assert device.calls["send_sms"] == 2
    assert len(reply["messages"]) == 130 and all(m["accepted"] for m in reply["messages"])
    assert len({m["userId"] for m in reply["messages"]}) == 130


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b"[" * 5000 + b"]" * 5000, "larger than"),
        (b"[" * 3000 + b"]" * 3000, "not JSON"),
        (json.dumps(command(gatewayId="office")).encode(), "gatewayId"),
        (json.dumps(command(to="x")).encode(), "to: unknown field"),
        (json.dumps({"text": "x"}).encode(), "recipients: required field is missing"),
        (json.dumps(command(text=5)).encode(), "text: must be a valid string"),
        (json.dumps(command(ports=["1"])).encode(), "ports[0]"),
        (json.dumps(command(ports=[32])).encode(), "outside 0..31"),
        (json.dumps(command(encoding="utf8")).encode(), "encoding"),
        (json.dumps(command(requestStatusReport=1)).encode(), "requestStatusReport"),
        (json.dumps(command(recipients=[])).encode(), "recipients: 1 to"),
        (json.dumps(command(recipients=[{"number": "1" * 25}])).encode(), "bytes"),
        (json.dumps(command(recipients=[{"number": " "}])).encode(), "bytes"),
        (json.dumps(command(text="é" * 751)).encode(), "1500 UTF-8 bytes"),
        (json.dumps(command(1, text="x" * MAX_COMMAND_BYTES)).encode(), "larger than"),
    ],
)
async def test_bad_commands_are_answered_and_send_nothing(
    spy: Spy,
    names: Names,
    facade: Facade,
    allow_send: dict[str, Any],
    state_dir: str,
    payload: bytes,
    message: str,
) -> None:
    device = facade.add_device("office")
    async with running(facade, allow_send, state_dir=state_dir):
        reply = await ask(spy, names, payload)
        assert reply["error"]["code"] == "BAD_USER_INPUT"
        assert message in reply["error"]["message"]
        # The bridge lives on: the next good command is sent.
        good = await ask(spy, names, json.dumps(command()))
    assert good["messages"][0]["accepted"] is True
    assert device.calls["send_sms"] == 1


async def test_a_refused_command_echoes_its_correlation_id(
    spy: Spy, names: Names, facade: Facade, allow_send: dict[str, Any], state_dir: str
) -> None:
    facade.add_device("office")
    async with running(facade, allow_send, state_dir=state_dir):
        reply = await ask(spy, names, json.dumps(command(ports=[99], correlationId=7)))
    assert reply == {
        "correlationId": 7,
        "error": {"message": "port 99 is outside 0..31", "code": "BAD_USER_INPUT"},
    }


async def test_the_rate_limit_and_a_gateway_refusal_are_answered(
    spy: Spy, names: Names, facade: Facade, allow_send: dict[str, Any], state_dir: str
) -> None:
    device = facade.add_device("office", send_rate_limit=2)
    async with running(facade, allow_send, state_dir=state_dir):
        await spy.wait_for(lambda: bool(spy.on(f"{names.prefix}/office/availability")))
        device.inject_fault("error_code", error_code=550)  # after the port poll: for the send
        refused = await ask(spy, names, json.dumps(command()))
        limited = await ask(spy, names, json.dumps(command(2)))
    assert refused["messages"][0]["accepted"] is False
    assert refused["messages"][0]["error"] == "GATEWAY_REJECTED 550"
    assert refused["errors"][0]["code"] == "GATEWAY_REJECTED"
    assert refused["errors"][0]["gatewayErrorCode"] == 550
    assert refused["errors"][0]["gatewayId"] == "office"
    assert limited["error"] == {
        "message": limited["error"]["message"],
        "code": "RATE_LIMITED",
        "gatewayId": "office",
    }
    assert device.calls["send_sms"] == 1


async def test_a_retained_command_is_never_run(
    spy: Spy, names: Names, facade: Facade, allow_send: dict[str, Any], state_dir: str
) -> None:
    device = facade.add_device("office")
    await spy.publish(f"{names.prefix}/office/send", json.dumps(command()), retain=True)
    result = f"{names.prefix}/office/send/result"
    async with running(facade, allow_send, state_dir=state_dir):
        await spy.wait_for(lambda: bool(spy.on(result)))
    assert "retained" in spy.on(result)[0].json()["error"]["message"]
    assert device.calls["send_sms"] == 0


async def test_without_allow_send_commands_send_nothing(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    device = facade.add_device("office", push_token=TOKEN)
    async with running(facade, names.mqtt(mqtt_url), state_dir=state_dir) as app:
        assert not [t for t in app.bridge.session.subscribed if t.endswith("/send")]
        await spy.publish(f"{names.prefix}/office/send", json.dumps(command()))
        await sentinel_birth(spy, names, app)
    assert spy.on(f"{names.prefix}/office/send/result") == []
    assert device.calls["send_sms"] == 0


async def sentinel_birth(spy: Spy, names: Names, app: Running) -> None:
    """Home Assistant's birth message, published after the command, and its republish: the
    bridge reads messages in order, so a command it listened to would have been handled."""
    status = f"{names.prefix}/status"
    before = len(spy.on(status))
    await spy.publish(f"{names.discovery}/status", "online")
    await spy.wait_for(lambda: len(spy.on(status)) > before)


def test_the_command_model_maps_to_the_sending_core() -> None:
    order = parse_command(
        json.dumps(
            command(
                2,
                ports=[3, 1, 3],
                encoding="GSM7",
                requestStatusReport=False,
                recipients=[{"number": " +331 ", "textParams": ["a", "b"]}],
            )
        ).encode()
    ).order()
    assert order.encoding == "gsm-7bit" and order.request_status_report is False
    assert order.ports == (3, 1, 3)  # sorted and checked by the core
    assert order.recipients[0].text_params == ("a", "b")
