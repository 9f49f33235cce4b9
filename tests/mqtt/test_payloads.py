"""The bridge's names without a broker: payload fields as the API names them, topics, config."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tests.support import PUSH_EXAMPLES

from ultiroam_graphql import create_app
from ultiroam_graphql.config import ConfigError, settings_from_mapping
from ultiroam_graphql.events import Event
from ultiroam_graphql.gateway import parse_port_info
from ultiroam_graphql.mqtt.payloads import event_payload, port_state
from ultiroam_graphql.mqtt.topics import Topics
from ultiroam_graphql.push import parse_push
from ultiroam_graphql.schema import build_schema

FLATTENED = {"gatewayId"}
"""The one field that stands for an object of the API (``gateway { id }``)."""


def fields(type_name: str) -> set[str]:
    return set(build_schema()._schema.type_map[type_name].fields)  # type: ignore[attr-defined]


def pushed(kind: str) -> Event:
    body = {"sn": "da00-0030-1901-2817", kind: PUSH_EXAMPLES[kind]}
    (event, *_) = parse_push(json.dumps(body).encode(), gateway_id="office", zone=ZoneInfo("UTC"))
    return Event(event.gateway_id, event.kind, event.data, event.sn, cursor="1714730400000-1")


@pytest.mark.parametrize(
    ("kind", "type_name"),
    [("sms_result", "SmsResult"), ("sms_deliver_status", "DeliveryReport"), ("sms", "IncomingSms")],
)
def test_event_payloads_use_the_api_field_names(kind: str, type_name: str) -> None:
    payload = json.loads(event_payload(pushed(kind)) or b"")
    assert set(payload) - FLATTENED <= fields(type_name)
    assert payload["gatewayId"] == "office" and payload["cursor"] == "1714730400000-1"
    assert isinstance(payload["port"], int)


def test_port_state_uses_the_api_field_names() -> None:
    record = parse_port_info(
        {"port": 3, "reg": "REGISTER_OK", "signal": "99", "remain_credit": "12.50", "slot": 255},
        gateway_id="office",
        zone=ZoneInfo("UTC"),
    )
    state = port_state(record)
    assert set(state) - FLATTENED - {"port", "operator"} <= fields("PortState")
    assert state["signal"] is None  # 99: no signal
    assert state["balance"] == "12.50" and state["slot"] is None and state["operator"] is None


def test_kinds_the_bridge_does_not_publish_give_no_payload() -> None:
    assert event_payload(Event("office", "register", {"port": 1, "status": "up"})) is None


def test_topics() -> None:
    topics = Topics("home/sms", "homeassistant")
    assert topics.port_state("office", 7) == "home/sms/office/port/7/state"
    assert topics.event("office", "sms_deliver_status") == "home/sms/office/delivery_report"
    assert topics.unique_id("office", "port7_signal") == "home_sms_office_port7_signal"
    assert topics.gateway_of("home/sms/office/send", "send") == "office"
    assert topics.gateway_of("home/sms/office/send/result", "send") is None
    assert topics.gateway_of("other/office/send", "send") is None
    assert topics.gateway_of("home/sms/send", "send") is None


GATEWAYS = [{"id": "a", "url": "http://gw", "password": "p"}]


@pytest.mark.parametrize(
    ("mqtt", "problem"),
    [
        ({"url": "mqtt://user:secret@broker"}, "mqtt.url: put credentials in username"),
        ({"url": "http://broker"}, "mqtt.url: must be an mqtt:// or mqtts:// URL"),
        ({"url": "mqtt://broker:99999"}, "mqtt.url: the port must be a number"),
        ({"url": "mqtt://broker/path"}, "mqtt.url: must be scheme://host[:port]"),
        ({"password": "x"}, "mqtt: a password needs a username"),
        ({"topic_prefix": "a/#"}, "mqtt.topic_prefix: must be 1 to 4 levels"),
        ({"discovery_prefix": ""}, "mqtt.discovery_prefix: must be 1 to 4 levels"),
        ({"client_id": "has space"}, "mqtt.client_id: must be 1 to 64"),
        ({"notify_recipients": ["{{x}}"]}, "mqtt.notify_recipients[0]: '{{x}}' must be a phone"),
        ({"port_state_interval": 1}, "mqtt.port_state_interval: must be at least 5"),
        ({"allow_send": "yes"}, "mqtt.allow_send: must be true or false"),
        ({"ca_file": "/nonexistent.pem"}, "mqtt.ca_file: no such file"),
    ],
)
def test_bad_mqtt_settings_are_one_clear_line(mqtt: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({"mqtt": mqtt, "gateways": GATEWAYS}, path="ultiroam.toml")
    assert str(caught.value).startswith(f"ultiroam.toml: {problem}")
    assert "secret" not in str(caught.value)


def test_mqtt_settings_defaults_and_credentials() -> None:
    settings = settings_from_mapping({"mqtt": {}, "gateways": GATEWAYS}, path="f")
    mqtt = settings.mqtt
    assert mqtt is not None
    assert (mqtt.url, mqtt.topic_prefix, mqtt.discovery_prefix) == (
        "mqtt://127.0.0.1:1883",
        "ultiroam",
        "homeassistant",
    )
    assert (mqtt.discovery, mqtt.allow_send, mqtt.credentials) == (True, False, (None, None))
    assert settings_from_mapping({"gateways": GATEWAYS}, path="f").mqtt is None
    secured = settings_from_mapping(
        {"mqtt": {"url": "mqtts://broker", "username": "u", "password": "p"}, "gateways": GATEWAYS},
        path="f",
    ).mqtt
    assert secured is not None and secured.credentials == ("u", "p")


def test_without_an_mqtt_section_there_is_no_bridge() -> None:
    settings = settings_from_mapping({"gateways": GATEWAYS}, path="f")
    assert create_app(settings).state.mqtt is None
